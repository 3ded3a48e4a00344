"""The ruby and ruby-worker types without Docker: the catalogue entries, ruby-version's mapping
(noted), the Gemfile and Gemfile.lock read as Bundler does and served by Debian's gems (a warning
at the line of a gem Debian lacks), the build context (one stack layer for both types, Passenger
behind nginx, rack-env as RACK_ENV), readiness (Passenger's spawn failure and the app's stderr
lines), development mode, and valid Swarm and Kubernetes output for examples/sinatra-redis."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import yaml

from dotcloud_emulator import catalogue
from dotcloud_emulator.api.devchanges import plan_changes
from dotcloud_emulator.buildfile import gemfile
from dotcloud_emulator.buildfile.diagnostics import BuildFileError
from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.catalogue import stacks
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.render.contexts import ApprootFacts, render_build_context
from dotcloud_emulator.render.devmode import runs_from_tree
from dotcloud_emulator.render.files import File
from dotcloud_emulator.render.swarm import StackImages, render_stack

from .kubernetes_support import REPO, example_state, manifests, of_kind, render, validate_strictly

EXAMPLE = REPO / "examples" / "sinatra-redis"
RUBY = stacks.RUBY_2_7

GEMFILE_2012 = """\
source :rubygems

gem 'sinatra', '~> 1.3.2'
gem "redis", "~> 3.0.1", :require => ["redis", "redis/connection/ruby"]
gem 'multi_json' # a comment
gem 'pony', :git => 'git://github.com/benprew/pony.git'
gem 'sinatra-contrib', require: 'sinatra/reloader'

group :development, :test do
  gem 'rack-test', :require => false
  gem 'shotgun'
end
gem 'thin', :group => :production
"""

LOCK_2012 = """\
GEM
  remote: http://rubygems.org/
  specs:
    rack (1.4.1)
    redis (3.0.1)
    sinatra (1.3.3)
      rack (~> 1.3, >= 1.3.6)
    sinatra-contrib (2.0.8.1)

PLATFORMS
  ruby
"""


def ruby(type_name: str = "ruby", **fields: Any) -> Service:
    config = MappingProxyType(fields.pop("config", {}))
    return Service("www", type_name, approot="www", config=config, **fields)


def files_of(tmp_path: Path, service: Service, text: str = "") -> dict[str, str]:
    application = Application("shop", tmp_path, tmp_path / "dotcloud.yml", (service,))
    items = render_build_context(
        application, service, Settings(tmp_path / "state"), approot_facts=ApprootFacts(gemfile=text)
    )
    prefix = f".dotcloud/build/{service.name}/"
    return {
        str(item.path).removeprefix(prefix): item.content
        for item in items
        if isinstance(item, File)
    }


def app_dir(tmp_path: Path, buildfile: str, files: dict[str, str]) -> Path:
    (tmp_path / "dotcloud.yml").write_text(buildfile)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


# --- the catalogue ------------------------------------------------------------------------------


def test_ruby_is_a_web_type_and_ruby_worker_is_not() -> None:
    assert catalogue.runs_here("ruby")
    assert catalogue.runs_here("ruby-worker")
    assert catalogue.serves_http("ruby")
    assert not catalogue.serves_http("ruby-worker")
    assert [p.name for p in catalogue.stack_for(ruby()).programs] == ["nginx", "passenger"]
    assert catalogue.stack_for(ruby("ruby-worker")).programs == ()


def test_both_types_build_the_same_stack_layer(tmp_path: Path) -> None:
    def stack_layer(type_name: str) -> str:
        dockerfile = files_of(tmp_path, ruby(type_name))["Dockerfile"]
        return dockerfile.split("FROM tooling AS stack", 1)[1].split("RUN useradd", 1)[0]

    assert stack_layer("ruby") == stack_layer("ruby-worker")
    assert "passenger" in stack_layer("ruby")
    assert "ruby-bundler" in stack_layer("ruby")
    # bullseye-security's ruby-* builds are listed but not served: bullseye's are taken.
    assert "Pin: release l=Debian-Security" in stack_layer("ruby")
    assert "FROM debian:bullseye-slim AS tooling" in files_of(tmp_path, ruby())["Dockerfile"]


@pytest.mark.parametrize("version", ["ree", "1.9.2", "1.9.3"])
def test_every_platform_ruby_runs_on_bullseyes_2_7_with_a_note(
    tmp_path: Path, version: str
) -> None:
    app_dir(tmp_path, f"www:\n  type: ruby\n  config:\n    ruby-version: {version}\n", {})
    loaded = load_application(tmp_path, "shop", strict=True)
    assert [note.format() for note in loaded.notes] == [
        f"{tmp_path}/dotcloud.yml:4:19: note: ruby-version {version} runs on Ruby 2.7 here "
        "(Debian bullseye's, the nearest to 1.9-era code that can be had)"
    ]


def test_the_default_ruby_version_is_noted_at_the_type(tmp_path: Path) -> None:
    app_dir(tmp_path, "www:\n  type: ruby-worker\n", {})
    notes = [note.format() for note in load_application(tmp_path, "shop").notes]
    assert notes == [
        f"{tmp_path}/dotcloud.yml:2:9: note: ruby-version 1.9.2 runs on Ruby 2.7 here (Debian "
        "bullseye's, the nearest to 1.9-era code that can be had); ruby-version 1.9.2 is the "
        "default"
    ]


def test_an_unknown_ruby_version_is_an_error_at_its_line(tmp_path: Path) -> None:
    app_dir(tmp_path, "www:\n  type: ruby\n  config:\n    ruby-version: 2.0.0\n", {})
    with pytest.raises(BuildFileError) as raised:
        load_application(tmp_path, "shop")
    assert "dotcloud.yml:4:19: error:" in str(raised.value)
    assert "ree" in str(raised.value)
    assert "1.9.3" in str(raised.value)


# --- the Gemfile --------------------------------------------------------------------------------


def test_the_gemfile_is_read_as_bundler_reads_it() -> None:
    gems = {gem.name: gem for gem in gemfile.read_gems(GEMFILE_2012)}
    assert list(gems) == [
        "sinatra",
        "redis",
        "multi_json",
        "pony",
        "sinatra-contrib",
        "rack-test",
        "shotgun",
        "thin",
    ]
    assert (gems["sinatra"].line, gems["sinatra"].column) == (3, 1)
    assert gems["redis"].require == '["redis", "redis/connection/ruby"]'
    assert gems["sinatra-contrib"].require == "'sinatra/reloader'"
    assert gems["rack-test"].groups == ("development", "test")
    assert (gems["rack-test"].require, gems["rack-test"].column) == ("false", 3)
    assert gems["thin"].groups == ("production",)
    assert gems["pony"].elsewhere
    assert not gems["sinatra"].elsewhere


def test_the_lock_gives_its_versions_with_their_lines() -> None:
    assert gemfile.locked_versions(LOCK_2012) == {
        "rack": ("1.4.1", 4),
        "redis": ("3.0.1", 5),
        "sinatra": ("1.3.3", 6),
        "sinatra-contrib": ("2.0.8.1", 8),
    }


def test_gems_are_debians_and_one_debian_lacks_is_a_warning_at_its_line() -> None:
    found = [
        (f.file, f.line, f.column, f.severity, f.message)
        for f in gemfile.findings(GEMFILE_2012, LOCK_2012, RUBY)
    ]
    assert found == [
        (
            "Gemfile",
            3,
            1,
            "note",
            "the gems come from Debian bullseye's packages of them (rubygems.org is not reached "
            "from the builds here); Bundler resolves them on Ruby 2.7",
        ),
        ("Gemfile.lock", 6, 5, "note", "sinatra 1.3.3 runs as Debian's ruby-sinatra 2.0.8.1 here"),
        ("Gemfile.lock", 5, 5, "note", "redis 3.0.1 runs as Debian's ruby-redis 4.2.5 here"),
        (
            "Gemfile",
            6,
            1,
            "warning",
            "gem 'pony' is not installed: rubygems.org is not reached from the builds here and "
            "Debian bullseye has no package of it",
        ),
        (
            "Gemfile",
            11,
            3,
            "warning",
            "gem 'shotgun' is not installed: rubygems.org is not reached from the builds here and "
            "Debian bullseye has no package of it",
        ),
    ]
    assert gemfile.debian_packages(gemfile.read_gems(GEMFILE_2012), RUBY) == [
        "ruby-multi-json",
        "ruby-rack-test",
        "ruby-redis",
        "ruby-sinatra",
        "ruby-sinatra-contrib",
        "thin",
    ]


def test_a_gemfile_without_gems_says_nothing() -> None:
    assert gemfile.findings("source :rubygems\n", "", RUBY) == []
    assert gemfile.findings("", "", RUBY) == []


def test_bundler_resolves_the_served_gems_without_versions() -> None:
    assert gemfile.bundler_gemfile(GEMFILE_2012, RUBY).splitlines()[1:] == [
        "source 'https://rubygems.org'",
        "gem 'sinatra'",
        """gem 'redis', :require => ["redis", "redis/connection/ruby"]""",
        "gem 'multi_json'",
        "gem 'sinatra-contrib', :require => 'sinatra/reloader'",
        "gem 'rack-test', :require => false, :group => [:development, :test]",
        "gem 'thin', :group => [:production]",
    ]


def test_a_require_that_is_not_a_plain_value_is_not_copied() -> None:
    text = "gem 'json', :require => `id`\ngem 'rack', require: ENV['X']\n"
    assert gemfile.bundler_gemfile(text, RUBY).splitlines()[2:] == ["gem 'json'", "gem 'rack'"]


def test_the_warnings_are_the_loaders_at_the_gemfiles_path(tmp_path: Path) -> None:
    app_dir(
        tmp_path,
        "www:\n  type: ruby\n  approot: www\n",
        {"www/Gemfile": "source :rubygems\ngem 'sinatra'\ngem 'shotgun'\n"},
    )
    loaded = load_application(tmp_path, "shop")
    assert [w.format() for w in loaded.warnings] == [
        f"{tmp_path}/www/Gemfile:3:1: warning: gem 'shotgun' is not installed: rubygems.org is "
        "not reached from the builds here and Debian bullseye has no package of it"
    ]
    with pytest.raises(BuildFileError):
        load_application(tmp_path, "shop", strict=True)


# --- the build context --------------------------------------------------------------------------


def test_the_gems_are_installed_from_debian_and_locked_by_dotcloud(tmp_path: Path) -> None:
    files = files_of(tmp_path, ruby(), GEMFILE_2012)
    dockerfile = files["Dockerfile"]
    assert "ruby-redis ruby-sinatra ruby-sinatra-contrib thin" in dockerfile
    assert "COPY --chown=dotcloud:dotcloud platform/Gemfile /home/dotcloud/Gemfile" in dockerfile
    locked = dockerfile.split("platform/Gemfile /home/dotcloud/Gemfile\n", 1)[1]
    assert locked.startswith("USER dotcloud\nRUN cd /home/dotcloud && bundle lock --local\n")
    assert 'ENV BUNDLE_GEMFILE="/home/dotcloud/Gemfile"' in dockerfile
    assert files["platform/Gemfile"] == gemfile.bundler_gemfile(GEMFILE_2012, RUBY)


def test_nginx_serves_public_and_passes_the_rest_to_passenger(tmp_path: Path) -> None:
    site = files_of(tmp_path, ruby())["platform/nginx-site.conf"]
    assert "listen 8080 default_server;" in site
    assert "root /home/dotcloud/current/public;" in site
    assert "try_files $uri @passenger;" in site
    assert f"proxy_pass http://127.0.0.1:{stacks.PASSENGER_PORT};" in site
    assert "include /home/dotcloud/current/*nginx.conf;" in site


def test_passenger_serves_config_ru_in_the_rack_env(tmp_path: Path) -> None:
    start = files_of(tmp_path, ruby(config={"rack-env": "staging"}))["platform/passenger"]
    assert start.startswith("#!/bin/sh\n")
    assert "start /home/dotcloud/current" in start
    assert "--engine builtin --nginx-bin /usr/sbin/nginx --no-install-runtime" in start
    assert f"--address 127.0.0.1 --port {stacks.PASSENGER_PORT}" in start
    assert "--environment staging" in start
    assert "--max-pool-size 6" in start


def test_every_program_gets_rack_env_production_by_default(tmp_path: Path) -> None:
    for type_name in ("ruby", "ruby-worker"):
        conf = files_of(tmp_path, ruby(type_name, process="ruby worker.rb"))[
            "platform/supervisord.conf"
        ]
        assert 'environment = RACK_ENV="production",RAILS_ENV="production"\n' in conf
    python = Service("www", "python", approot="www")
    assert "environment =" not in files_of(tmp_path, python)["platform/supervisord.conf"]


def test_a_save_restarts_the_application_and_a_gemfile_redeploys(tmp_path: Path) -> None:
    for type_name in ("ruby", "ruby-worker"):
        service = ruby(type_name)
        application = Application("shop", tmp_path, tmp_path / "dotcloud.yml", (service,))
        assert runs_from_tree(service)
        saved = plan_changes(application, [tmp_path / "www" / "app.rb"])
        assert (saved.restart, saved.redeploy) == (["www"], False), type_name
        for name in ("Gemfile", "Gemfile.lock"):
            assert plan_changes(application, [tmp_path / "www" / name]).redeploy, name


# --- readiness ----------------------------------------------------------------------------------


def probe(tmp_path: Path) -> dict[str, Any]:
    source = files_of(tmp_path, ruby())["platform/dotcloud-health"]
    assert source.startswith("#!/usr/bin/python3\n")
    namespace: dict[str, Any] = {"__name__": "probe"}
    exec(compile(source, "dotcloud-health", "exec"), namespace)
    return namespace


SPAWN_FAILURE = """\
[ 2026-12-03 17:25:23.3102 23/7f24 age/Cor/CoreMain.cpp:732 ]: Passenger core online, PID 23
App 58 stdout:
[ 2026-12-03 17:25:29.7176 23/7f23 age/Cor/App/Implementation.cpp:304 ]: Could not spawn process \
for application /home/dotcloud/current: An error occurred while starting up the preloader.
  Error ID: 891052b7
  Error details saved to: /tmp/passenger-error-YAHfJU.html
  Message from application: cannot load such file -- ./settings_2012 (LoadError)
  /usr/lib/ruby/vendor_ruby/rubygems/core_ext/kernel_require.rb:85:in `require'
  config.ru:2:in `block in <main>'
  /usr/lib/ruby/vendor_ruby/rack/builder.rb:71:in `instance_eval'
  config.ru:1:in `<main>'
  /usr/share/passenger/helper-scripts/rack-preloader.rb:110:in `eval'


[ 2026-12-03 17:25:29.7743 23/7f24 age/Cor/Con/CheckoutSession.cpp:283 ]: [Client 1-1] Cannot \
checkout session because a spawning error occurred.
"""

REQUEST_ERROR = """\
App 59 stderr: 2026-12-03 17:30:08 - NoMethodError - undefined method `incr' for nil:NilClass:
App 59 stderr: \t/usr/lib/ruby/vendor_ruby/sinatra/base.rb:1095:in `dispatch!'
App 59 stderr: \t/home/dotcloud/code/www/app.rb:28:in `block in <top (required)>'
App 59 stderr: 127.0.0.1 - - [03/Dec/2026:17:30:08 +0000] "GET / HTTP/1.1" 500 30 0.0177
"""


def test_a_spawn_failure_gives_passengers_message_and_the_apps_lines(tmp_path: Path) -> None:
    assert probe(tmp_path)["spawn_failure_lines"](SPAWN_FAILURE) == [
        "Could not spawn process for application /home/dotcloud/current: An error occurred "
        "while starting up the preloader.",
        "Message from application: cannot load such file -- ./settings_2012 (LoadError)",
        "config.ru:2:in `block in <main>'",
        "config.ru:1:in `<main>'",
    ]


def test_an_error_in_a_request_gives_the_apps_stderr_without_library_frames(
    tmp_path: Path,
) -> None:
    assert probe(tmp_path)["spawn_failure_lines"](REQUEST_ERROR) == [
        "2026-12-03 17:30:08 - NoMethodError - undefined method `incr' for nil:NilClass:",
        "/home/dotcloud/code/www/app.rb:28:in `block in <top (required)>'",
    ]
    assert probe(tmp_path)["spawn_failure_lines"]("") == []


# --- the example --------------------------------------------------------------------------------


def example() -> Application:
    return load_application(EXAMPLE, "sinatraredis").application


def test_the_example_has_only_notes_but_for_its_development_gem() -> None:
    loaded = load_application(EXAMPLE, "sinatraredis")
    assert [w.message for w in loaded.warnings] == [
        "gem 'shotgun' is not installed: rubygems.org is not reached from the builds here and "
        "Debian bullseye has no package of it"
    ]
    assert any("sinatra 1.3.3 runs as Debian's ruby-sinatra" in n.message for n in loaded.notes)


def test_the_example_reads_redis_from_environment_json_only() -> None:
    code = "".join(path.read_text() for path in sorted(EXAMPLE.glob("*/*.rb")))
    assert code.count("/home/dotcloud/environment.json") == 2
    assert "ENV['DOTCLOUD" not in code
    assert "REDIS_URL" not in code


def test_the_swarm_stack_routes_the_gateway_to_nginx_on_8080() -> None:
    application = example()
    images = StackImages(
        {name: f"dotcloud-sinatraredis/{name}:img-1" for name in application.service_names},
        "dotcloud-sinatraredis/gateway-nginx:img-1",
    )
    files = render_stack(
        application, example_state(application), Settings(Path("/nonexistent")), images, "n1"
    )
    contents = {file.path.name: file.content for file in files}
    stack = yaml.safe_load(contents["stack.yml"])
    assert stack["services"]["www"]["deploy"]["endpoint_mode"] == "dnsrr"
    assert "www:8080" in contents["routes.conf"]
    assert "worker:8080" not in contents["routes.conf"]


def test_the_kubernetes_export_is_valid_and_routes_port_8080(tmp_path: Path) -> None:
    files = manifests(render(example()))
    checked = validate_strictly(files, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    www = next(doc for doc in of_kind(files, "StatefulSet") if doc["metadata"]["name"] == "www")
    ports = www["spec"]["template"]["spec"]["containers"][0]["ports"]
    assert ports == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]


def test_requirements_are_gems_from_debian_too(tmp_path: Path) -> None:
    service = ruby(requirements=("haml", "multi_json", "shotgun"))
    dockerfile = files_of(tmp_path, service)["Dockerfile"]
    assert "install -y --no-install-recommends ruby-haml ruby-multi-json \\\n" in dockerfile
    app_dir(tmp_path, "www:\n  type: ruby\n  requirements:\n    - haml\n    - shotgun\n", {})
    assert [w.format() for w in load_application(tmp_path, "shop").warnings] == [
        f'{tmp_path}/dotcloud.yml:5:7: warning: requirement "shotgun" is not installed: no '
        "Debian package provides it for ruby here"
    ]


def test_exclude_bundler_groups_leaves_their_gems_out(tmp_path: Path) -> None:
    app_dir(
        tmp_path,
        "www:\n  type: ruby\n  approot: www\n  exclude_bundler_groups:\n    - development\n",
        {"www/Gemfile": GEMFILE_2012},
    )
    loaded = load_application(tmp_path, "shop")
    # shotgun (development and test) stays: only one of its groups is left out.
    assert [w.message.split(" is ")[0] for w in loaded.warnings] == ["gem 'pony'", "gem 'shotgun'"]
    app_dir(tmp_path, "", {"www/Gemfile": "gem 'rack'\ngroup :development do\n  gem 'pry'\nend\n"})
    (tmp_path / "dotcloud.yml").write_text(
        "www:\n  type: ruby\n  approot: www\n  exclude_bundler_groups:\n    - development\n"
    )
    assert load_application(tmp_path, "shop").warnings == ()
    service = loaded.application.services[0]
    assert gemfile.excluded_groups(service) == ("development",)
    only_development = "gem 'sinatra'\ngroup :development do\n  gem 'shotgun'\nend\n"
    assert [g.name for g in gemfile.service_gems(service, only_development)] == ["sinatra"]
    built = files_of(tmp_path, service, only_development)["platform/Gemfile"]
    assert built.splitlines()[2:] == ["gem 'sinatra'"]

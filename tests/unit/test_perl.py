"""The perl and perl-worker types without Docker: the catalogue entries and perl_version's
mapping, Makefile.PL's prerequisites and the Debian packages serving modules, the build context
(one stack layer for both types, uWSGI's PSGI plugin on app.psgi, /static from static/),
readiness (Perl's lines of an app.psgi that died), development mode, and valid Swarm and
Kubernetes output for examples/dancer-mysql."""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import yaml

from dotcloud_emulator import catalogue
from dotcloud_emulator.api.devchanges import plan_changes
from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.catalogue import perl, stacks
from dotcloud_emulator.engine.causes import last_psgi_error
from dotcloud_emulator.engine.devmode import Outcome, with_application_error
from dotcloud_emulator.engine.inventory import Instance
from dotcloud_emulator.engine.readiness import failure_message
from dotcloud_emulator.generate import approot_facts
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.render.contexts import ApprootFacts, render_build_context
from dotcloud_emulator.render.devmode import dev_volumes, reloads_uwsgi, runs_from_tree
from dotcloud_emulator.render.files import File
from dotcloud_emulator.render.swarm import StackImages, render_stack

from .kubernetes_support import REPO, example_state, manifests, of_kind, render, validate_strictly
from .test_nodejs import stage, validate

EXAMPLE = REPO / "examples" / "dancer-mysql"


def perl_service(type_name: str = "perl", **fields: Any) -> Service:
    config = MappingProxyType(fields.pop("config", {}))
    return Service("www", type_name, approot="www", config=config, **fields)


def files_of(tmp_path: Path, service: Service, facts: ApprootFacts | None = None) -> dict[str, str]:
    application = Application("shop", tmp_path, tmp_path / "dotcloud.yml", (service,))
    items = render_build_context(
        application, service, Settings(tmp_path / "state"), approot_facts=facts
    )
    prefix = f".dotcloud/build/{service.name}/"
    return {
        str(item.path).removeprefix(prefix): item.content
        for item in items
        if isinstance(item, File)
    }


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


# --- the catalogue and perl_version ---------------------------------------------------------------


def test_perl_is_a_web_type_and_perl_worker_is_not() -> None:
    assert catalogue.runs_here("perl")
    assert catalogue.runs_here("perl-worker")
    assert catalogue.serves_http("perl")
    assert not catalogue.serves_http("perl-worker")
    assert [p.name for p in catalogue.stack_for(perl_service()).programs] == ["nginx", "uwsgi"]
    assert catalogue.stack_for(perl_service("perl-worker")).programs == ()
    assert catalogue.config_value(perl_service(), "uwsgi_processes") == 4
    assert catalogue.config_value(perl_service(), "perl_version") == "v5.12.x"


@pytest.mark.parametrize("version", ["v5.12.x", "v5.14.x", "v5.16.x"])
def test_every_perl_version_of_the_platform_runs_on_debians_perl_with_a_note(
    tmp_path: Path, version: str
) -> None:
    messages, loaded = validate(
        tmp_path, f"www:\n  type: perl\n  config:\n    perl_version: {version}\n"
    )
    assert loaded
    assert messages == [
        f"dotcloud.yml:4:19: note: perl_version {version} runs on Perl 5.36 here (Debian "
        f"bookworm's; no Perl {version[1:-2]} can be had)"
    ]


def test_no_perl_version_is_noted_at_the_type_as_the_platforms_default(tmp_path: Path) -> None:
    messages, loaded = validate(tmp_path, "www:\n  type: perl-worker\n")
    assert loaded
    assert messages == [
        "dotcloud.yml:2:9: note: perl_version v5.12.x runs on Perl 5.36 here (Debian "
        "bookworm's; no Perl 5.12 can be had); perl_version v5.12.x is the default"
    ]


def test_another_perl_version_is_an_error_at_its_line(tmp_path: Path) -> None:
    messages, loaded = validate(tmp_path, "www:\n  type: perl\n  config:\n    perl_version: 5.8\n")
    assert not loaded
    assert len(messages) == 1
    assert messages[0].startswith("dotcloud.yml:4:19: error: ")
    assert "v5.12.x" in messages[0]


def test_the_python_only_uwsgi_keys_are_unknown_to_perl(tmp_path: Path) -> None:
    messages, loaded = validate(
        tmp_path, "www:\n  type: perl\n  config:\n    uwsgi_enable_threads: true\n"
    )
    assert loaded
    assert messages[0].startswith(
        'dotcloud.yml:4:5: warning: unknown config key "uwsgi_enable_threads" for a perl service'
    )


# --- Makefile.PL and modules ----------------------------------------------------------------------

MAKEFILE_PL = """use ExtUtils::MakeMaker;
WriteMakefile(
    NAME      => 'guestbook',
    VERSION   => '0.1',
    PREREQ_PM => {
        'Dancer'     => 1.3,
        YAML         => 0,    # bare words too
        "DBD::mysql" => '4.020',
        # 'Commented::Out' => 0,
        'Plack::Request' => 0,
    },
    BUILD_REQUIRES => { 'Test::More' => 0 },
);
"""

MODULE_INSTALL = """use inc::Module::Install;
name 'traveltime';
all_from 'lib/TravelTime.pm';
requires 'Dancer2' => 0.04;
requires 'Config::General';
test_requires 'Test::More' => 0;
requires ('Template');
WriteAll;
"""


def test_makefile_pl_prerequisites_are_read_with_their_positions() -> None:
    found = [(p.module, p.line, p.column) for p in perl.makefile_pl_prerequisites(MAKEFILE_PL)]
    assert found == [
        ("Dancer", 6, 9),
        ("YAML", 7, 9),
        ("DBD::mysql", 8, 9),
        ("Plack::Request", 10, 9),
        ("Test::More", 12, 25),
    ]


def test_module_install_requires_are_read_too() -> None:
    found = [p.module for p in perl.makefile_pl_prerequisites(MODULE_INSTALL)]
    assert found == ["Dancer2", "Config::General", "Test::More", "Template"]


@pytest.mark.parametrize(
    ("requirement", "package"),
    [
        ("Dancer", "libdancer-perl"),
        ("Plack", "libplack-perl"),
        ("Redis", "libredis-perl"),
        ("DBD::mysql", "libdbd-mysql-perl"),
        ("DBD::Pg", "libdbd-pg-perl"),
        ("Dancer::Plugin::Database", "libdancer-plugin-database-perl"),
        ("Plack::Request", "libplack-perl"),  # in its distribution's package
        ("LWP::UserAgent", "libwww-perl"),  # a distribution of another name
        ("Dancer~1.3100", "libdancer-perl"),  # cpanm's version syntax
        ("Dancer@1.3100", "libdancer-perl"),
        ("App::cpanminus", ""),  # cpanm is in the stack
        ("Starman", "starman"),  # a program's package
        ("strict", ""),  # Perl's core
        ("Test::More", ""),
        ("Acme::No::Such::Thing", None),
        ("http://example.com/Foo-1.0.tar.gz", None),
    ],
)
def test_a_module_is_served_by_its_distributions_debian_package(
    requirement: str, package: str | None
) -> None:
    assert perl.debian_package_for_module(requirement) == package


def test_modules_no_debian_package_serves_are_warnings_at_their_lines(tmp_path: Path) -> None:
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "Makefile.PL").write_text(
        "WriteMakefile(PREREQ_PM => {\n  'Dancer' => 0,\n  'Acme::Unpackaged' => 0,\n});\n"
    )
    messages, loaded = validate(
        tmp_path,
        "www:\n  type: perl\n  approot: www\n  requirements:\n    - Acme::Nowhere\n    - Redis\n",
    )
    assert loaded
    assert messages == [
        'dotcloud.yml:5:7: warning: requirement "Acme::Nowhere" is not installed: no Debian '
        "package provides it for perl here",
        'www/Makefile.PL:3:3: warning: "Acme::Unpackaged" is not installed: no Debian package '
        "provides it, and CPAN cannot be reached from the builds here",
        "dotcloud.yml:2:9: note: perl_version v5.12.x runs on Perl 5.36 here (Debian "
        "bookworm's; no Perl 5.12 can be had); perl_version v5.12.x is the default",
        "www/Makefile.PL:1:1: note: service www: 1 module from Debian's packages (CPAN cannot "
        "be reached from the builds here): Dancer (libdancer-perl)",
    ]


def test_makefile_pl_and_requirements_are_installed_from_debian_after_the_stack(
    tmp_path: Path,
) -> None:
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "Makefile.PL").write_text(MAKEFILE_PL)
    service = perl_service(requirements=("Redis", "JSON~2.0", "Acme::Nowhere"))
    application = Application("shop", tmp_path, tmp_path / "dotcloud.yml", (service,))
    facts = approot_facts(application)["www"]
    assert facts.file_requirements == (
        "Dancer",
        "YAML",
        "DBD::mysql",
        "Plack::Request",
        "Test::More",
    )
    dockerfile = files_of(tmp_path, service, facts)["Dockerfile"]
    installs = re.findall(r"apt-get install -y --no-install-recommends ([^\n\\]+)", dockerfile)
    # The stack layer first (the same for every perl service), then the modules' packages.
    assert "libdancer-perl" not in installs[-2]
    assert installs[-1].split() == [
        "libdancer-perl",
        "libdbd-mysql-perl",
        "libjson-perl",
        "libplack-perl",
        "libredis-perl",
        "libyaml-perl",
    ]


# --- the build context ----------------------------------------------------------------------------


def test_both_types_build_the_same_stack_layer(tmp_path: Path) -> None:
    web = stage(files_of(tmp_path, perl_service())["Dockerfile"], "stack")
    worker = stage(files_of(tmp_path, perl_service("perl-worker"))["Dockerfile"], "stack")
    assert web.replace("perl-worker", "perl") == worker.replace("perl-worker", "perl")
    assert "uwsgi-plugin-psgi" in web
    assert "libplack-perl" in web


def test_uwsgi_runs_app_psgi_with_the_psgi_plugin_and_the_uwsgi_keys(tmp_path: Path) -> None:
    service = perl_service(
        config={"uwsgi_processes": 2, "uwsgi_harakiri": 30, "uwsgi_buffer_size": 8192}
    )
    ini = files_of(tmp_path, service)["platform/uwsgi.ini"]
    for line in (
        "plugins = psgi",
        "psgi = /home/dotcloud/current/app.psgi",
        "processes = 2",
        "harakiri = 30",
        "buffer-size = 8192",
        "need-app = true",
        "socket = /var/dotcloud/uwsgi.sock",
    ):
        assert f"\n{line}\n" in ini, line
    assert "wsgi" not in ini.replace("uwsgi", "")
    assert "memory-report" not in ini
    reported = files_of(tmp_path, perl_service(config={"uwsgi_memory_report": True}))
    assert "\nmemory-report = true\n" in reported["platform/uwsgi.ini"]


def test_static_is_served_by_nginx_and_the_rest_goes_to_uwsgi(tmp_path: Path) -> None:
    site = files_of(tmp_path, perl_service(), ApprootFacts(serves_static=True))[
        "platform/nginx-site.conf"
    ]
    assert "location /static {\n        alias /home/dotcloud/current/static;" in site
    assert "uwsgi_pass unix:/var/dotcloud/uwsgi.sock;" in site
    assert "include /home/dotcloud/current/*nginx.conf;" in site


def test_perl_finds_the_approots_files_and_modules_as_on_5_12(tmp_path: Path) -> None:
    dockerfile = files_of(tmp_path, perl_service())["Dockerfile"]
    assert 'ENV PERL_USE_UNSAFE_INC="1"' in dockerfile
    assert 'ENV PERL5LIB="/home/dotcloud/perl5/lib/perl5:/home/dotcloud/current/lib"' in dockerfile
    assert 'ENV PLACK_ENV="deployment"' in dockerfile


def test_the_worker_runs_its_process_under_supervisor_without_a_web_front(tmp_path: Path) -> None:
    files = files_of(tmp_path, perl_service("perl-worker", process="perl counter.pl"))
    conf = files["platform/supervisord.conf"]
    assert "[program:www]" in conf
    assert "command = /bin/sh -lc 'exec perl counter.pl'" in conf
    assert "nginx" not in conf
    assert "uwsgi" not in conf
    assert "platform/uwsgi.ini" not in files


def test_readiness_waits_for_uwsgi_to_load_app_psgi(tmp_path: Path) -> None:
    health = files_of(tmp_path, perl_service())["platform/dotcloud-health"]
    assert "uWSGI has not loaded the application (app.psgi) in any worker yet" in health


# --- readiness ------------------------------------------------------------------------------------

DIED = [
    "spawned uWSGI worker 4 (pid: 95, cores: 1)",
    'Error while loading /home/dotcloud/current/app.psgi: Global symbol "$$" requires '
    'explicit package name (did you forget to declare "my $$"?).',
    "Can't locate Guestbook/Settings.pm in @INC (you may need to install the "
    "Guestbook::Settings module) (@INC contains: /home/dotcloud/current/lib /etc/perl) at "
    "/home/dotcloud/current/app.psgi line 2.",
    "BEGIN failed--compilation aborted at /home/dotcloud/current/app.psgi line 2.",
    "unable to find PSGI function entry point.",
    "*** no app loaded. GAME OVER ***",
    *(f"worker {n} buried after 1 seconds" for n in range(1, 5)),
    "goodbye to uWSGI.",
    *(f"VACUUM: line {n}" for n in range(15)),
    "2026-12-03 17:04:30,586 WARN exited: uwsgi (exit status 0; not expected)",
]


def test_the_lines_of_an_app_psgi_that_died_are_found_without_uwsgis() -> None:
    assert last_psgi_error(DIED) == [
        "/home/dotcloud/current/app.psgi died while uWSGI loaded it:",
        DIED[2],
        DIED[3],
    ]
    assert last_psgi_error(DIED[:1]) == []


def test_the_failure_shows_perls_lines_first() -> None:
    message = failure_message("www.0", "Supervisor gave up: uwsgi keeps crashing", DIED)
    assert message.startswith(
        "www.0 did not become responsive: Supervisor gave up: uwsgi keeps crashing\n"
        "the application's error in the log of www.0:\n"
        "    /home/dotcloud/current/app.psgi died while uWSGI loaded it:\n"
        "    Can't locate Guestbook/Settings.pm in @INC"
    )


# --- development mode -----------------------------------------------------------------------------


def test_a_save_restarts_the_programs_through_supervisor(tmp_path: Path) -> None:
    www = perl_service()
    worker = Service("counter", "perl-worker", approot="worker", process="perl counter.pl")
    application = Application("shop", tmp_path, tmp_path / "dotcloud.yml", (www, worker))
    assert runs_from_tree(www)
    assert runs_from_tree(worker)
    assert not reloads_uwsgi(www)  # the master FIFO reload is the Python wrapper's
    assert [volume["target"] for volume in dev_volumes(www)] == ["/home/dotcloud/code/www"]
    changes = plan_changes(application, [tmp_path / "www" / "lib" / "guestbook.pm"])
    assert (changes.redeploy, changes.reload, changes.restart) == (False, [], ["www"])
    changes = plan_changes(application, [tmp_path / "worker" / "counter.pl"])
    assert changes.restart == ["counter"]
    assert plan_changes(application, [tmp_path / "www" / "static" / "style.css"]).empty
    assert plan_changes(application, [tmp_path / "www" / "Makefile.PL"]).redeploy


# --- the example on other engines -----------------------------------------------------------------


def example() -> Application:
    return load_application(EXAMPLE, "dancermysql").application


def test_the_example_validates_with_only_the_notes_of_its_perl_and_modules() -> None:
    loaded = load_application(EXAMPLE, "dancermysql", strict=True)
    assert loaded.warnings == ()
    assert [note.message.split("; perl_version")[0].split(":")[0] for note in loaded.notes] == [
        "perl_version v5.12.x runs on Perl 5.36 here (Debian bookworm's; no Perl 5.12 can be had)",
        "perl_version v5.12.x runs on Perl 5.36 here (Debian bookworm's; no Perl 5.12 can be had)",
        "service www",
    ]


def test_the_example_reads_its_database_from_environment_json_only() -> None:
    code = "".join(
        path.read_text() for path in sorted(EXAMPLE.rglob("*.p[lm]")) if path.name != "Makefile.PL"
    )
    assert code.count("/home/dotcloud/environment.json") == 2  # the page and the worker
    assert "$ENV{" not in code
    assert "DBI->connect(" in code


def test_the_swarm_stack_routes_the_gateway_to_nginx_on_8080() -> None:
    application = example()
    images = StackImages(
        {name: f"dotcloud-dancermysql/{name}:img-1" for name in application.service_names},
        "dotcloud-dancermysql/gateway-nginx:img-1",
    )
    files = render_stack(
        application, example_state(application), Settings(Path("/nonexistent")), images, "n1"
    )
    contents = {file.path.name: file.content for file in files}
    stack = yaml.safe_load(contents["stack.yml"])
    assert stack["services"]["www"]["deploy"]["endpoint_mode"] == "dnsrr"
    assert "www:8080" in contents["routes.conf"]
    assert "counter:8080" not in contents["routes.conf"]


def test_the_kubernetes_export_is_valid_and_routes_port_8080(tmp_path: Path) -> None:
    files = manifests(render(example()))
    checked = validate_strictly(files, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    www = next(doc for doc in of_kind(files, "StatefulSet") if doc["metadata"]["name"] == "www")
    ports = www["spec"]["template"]["spec"]["containers"][0]["ports"]
    assert ports == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]


def test_stacks_module_names_the_perl_it_runs() -> None:
    assert stacks.PERL.template_values == (
        ("perl_version", perl.PERL_VERSION),
        ("application_file", "app.psgi"),
    )


class LoggingContainer:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def logs(self, tail: int) -> bytes:
        return "\n".join(self.log[-tail:]).encode()


class LoggingClient:
    def __init__(self, log: list[str]) -> None:
        self.containers = self
        self.container = LoggingContainer(log)

    def get(self, container_id: str) -> LoggingContainer:
        assert container_id == "c0"
        return self.container


def test_a_save_that_fails_to_restart_says_perls_words() -> None:
    instance = Instance("shop", "www", 0, "service", "perl", "c0", "n0", "running", None, 0)
    failed = Outcome("www.0", False, "uwsgi: ERROR (spawn error)")
    shown = with_application_error(LoggingClient(DIED), instance, failed)
    assert shown.output.splitlines() == [
        "uwsgi: ERROR (spawn error)",
        "/home/dotcloud/current/app.psgi died while uWSGI loaded it:",
        DIED[2],
        DIED[3],
    ]
    assert with_application_error(LoggingClient(DIED[:1]), instance, failed) == failed

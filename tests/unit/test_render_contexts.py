"""Build contexts: Dockerfiles, supervisord, nginx, uWSGI, entrypoints; quoting and stages."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path, PurePosixPath
from types import MappingProxyType

import jinja2
import pytest

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.render.contexts import ApprootFacts, render_build_context
from dotcloud_emulator.render.files import CodeSnapshot, File
from dotcloud_emulator.render.templating import render_template

CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
HOSTILE = """echo "$HOME" '; touch /tmp/pwned; echo 100% `id`"""


def application(root: Path, *services: Service) -> Application:
    return Application("tutorial", root, root / "dotcloud.yml", services)


def files_of(
    root: Path, service: Service, *, ca_bundle: str = CA, has_requirements_file: bool = True
) -> dict[str, str]:
    items = render_build_context(
        application(root, service),
        service,
        Settings(root / "state"),
        ca_bundle=ca_bundle,
        approot_facts=ApprootFacts(has_requirements_file=has_requirements_file),
    )
    prefix = f".dotcloud/build/{service.name}/"
    rendered = {}
    for item in items:
        if isinstance(item, File):
            rendered[str(item.path).removeprefix(prefix)] = item.content
    return rendered


PY3 = MappingProxyType({"python_version": "v3.11"})


def www(**fields: object) -> Service:
    """The sample's web service, on Python 3.11 as the sample asks."""
    fields.setdefault("config", PY3)
    return Service("www", "python", approot="services/www", **fields)  # type: ignore[arg-type]


def stages(dockerfile: str) -> list[str]:
    """Each stage's instructions, from its FROM line on, without comments and blank lines."""
    instructions = "\n".join(
        line for line in dockerfile.splitlines() if line.strip() and not line.startswith("#")
    )
    return ["FROM " + part + "\n" for part in ("\n" + instructions).split("\nFROM ")[1:]]


def test_python_context_files(tmp_path: Path) -> None:
    assert set(files_of(tmp_path, www())) == {
        "Dockerfile",
        "ca-bundle.crt",
        "platform/profile",
        "platform/supervisord.conf",
        "platform/nginx.conf",
        "platform/nginx-site.conf",
        "platform/uwsgi.ini",
        "platform/dotcloud-init",
        "platform/dotcloud-health",
    }


def test_executables_and_code_snapshot(tmp_path: Path) -> None:
    service = www()
    items = render_build_context(application(tmp_path, service), service, Settings(tmp_path))
    modes = {str(item.path): item.mode for item in items if isinstance(item, File)}
    assert modes[".dotcloud/build/www/platform/dotcloud-init"] == 0o755
    assert modes[".dotcloud/build/www/Dockerfile"] == 0o644
    snapshots = [item for item in items if isinstance(item, CodeSnapshot)]
    assert snapshots == [CodeSnapshot(tmp_path, PurePosixPath(".dotcloud/build/www/code"))]


def test_the_ca_bundle_stays_in_the_discarded_stages(tmp_path: Path) -> None:
    dockerfile = files_of(tmp_path, www())["Dockerfile"]
    tooling, trust, stack, build, final = stages(dockerfile)
    assert trust.startswith("FROM tooling AS trust")
    assert "COPY ca-bundle.crt /tmp/ca.crt" in trust
    assert build.startswith("FROM tooling AS build")
    assert "COPY --from=trust /etc/ssl/certs/ca-certificates.crt" in build
    assert "PIP_CERT=/etc/ssl/certs/ca-certificates.crt" in build
    for kept in (tooling, stack, final):
        assert "ca-bundle" not in kept
        assert "trust" not in kept
    assert final.startswith("FROM stack\n")
    assert "COPY --from=build --chown=dotcloud:dotcloud /home/dotcloud/env" in final


def test_without_a_bundle_the_trust_stage_adds_nothing(tmp_path: Path) -> None:
    files = files_of(tmp_path, www(requirements=("flask",), prebuild="make"), ca_bundle="")
    assert "--cert" not in files["Dockerfile"]
    assert "--mount=type=bind,from=trust" not in files["Dockerfile"]
    assert files["ca-bundle.crt"] == ""


def test_the_stack_installs_from_the_lists_the_tooling_fetched(tmp_path: Path) -> None:
    dockerfile = files_of(tmp_path, www())["Dockerfile"]
    lists = "RUN --mount=type=cache,id=dotcloud-apt-lists-bookworm,target=/var/lib/apt/lists"
    tooling, stack = (
        next(text for text in stages(dockerfile) if text.startswith(f"FROM {start}"))
        for start in ("debian:bookworm-slim AS tooling\n", "tooling AS stack\n")
    )
    # The tooling fetches the lists into the build cache, not into its layer.
    assert f"{lists},sharing=locked \\\n    apt-get update" in tooling
    assert "rm -rf /var/lib/apt/lists" not in tooling
    # The stack reads them there, and fetches them again only when its install fails.
    install = stack.split("\nRUN ")[1]
    assert install.startswith(lists[len("RUN ") :])
    first, fallback = install.split("||")
    assert "apt-get update" not in first
    assert "apt-get install -y --no-install-recommends" in first
    assert "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install" in fallback
    script = install.split("sharing=locked", 1)[1]
    syntax = subprocess.run(["sh", "-n"], input=script, text=True, capture_output=True, check=False)
    assert syntax.returncode == 0, syntax.stderr


def test_requirements_file_is_copied_only_when_present(tmp_path: Path) -> None:
    with_file = files_of(tmp_path, www())["Dockerfile"]
    assert 'COPY ["code/services/www/requirements*.txt", "/tmp/requirements/"]' in with_file
    assert "-r /tmp/requirements/requirements.txt" in with_file
    without = files_of(tmp_path, www(), has_requirements_file=False)["Dockerfile"]
    assert "requirements" not in without


def test_yml_requirements_are_separate_json_arguments(tmp_path: Path) -> None:
    dockerfile = files_of(tmp_path, www(requirements=("redis>=4", 'x"; rm -rf /')))["Dockerfile"]
    assert (
        'RUN ["/home/dotcloud/env/bin/pip", "install", "redis>=4", "x\\"; rm -rf /"]'
    ) in dockerfile


def test_systempackages_are_shell_quoted_after_the_shared_stack_lines(tmp_path: Path) -> None:
    plain = files_of(tmp_path, www())["Dockerfile"]
    extra = files_of(tmp_path, www(systempackages=("libpq-dev", "x; rm -rf /")))["Dockerfile"]
    assert "libpq-dev 'x; rm -rf /'" in extra
    shared = stages(plain)[2]
    extra_stack = stages(extra)[2]
    assert extra_stack.startswith(shared)
    assert "libpq-dev" in extra_stack.removeprefix(shared)


def test_the_virtualenv_is_made_beside_the_stack_unless_system_packages_come_first(
    tmp_path: Path,
) -> None:
    # Built on the tooling, the build stage does not wait for the stack's packages...
    build = stages(files_of(tmp_path, www())["Dockerfile"])[3]
    assert build.startswith("FROM tooling AS build\nRUN useradd --uid 1000 ")
    assert "USER dotcloud\nRUN python3 -m venv /home/dotcloud/env\n" in build
    # ...but pip may build against a package the service asked for, which the stack stage has.
    extra = files_of(tmp_path, www(systempackages=("libgeos-dev",)))["Dockerfile"]
    build = stages(extra)[3]
    assert build.startswith("FROM stack AS build\n")
    assert "useradd" not in build


def test_the_stack_is_the_same_for_every_python_service(tmp_path: Path) -> None:
    one = files_of(tmp_path, www())["Dockerfile"]
    other = files_of(tmp_path, Service("api", "python", approot="api", config=PY3))["Dockerfile"]
    worker = files_of(tmp_path, Service("w", "python-worker", config=PY3))["Dockerfile"]
    assert stages(one)[:3] == stages(other)[:3]
    assert stages(one)[0].startswith("FROM debian:bookworm-slim AS tooling\n")
    assert stages(one)[2].startswith("FROM tooling AS stack\n")
    # The tooling layer and the trust stage are shared by every code service of the release.
    assert stages(worker)[:2] == stages(one)[:2]


def test_hooks_run_as_dotcloud_in_exec_form(tmp_path: Path) -> None:
    service = www(prebuild="make assets", postbuild=HOSTILE)
    final = stages(files_of(tmp_path, service, ca_bundle="")["Dockerfile"])[-1]
    assert 'RUN ["/bin/sh", "-lc", "make assets"]' in final
    hostile = 'RUN ["/bin/sh", "-lc", "echo \\"$HOME\\" \'; touch /tmp/pwned; echo 100% `id`"]'
    assert hostile in final
    assert final.index("USER dotcloud") < final.index("make assets") < final.index("USER root")


def test_hooks_see_the_ca_bundle_for_their_own_command_only(tmp_path: Path) -> None:
    final = stages(files_of(tmp_path, www(prebuild="make assets"))["Dockerfile"])[-1]
    mount = "RUN --mount=type=bind,from=trust,source=/etc/ssl/certs/ca-certificates.crt,"
    assert mount in final
    assert (
        '"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "/bin/sh", "-lc", "make assets"]'
        in final
    )
    assert "COPY ca-bundle" not in final


def test_current_links_to_the_approot(tmp_path: Path) -> None:
    assert (
        "ln -sfn code/services/www /home/dotcloud/current"
        in files_of(tmp_path, www())["Dockerfile"]
    )
    top = files_of(tmp_path, Service("www", "python"))["Dockerfile"]
    assert "ln -sfn code /home/dotcloud/current" in top


def test_an_approot_outside_the_application_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r'approot "../elsewhere" must be a folder inside'):
        files_of(tmp_path, Service("www", "python", approot="../elsewhere"))


def supervisor_programs(conf: str) -> dict[str, dict[str, str]]:
    programs: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in conf.splitlines():
        if line.startswith("[program:"):
            current = programs.setdefault(line[len("[program:") : -1], {})
        elif line.startswith("["):
            current = None
        elif current is not None and " = " in line:
            key, value = line.split(" = ", 1)
            current[key] = value
    return programs


def test_processes_are_shell_quoted_supervisor_programs(tmp_path: Path) -> None:
    service = www(processes=MappingProxyType({"worker": HOSTILE, "beat": "celery beat"}))
    programs = supervisor_programs(files_of(tmp_path, service)["platform/supervisord.conf"])
    assert list(programs) == ["nginx", "uwsgi", "worker", "beat"]
    command = programs["worker"]["command"].replace("%%", "%")
    assert shlex.split(command) == ["/bin/sh", "-lc", f"exec {HOSTILE}"]
    assert programs["worker"]["directory"] == "/home/dotcloud/current"
    assert programs["worker"]["stdout_logfile"] == "/dev/stdout"
    assert programs["worker"]["stdout_logfile_maxbytes"] == "0"


def test_uwsgi_must_stay_up_the_settle_time_for_a_start_to_count(tmp_path: Path) -> None:
    programs = supervisor_programs(files_of(tmp_path, www())["platform/supervisord.conf"])
    assert programs["uwsgi"]["startsecs"] == "4"
    assert "startsecs" not in programs["nginx"]


def test_a_single_process_is_named_after_the_service(tmp_path: Path) -> None:
    service = Service("jobs", "python-worker", process="python work.py")
    programs = supervisor_programs(files_of(tmp_path, service)["platform/supervisord.conf"])
    assert list(programs) == ["jobs"]
    assert programs["jobs"]["command"] == "/bin/sh -lc 'exec python work.py'"


def test_a_process_cannot_take_a_platform_program_name(tmp_path: Path) -> None:
    service = www(processes=MappingProxyType({"nginx": "nginx -g 'daemon off;'"}))
    with pytest.raises(UsageError, match=r'process name "nginx" is taken'):
        files_of(tmp_path, service)


def test_a_multi_line_process_is_refused(tmp_path: Path) -> None:
    service = www(processes=MappingProxyType({"job": "echo a\necho b"}))
    with pytest.raises(UsageError, match="cannot span several lines"):
        files_of(tmp_path, service)


def test_the_application_supervisord_conf_is_included(tmp_path: Path) -> None:
    conf = files_of(tmp_path, www())["platform/supervisord.conf"]
    assert conf.rstrip().endswith("[include]\nfiles = /var/dotcloud/supervisord-app.conf")


def test_uwsgi_ini_follows_the_config_keys(tmp_path: Path) -> None:
    default = files_of(tmp_path, www())["platform/uwsgi.ini"]
    assert "processes = 4\n" in default
    assert "disable-logging = true\n" in default
    assert "harakiri" not in default
    assert "enable-threads" not in default
    tuned = www(
        config=MappingProxyType(
            {
                "uwsgi_processes": 2,
                "uwsgi_harakiri": 60,
                "uwsgi_memory_report": True,
                "uwsgi_enable_threads": True,
                "uwsgi_buffer_size": 8192,
            }
        )
    )
    ini = files_of(tmp_path, tuned)["platform/uwsgi.ini"]
    for line in ("processes = 2", "harakiri = 60", "memory-report = true", "enable-threads = true"):
        assert f"{line}\n" in ini
    assert "buffer-size = 8192\n" in ini
    assert "disable-logging" not in ini
    assert "module = wsgi:application\n" in ini
    assert "home = /home/dotcloud/env\n" in ini


def test_nginx_site_is_the_platform_server_block(tmp_path: Path) -> None:
    site = files_of(tmp_path, www())["platform/nginx-site.conf"]
    assert "listen 8080 default_server;" in site
    # The server block's defaults are inherited from the http block, so the application's
    # nginx.conf may set them (nginx refuses a directive set twice in one block).
    directives = [line.split()[0] for line in site.splitlines() if line.strip().endswith(";")]
    assert "client_max_body_size" not in directives
    assert "root" not in directives
    assert site.index("include /home/dotcloud/current/*nginx.conf;") < site.index("location /")
    assert "if (-f /home/dotcloud/current/maintenance) {\n            return 503;" in site
    assert "uwsgi_pass unix:/var/dotcloud/uwsgi.sock;" in site
    assert "include /home/dotcloud/current/*uwsgi.conf;" in site
    nginx = files_of(tmp_path, www())["platform/nginx.conf"]
    assert "log_format combined-realip '$remote_addr ($http_x_real_ip) - $remote_user" in nginx
    assert "access_log /var/log/nginx/access.log combined-realip buffer=64k flush=1s;" in nginx
    http_block = nginx[nginx.index("http {") : nginx.index("server {")]
    assert "    root /home/dotcloud/current/;\n" in http_block
    assert "    client_max_body_size 1m;\n" in http_block


def test_postinstall_is_quoted_into_the_entrypoint(tmp_path: Path) -> None:
    init = files_of(tmp_path, www(postinstall=HOSTILE))["platform/dotcloud-init"]
    line = next(line for line in init.splitlines() if line.startswith("POSTINSTALL="))
    assert shlex.split(line.removeprefix("POSTINSTALL=")) == [HOSTILE]
    assert init.startswith("#!/bin/sh\n")
    assert "exec /usr/bin/setpriv --reuid=dotcloud" in init


def test_static_serves_files_without_uwsgi(tmp_path: Path) -> None:
    files = files_of(tmp_path, Service("site", "static"))
    assert "platform/uwsgi.ini" not in files
    assert "ca-bundle.crt" not in files
    assert "try_files $uri $uri/ =404;" in files["platform/nginx-site.conf"]
    assert list(supervisor_programs(files["platform/supervisord.conf"])) == ["nginx"]
    assert "uwsgi" not in files["platform/dotcloud-health"]


def test_python_worker_has_no_http_front(tmp_path: Path) -> None:
    files = files_of(tmp_path, Service("jobs", "python-worker", process="python work.py"))
    assert "platform/nginx.conf" not in files
    assert "EXPOSE" not in files["Dockerfile"]
    assert "supervisorctl" in files["platform/dotcloud-health"]


def test_redis_reads_its_password_from_the_mounted_environment(tmp_path: Path) -> None:
    files = files_of(tmp_path, Service("session", "redis", approot="services/session"))
    assert set(files) == {
        "Dockerfile",
        "platform/profile",
        "platform/dotcloud-init",
        "platform/dotcloud-health",
        "platform/dotcloud-promote",
    }
    init = files["platform/dotcloud-init"]
    assert 'password="$(profile_value DOTCLOUD_SESSION_REDIS_PASSWORD)"' in init
    assert 'echo "user root on >$password ~* &* +@all"' in init
    assert 'echo "include $HOME_DIR/current/redis.conf"' in init
    assert init.index("include $HOME_DIR") < init.index("requirepass")
    # Redis's timers at 2 Hz (an idle instance's cost), before the include: the user's file may
    # set its own.
    assert 'echo "hz 2"' in init
    assert init.index('echo "hz 2"') < init.index("include $HOME_DIR")
    health = files["platform/dotcloud-health"]
    assert 'REDISCLI_AUTH="${DOTCLOUD_SESSION_REDIS_PASSWORD:-}"' in health
    assert "EXPOSE 6379" in files["Dockerfile"]


def test_redis_snapshot_holds_only_its_approot(tmp_path: Path) -> None:
    service = Service("session", "redis", approot="services/session")
    items = render_build_context(application(tmp_path, service), service, Settings(tmp_path))
    snapshot = next(item for item in items if isinstance(item, CodeSnapshot))
    assert snapshot.include == PurePosixPath("services/session")


def test_a_missing_template_variable_fails_at_render_time() -> None:
    with pytest.raises(jinja2.UndefinedError, match="uwsgi_plugin"):
        render_template("code/uwsgi.ini.j2", app="a", service="b")

"""What the python service did for applications of its time: /static, the virtualenv on the PATH."""

from __future__ import annotations

import configparser
import re
import subprocess
from pathlib import Path

import pytest

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.generate import approot_facts, defines_static_location
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.render.contexts import ApprootFacts, render_build_context
from dotcloud_emulator.render.files import File

STATIC_BLOCK = "location /static {\n        alias /home/dotcloud/current/static;\n    }"


def rendered(root: Path, service: Service, facts: ApprootFacts) -> dict[str, str]:
    application = Application("app", root, root / "dotcloud.yml", (service,))
    items = render_build_context(
        application, service, Settings(root / "state"), approot_facts=facts
    )
    prefix = f".dotcloud/build/{service.name}/"
    return {
        str(item.path).removeprefix(prefix): item.content
        for item in items
        if isinstance(item, File)
    }


def test_a_python_service_serves_static_when_told(tmp_path: Path) -> None:
    www = Service("www", "python")
    site = rendered(tmp_path, www, ApprootFacts(serves_static=True))["platform/nginx-site.conf"]
    assert STATIC_BLOCK in site
    plain = rendered(tmp_path, www, ApprootFacts())["platform/nginx-site.conf"]
    assert "/static" not in plain


def test_a_static_service_never_gets_the_python_location(tmp_path: Path) -> None:
    site = rendered(tmp_path, Service("web", "static"), ApprootFacts(serves_static=True))
    assert "/static" not in site["platform/nginx-site.conf"]


@pytest.mark.parametrize(
    ("snippet", "defines"),
    [
        ("location /static/ {\n    alias /home/dotcloud/current/static/;\n}\n", True),
        ("location /static {\n  alias /x;\n}\n", True),
        ("  location ^~ /static/ { root /home/dotcloud/current; }\n", True),
        ("location /staticfiles/ { alias /x/; }\n", False),
        ("# location /static/ { }\nlocation /media/ { root /x; }\n", False),
    ],
)
def test_an_approot_snippet_with_its_own_static_location(
    tmp_path: Path, snippet: str, defines: bool
) -> None:
    (tmp_path / "nginx.conf").write_text(snippet)
    assert defines_static_location(tmp_path) is defines


def test_the_writer_reads_what_each_approot_holds(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / name / "static").mkdir(parents=True)
    (tmp_path / "a" / "requirements.txt").write_text("CherryPy==3.2.0\n")
    (tmp_path / "b" / "my-nginx.conf").write_text("location /static/ { alias /s/; }\n")
    (tmp_path / "c" / "static").rmdir()
    services = tuple(Service(name, "python", approot=name) for name in ("a", "b", "c"))
    facts = approot_facts(Application("app", tmp_path, tmp_path / "dotcloud.yml", services))
    assert facts == {
        "a": ApprootFacts(has_requirements_file=True, serves_static=True),
        "b": ApprootFacts(serves_static=False),
        "c": ApprootFacts(),
    }


@pytest.mark.parametrize("type_name", ["python", "python-worker"])
def test_supervisord_starts_with_the_virtualenv_first_on_the_path(
    tmp_path: Path, type_name: str
) -> None:
    init = rendered(tmp_path, Service("w", type_name), ApprootFacts())["platform/dotcloud-init"]
    profile = init.index('. "$HOME/dotcloud_profile"')
    path_line = init.index('PATH="$VIRTUAL_ENV/bin:$PATH"')
    assert profile < path_line < init.index('exec "$@"') < init.index("/usr/bin/supervisord -n")
    assert 'VIRTUAL_ENV="$HOME/env"' in init


@pytest.mark.parametrize(
    "type_name", ["python", "python-worker", "custom", "redis", "postgresql", "mysql"]
)
def test_root_never_reads_the_users_variables(tmp_path: Path, type_name: str) -> None:
    """`environment:` may set PATH or LD_PRELOAD: only processes already run as dotcloud source
    the profile, and root finds its own tools by absolute path."""
    init = rendered(tmp_path, Service("w", type_name), ApprootFacts())["platform/dotcloud-init"]
    before, rest = init.split("/bin/sh -c '", 1)
    dropped, after = rest.split('\' dotcloud "$@"', 1)
    root_part = before + after
    assert not re.search(r"^\s*\. .*dotcloud_profile", root_part, re.MULTILINE)
    assert re.search(r"^\. \"\$HOME/dotcloud_profile\"$", dropped, re.MULTILINE)
    assert "exec /usr/bin/setpriv " in root_part
    assert "\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n" in root_part
    assert " timeout " not in init
    assert " setpriv " not in init


# --- the approot's supervisord.conf: its programs' output reaches `logs` --------------------------

APP_SUPERVISORD_CONF = """\
; 2012-style: no log settings at all
[program:worker]
command = python worker.py

[program:quiet]
command = python quiet.py
stdout_logfile=/home/dotcloud/quiet.log
redirect_stderr = true

[group:all]
programs = worker,quiet

[program:errors]
command = node errors.js
stderr_logfile : /tmp/errors.log
"""


def programs_to_container_output(text: str) -> dict[str, dict[str, str]]:
    from dotcloud_emulator.render.templating import render_template

    functions = render_template("common/init-functions.j2", instance_mount="/x")
    script = f"{functions}\nprograms_to_container_output\n"
    done = subprocess.run(
        ["sh", "-c", script], input=text, capture_output=True, text=True, check=True
    )
    parser = configparser.ConfigParser(delimiters=("=", ":"))
    parser.read_string(done.stdout)
    return {name: dict(parser[name]) for name in parser.sections()}


def test_a_program_with_no_log_settings_writes_to_the_containers_output() -> None:
    sections = programs_to_container_output(APP_SUPERVISORD_CONF)
    assert sections["program:worker"] == {
        "command": "python worker.py",
        "stdout_logfile": "/dev/stdout",
        "stdout_logfile_maxbytes": "0",
        "stderr_logfile": "/dev/stderr",
        "stderr_logfile_maxbytes": "0",
    }


def test_a_programs_own_log_settings_are_kept() -> None:
    sections = programs_to_container_output(APP_SUPERVISORD_CONF)
    assert sections["program:quiet"] == {
        "command": "python quiet.py",
        "stdout_logfile": "/home/dotcloud/quiet.log",
        "redirect_stderr": "true",
    }
    assert sections["program:errors"]["stderr_logfile"] == "/tmp/errors.log"
    assert sections["program:errors"]["stdout_logfile"] == "/dev/stdout"
    assert sections["group:all"] == {"programs": "worker,quiet"}

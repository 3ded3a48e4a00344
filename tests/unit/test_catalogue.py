"""The service-type catalogue: its predicates, and stacks added as one entry each."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import pytest

from dotcloud_emulator import catalogue
from dotcloud_emulator.buildfile.diagnostics import BuildFileError
from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.catalogue import (
    ConfigFile,
    PythonRuntime,
    ServiceType,
    Stack,
    Uwsgi,
    entries,
    stacks,
)
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.render.contexts import render_build_context
from dotcloud_emulator.render.files import File
from dotcloud_emulator.render.templating import environment

RUNS_HERE = (
    "python",
    "python-worker",
    "static",
    "custom",
    "redis",
    "postgresql",
    "mysql",
    "ruby",
    "ruby-worker",
    "perl",
    "perl-worker",
    "php",
    "php-worker",
    "nodejs",
    "java",
    "mysql-masterslave",
    "postgis",
    "mongodb",
    "rabbitmq",
    "smtp",
)

# A made-up code stack: Lua scripts under Supervisor, on the shared `code/` templates.
LUA = Stack(
    name="lua5.4",
    base_image="debian:trixie-slim",
    packages=("ca-certificates", "lua5.4", "supervisor"),
    templates="code",
    dockerfile="code/Dockerfile.j2",
    health="code/dotcloud-health-programs.j2",
    config_files=(ConfigFile("supervisord.conf", "/etc/supervisor/supervisord.conf"),),
)
LUA_TYPE = ServiceType("lua", "code", "run Lua processes", stacks=(LUA,))

# A made-up runtime, as another Python may be added: PyPy on bookworm, uWSGI with Debian's plugin.
PYPY_3 = PythonRuntime(
    version="pypy3",
    accepts=("vpypy3",),
    debian="bookworm",
    base_image="debian:bookworm-slim",
    packages=("pypy3", "pypy3-venv"),
    virtualenv="pypy3 -m venv /home/dotcloud/env",
    uwsgi=Uwsgi(("uwsgi", "uwsgi-plugin-pypy"), plugin="pypy", binary="/usr/bin/uwsgi"),
)


def files_of(root: Path, service: Service) -> dict[str, str]:
    application = Application("shop", root, root / "dotcloud.yml", (service,))
    items = render_build_context(application, service, Settings(root / "state"), ca_bundle="")
    prefix = f".dotcloud/build/{service.name}/"
    return {
        str(item.path).removeprefix(prefix): item.content
        for item in items
        if isinstance(item, File)
    }


def service(name: str, type_name: str, **config: object) -> Service:
    return Service(name, type_name, config=MappingProxyType(config))


@pytest.fixture
def with_pypy(monkeypatch: pytest.MonkeyPatch) -> None:
    runtimes = (*stacks.PYTHON_RUNTIMES, PYPY_3)
    monkeypatch.setitem(catalogue.SERVICE_TYPES, "python", entries.python_type(runtimes))


# --- predicates ----------------------------------------------------------------------------------


def test_the_types_that_run_here_are_those_with_a_stack() -> None:
    assert catalogue.runnable_types() == RUNS_HERE
    assert all(catalogue.runs_here(name) for name in RUNS_HERE)
    assert not catalogue.runs_here("solr")
    assert not catalogue.runs_here("opa")
    assert not catalogue.runs_here("no-such-type")


def test_kinds() -> None:
    kinds = {name: catalogue.SERVICE_TYPES[name].kind for name in RUNS_HERE}
    assert kinds == {
        "python": "code",
        "python-worker": "code",
        "static": "static",
        "custom": "code",
        "redis": "data",
        "postgresql": "data",
        "mysql": "data",
        "mysql-masterslave": "data",
        "ruby": "code",
        "ruby-worker": "code",
        "perl": "code",
        "perl-worker": "code",
        "php": "code",
        "php-worker": "code",
        "mongodb": "data",
        "nodejs": "code",
        "java": "code",
        "postgis": "data",
        "rabbitmq": "data",
        "smtp": "data",
    }
    assert catalogue.is_data(Service("db", "postgresql"))
    assert not catalogue.is_data(Service("www", "static"))
    assert not catalogue.is_data(Service("x", "no-such-type"))


def test_http_types_and_data_ports() -> None:
    assert [name for name in RUNS_HERE if catalogue.serves_http(name)] == [
        "python",
        "static",
        "ruby",
        "perl",
        "php",
        "nodejs",
        "java",
    ]
    port = catalogue.data_port("postgresql")
    assert port is not None
    assert (port.infix, port.scheme, port.port) == ("SQL", "pgsql", 5432)
    assert catalogue.data_port("python") is None
    assert catalogue.data_port("no-such-type") is None


def test_start_periods() -> None:
    periods = {name: catalogue.start_period(Service("s", name)) for name in RUNS_HERE}
    assert periods == {name: 120 for name in RUNS_HERE} | {
        "redis": 30,
        "mongodb": 30,
        "rabbitmq": 90,
        "smtp": 30,
    }


def test_only_python_types_have_a_virtualenv() -> None:
    with_virtualenv = [
        name for name in RUNS_HERE if catalogue.stack_for(Service("s", name)).virtualenv
    ]
    assert with_virtualenv == ["python", "python-worker"]


def test_the_platform_programs_are_reserved_names() -> None:
    names = {
        name: catalogue.stack_for(Service("s", name)).reserved_program_names for name in RUNS_HERE
    }
    assert names["python"] == {"nginx", "uwsgi"}
    assert names["static"] == {"nginx"}
    assert names["python-worker"] == names["custom"] == frozenset()


def test_every_template_a_stack_names_exists() -> None:
    templates = set(environment().list_templates())
    for name in RUNS_HERE:
        for stack in catalogue.SERVICE_TYPES[name].stacks:
            named = {stack.dockerfile, stack.health, f"{stack.templates}/dotcloud-init.j2"}
            named |= {stack.template_of(file) for file in stack.config_files}
            assert named <= templates, stack.name


def test_a_python_version_runs_as_asked_only_on_its_own_python() -> None:
    assert stacks.PYTHON_3_11.runs_as_asked("v3.11")
    assert stacks.PYTHON_3_11.runs_as_asked("v3")
    assert not stacks.PYTHON_3_11.runs_as_asked("v3.1")
    assert not stacks.PYTHON_3_11.runs_as_asked("v3.2")


def test_the_stack_is_chosen_by_python_version() -> None:
    # No python_version: the platform's default, v2.6, which runs on Python 2.7 here.
    assert catalogue.stack_for(service("www", "python")).name == "python2.7"
    assert catalogue.stack_for(service("www", "python", python_version="v2.6")).name == "python2.7"
    assert catalogue.stack_for(service("www", "python", python_version="v2.7")).name == "python2.7"
    assert catalogue.stack_for(service("www", "python", python_version="v3")).name == "python3.11"
    worker = service("w", "python-worker", python_version="v3.2")
    assert catalogue.stack_for(worker).name == "python3.11-worker"


# --- one entry adds a stack ----------------------------------------------------------------------


def test_a_new_code_type_is_one_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(catalogue.SERVICE_TYPES, "lua", LUA_TYPE)
    files = files_of(tmp_path, Service("jobs", "lua", process="lua5.4 main.lua"))
    assert set(files) == {
        "Dockerfile",
        "platform/profile",
        "platform/supervisord.conf",
        "platform/dotcloud-init",
        "platform/dotcloud-health",
    }
    dockerfile = files["Dockerfile"]
    assert dockerfile.splitlines()[1] == "FROM debian:trixie-slim AS stack"
    assert "apt-get install -y --no-install-recommends ca-certificates lua5.4 supervisor" in (
        dockerfile
    )
    assert "COPY platform/supervisord.conf /etc/supervisor/supervisord.conf\n" in dockerfile
    assert "venv" not in dockerfile
    assert (
        "[program:jobs]\ncommand = /bin/sh -lc 'exec lua5.4 main.lua'\n"
        in (files["platform/supervisord.conf"])
    )
    assert "lua" in catalogue.runnable_types()


def test_a_new_code_type_passes_validation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(catalogue.SERVICE_TYPES, "lua", LUA_TYPE)
    (tmp_path / "dotcloud.yml").write_text("jobs:\n  type: lua\n  process: lua5.4 main.lua\n")
    application = load_application(tmp_path, "shop").application
    assert application.service("jobs").type == "lua"


def test_a_new_python_runtime_is_one_entry(tmp_path: Path, with_pypy: None) -> None:
    files = files_of(tmp_path, service("www", "python", python_version="vpypy3"))
    dockerfile = files["Dockerfile"]
    assert "FROM debian:bookworm-slim AS tooling\n" in dockerfile
    assert (
        "--no-install-recommends ca-certificates nginx-light pypy3 pypy3-venv supervisor uwsgi "
        "uwsgi-plugin-pypy \\\n" in dockerfile
    )
    assert "RUN pypy3 -m venv /home/dotcloud/env\n" in dockerfile
    assert "plugins = pypy\n" in files["platform/uwsgi.ini"]


def test_the_existing_runtimes_are_unchanged_beside_a_new_one(
    tmp_path: Path, with_pypy: None
) -> None:
    files = files_of(tmp_path, service("www", "python", python_version="v3.11"))
    assert "FROM debian:bookworm-slim AS tooling\n" in files["Dockerfile"]
    assert "RUN python3 -m venv /home/dotcloud/env\n" in files["Dockerfile"]
    assert "plugins = python3\n" in files["platform/uwsgi.ini"]
    old = files_of(tmp_path, service("www", "python", python_version="v2.7"))
    assert "FROM debian:bullseye-slim AS tooling\n" in old["Dockerfile"]


def test_a_new_python_runtime_is_accepted_by_the_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_pypy: None
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("dotcloud.yml").write_text("www:\n  type: python\n  config:\n    python_version: vpypy3\n")
    loaded = load_application(Path("."), "shop", strict=True)
    assert loaded.application.service("www").config["python_version"] == "vpypy3"


def test_python_27_is_built_with_uwsgi_from_pip_and_the_shims(tmp_path: Path) -> None:
    files = files_of(tmp_path, service("www", "python", python_version="v2.7"))
    dockerfile = files["Dockerfile"]
    assert "RUN virtualenv -p python2.7 /home/dotcloud/env\n" in dockerfile
    assert "/opt/uwsgi/bin/pip install uWSGI==2.0.31" in dockerfile
    assert "COPY --from=uwsgi /opt/uwsgi/bin/uwsgi /usr/local/bin/uwsgi\n" in dockerfile
    assert "plugins" not in files["platform/uwsgi.ini"]
    assert (
        "command = /usr/local/bin/uwsgi --ini /etc/dotcloud/uwsgi.ini\n"
        in (files["platform/supervisord.conf"])
    )
    assert {"platform/shims/pg_config", "platform/shims/era-cc"} <= set(files)
    worker = files_of(tmp_path, service("w", "python-worker", python_version="v2.7"))
    assert "AS uwsgi" not in worker["Dockerfile"]


def test_a_version_no_runtime_accepts_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("dotcloud.yml").write_text("www:\n  type: python\n  config:\n    python_version: v3.9\n")
    with pytest.raises(BuildFileError) as caught:
        load_application(Path("."), "shop")
    assert len(caught.value.diagnostics) == 1
    assert caught.value.diagnostics[0].format().startswith("dotcloud.yml:4:21: error: ")

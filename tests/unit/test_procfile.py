"""Heroku-style applications: the Procfile, .env, runtime.txt and app.json read into the
build-file model (buildfile/heroku.py), their errors at their lines, and hostile files refused
with one clear error."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from dotcloud_emulator import catalogue
from dotcloud_emulator.api.devchanges import plan_changes
from dotcloud_emulator.api.dynos import Dyno, ago, parse_time, ps_lines
from dotcloud_emulator.buildfile.diagnostics import BuildFileError, Reporter
from dotcloud_emulator.buildfile.loader import has_buildfile, load_application
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.buildfile.procfile import (
    MAX_PROCESS_TYPES,
    parse_dotenv,
    parse_procfile,
    parse_runtime,
)
from dotcloud_emulator.cli.main import main
from dotcloud_emulator.platform.environment import instance_environment
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState
from dotcloud_emulator.render.swarm import StackImages, render_stack

WEB = "web: python manage.py runserver 0.0.0.0:$PORT --noreload\n"


def messages(reporter: Reporter) -> list[str]:
    return [found.format() for found in reporter.diagnostics]


def make_app(appdir: Path, procfile: str = WEB, **files: str) -> Path:
    (appdir / "Procfile").write_text(procfile)
    files.setdefault("requirements.txt", "Django==1.4.5\ndj-database-url==0.2.1\n")
    for name, text in files.items():
        (appdir / name).write_text(text)
    return appdir


def load(appdir: Path) -> Application:
    return load_application(appdir, "hello").application


def errors_of(appdir: Path) -> list[str]:
    with pytest.raises(BuildFileError) as caught:
        load_application(appdir, "hello")
    return [found.format() for found in caught.value.diagnostics]


# --- the Procfile ---------------------------------------------------------------------------------


def test_process_types_in_file_order_with_comments_and_blank_lines() -> None:
    reporter = Reporter("Procfile")
    text = "# the dynos\n\nweb: python manage.py runserver 0.0.0.0:$PORT\nworker:   python w.py\n"
    found = parse_procfile(text, "Procfile", reporter)
    assert [(p.name, p.command, p.line) for p in found] == [
        ("web", "python manage.py runserver 0.0.0.0:$PORT", 3),
        ("worker", "python w.py", 4),
    ]
    assert reporter.diagnostics == []


def test_a_line_that_does_not_parse_is_an_error_at_its_line() -> None:
    reporter = Reporter("Procfile")
    parse_procfile("web: python app.py\n\npython worker.py\n", "Procfile", reporter)
    assert messages(reporter) == [
        'Procfile:3:1: error: "python worker.py" is not a process line: write PROCESS_TYPE: '
        "COMMAND (web: python manage.py runserver 0.0.0.0:$PORT)"
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "Web: python app.py",
            'Procfile:1:1: error: process type "Web" cannot be a service name here: use up to 16 '
            "lowercase letters, digits and underscores (each process type runs as the service of "
            "its name)",
        ),
        (
            "worker-2: python w.py",
            'Procfile:1:1: error: process type "worker-2" cannot be a service name here: use up '
            "to 16 lowercase letters, digits and underscores (each process type runs as the "
            "service of its name)",
        ),
        ("web:", "Procfile:1:5: error: process type web has no command"),
    ],
)
def test_an_invalid_process_type_is_an_error_at_its_line(line: str, message: str) -> None:
    reporter = Reporter("Procfile")
    parse_procfile(line + "\n", "Procfile", reporter)
    assert messages(reporter) == [message]


def test_a_process_type_defined_twice_is_an_error() -> None:
    reporter = Reporter("Procfile")
    parse_procfile("web: a\nweb: b\n", "Procfile", reporter)
    assert messages(reporter) == [
        "Procfile:2:1: error: process type web is defined twice (first at line 1)"
    ]


def test_an_empty_procfile_is_an_error() -> None:
    reporter = Reporter("Procfile")
    assert parse_procfile("# nothing\n", "Procfile", reporter) == ()
    assert messages(reporter) == [
        "Procfile:1:1: error: no process type: write at least web: COMMAND"
    ]


def test_five_hundred_process_types_are_one_error(appdir: Path) -> None:
    make_app(appdir, "".join(f"p{n}: python p{n}.py\n" for n in range(500)))
    assert errors_of(appdir) == [
        f"{appdir}/Procfile:{MAX_PROCESS_TYPES + 1}:1: error: more than {MAX_PROCESS_TYPES} "
        "process types: each runs as a service here"
    ]


def test_a_procfile_of_ten_megabytes_is_refused_unread(appdir: Path) -> None:
    make_app(appdir, "web: " + "x" * (10 * 1024 * 1024) + "\n")
    assert errors_of(appdir) == [
        f"{appdir}/Procfile:1:1: error: 10485766 bytes: Procfile is a few lines of text "
        "(at most 262144 bytes here)"
    ]


def test_a_nul_byte_is_an_error_at_its_position(appdir: Path) -> None:
    make_app(appdir, "web: python app.py\nworker: py\0thon w.py\n")
    assert errors_of(appdir) == [
        f"{appdir}/Procfile:2:11: error: a NUL byte: Procfile must be text"
    ]


def test_bytes_that_are_not_utf8_are_an_error(appdir: Path) -> None:
    (appdir / "requirements.txt").write_text("Django\n")
    (appdir / "Procfile").write_bytes(b"web: caf\xe9\n")
    assert errors_of(appdir) == [
        f"{appdir}/Procfile:1:9: error: byte 0xe9, not UTF-8 text: Procfile must be text"
    ]


def test_hostile_procfiles_are_one_line_on_the_command_line(
    appdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_app(appdir, "web: a\n" + "\0" * 100)
    assert main(["validate"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    assert err.splitlines() == ["Procfile:2:1: error: a NUL byte: Procfile must be text"]


# --- detection ------------------------------------------------------------------------------------


def test_a_procfile_without_dotcloud_yml_is_an_application(appdir: Path) -> None:
    make_app(appdir)
    assert has_buildfile(appdir)
    application = load(appdir)
    assert application.is_procfile
    web = application.service("web")
    assert (web.type, web.process, dict(web.ports)) == (
        "python-worker",
        "python manage.py runserver 0.0.0.0:$PORT --noreload",
        {"web": "http"},
    )
    assert web.config["python_version"] == "v2.7"  # Heroku's default in 2013


def test_dotcloud_yml_wins_over_a_procfile(appdir: Path) -> None:
    make_app(appdir)
    (appdir / "dotcloud.yml").write_text("www:\n  type: static\n")
    assert load(appdir).service_names == ("www",)


def test_no_requirements_is_a_positioned_error(appdir: Path) -> None:
    (appdir / "Procfile").write_text(WEB)
    assert errors_of(appdir) == [
        f"{appdir}/Procfile:1:1: error: no requirements.txt (or setup.py) beside the Procfile: "
        "a Python application is recognised by it, as on Heroku; list the application's "
        "packages there (Django==1.4.3)"
    ]


def test_setup_py_alone_is_installed_after_the_build(appdir: Path) -> None:
    (appdir / "Procfile").write_text("worker: python w.py\n")
    (appdir / "setup.py").write_text("from setuptools import setup\nsetup(name='w')\n")
    assert load(appdir).service("worker").type == "python-worker"
    (appdir / "Procfile").write_text(WEB)
    assert load(appdir).service("web").postbuild == "pip install ."


@pytest.mark.parametrize(
    ("runtime", "version"),
    [("python-2.7.3\n", "v2.7"), ("python-2.7", "v2.7"), ("python-3.3.0\n", "v3")],
)
def test_runtime_txt_picks_the_python(runtime: str, version: str) -> None:
    assert parse_runtime(runtime, "runtime.txt", Reporter("runtime.txt")) == version


def test_another_runtime_is_an_error(appdir: Path) -> None:
    make_app(appdir, **{"runtime.txt": "pypy-1.9\n"})
    assert errors_of(appdir) == [
        f'{appdir}/runtime.txt:1:1: error: "pypy-1.9" is not a runtime here: write '
        "python-2.7.x (Python 2.7) or python-3.x (Python 3.11)"
    ]


def test_other_process_types_are_workers(appdir: Path) -> None:
    make_app(appdir, WEB + "worker: celery worker\nclock: python clock.py\n")
    application = load(appdir)
    assert application.service_names == ("web", "worker", "clock")
    worker = application.service("worker")
    assert (worker.type, worker.process, dict(worker.ports)) == (
        "python-worker",
        "celery worker",
        {},
    )
    assert "PORT" not in worker.derived_environment


def test_django_runs_collectstatic_at_build(appdir: Path) -> None:
    make_app(appdir)
    (appdir / "manage.py").write_text("")
    assert load(appdir).service("web").postbuild == (
        "(cd . && python manage.py collectstatic --noinput) || echo 'collectstatic failed: the "
        "application starts without its collected static files (run APP.web -- python manage.py "
        "collectstatic --noinput to see why)' >&2"
    )


def test_a_manage_py_one_folder_down_is_found(appdir: Path) -> None:
    make_app(appdir)
    (appdir / "site").mkdir()
    (appdir / "site" / "manage.py").write_text("")
    assert (load(appdir).service("web").postbuild or "").startswith("(cd site && python manage.py")


def test_no_collectstatic_without_django(appdir: Path) -> None:
    make_app(appdir, **{"requirements.txt": "Flask==0.9\ndjango-extensions-not==1\n"})
    (appdir / "manage.py").write_text("")
    assert load(appdir).service("web").postbuild is None


# --- add-ons and variables ------------------------------------------------------------------------


def environment_of(appdir: Path, service: str = "web") -> dict[str, str | int]:
    application = load(appdir)
    passwords = {s.name: f"pw-{s.name}" for s in application.services if s.type != "python-worker"}
    state = AppState(app="hello", created_at=0.0, passwords=passwords)
    return instance_environment(application, state, Settings.from_env(), service, 0)


def test_addons_become_data_services_with_herokus_variables(appdir: Path) -> None:
    addons = ["heroku-postgresql:dev", {"plan": "redistogo:nano"}, "mongolab"]
    make_app(appdir, WEB + "worker: python w.py\n", **{"app.json": json.dumps({"addons": addons})})
    application = load(appdir)
    assert [(s.name, s.type) for s in application.services] == [
        ("web", "python-worker"),
        ("worker", "python-worker"),
        ("postgresql", "postgresql"),
        ("redis", "redis"),
        ("mongodb", "mongodb"),
    ]
    for service in ("web", "worker"):
        env = environment_of(appdir, service)
        assert env["DATABASE_URL"] == "postgres://root:pw-postgresql@postgresql:5432/root"
        assert env["REDISTOGO_URL"] == "redis://root:pw-redis@redis:6379/"
        assert env["REDIS_URL"] == "redis://root:pw-redis@redis:6379"
        assert env["MONGOLAB_URI"] == "mongodb://root:pw-mongodb@mongodb:27017/admin"
        assert env["MONGODB_URI"] == env["MONGOLAB_URI"]
    assert environment_of(appdir)["PORT"] == "42800"
    assert environment_of(appdir)["PORT_WEB"] == 42800


def test_an_unknown_addon_is_a_warning_at_its_line(appdir: Path) -> None:
    make_app(appdir, **{"app.json": '{\n  "addons": [\n    "papertrail"\n  ]\n}\n'})
    loaded = load_application(appdir, "hello")
    assert [found.format() for found in loaded.warnings] == [
        f'{appdir}/app.json:3:5: warning: add-on "papertrail" has no counterpart here and is '
        "left out (these run: heroku-postgresql, heroku-redis, redistogo, rediscloud, mongolab, "
        "mongohq)"
    ]
    assert loaded.application.service_names == ("web",)


def test_app_json_that_is_not_json_is_an_error_at_its_position(appdir: Path) -> None:
    make_app(appdir, **{"app.json": '{\n  "addons": [heroku-postgresql]\n}\n'})
    assert errors_of(appdir) == [f"{appdir}/app.json:2:14: error: not JSON: Expecting value"]


def test_formation_and_env_of_app_json(appdir: Path) -> None:
    document = {
        "formation": {"web": {"quantity": 2}},
        "env": {"SECRET_KEY": {"value": "s3"}, "PLAIN": "yes", "ASKED": {"required": True}},
    }
    make_app(appdir, **{"app.json": json.dumps(document)})
    web = load(appdir).service("web")
    assert web.instances == 2
    assert dict(web.environment) == {"SECRET_KEY": "s3", "PLAIN": "yes"}


def test_a_process_type_named_like_an_addon_service_is_an_error(appdir: Path) -> None:
    make_app(appdir, WEB + "redis: redis-server\n", **{"app.json": '{"addons": ["heroku-redis"]}'})
    assert errors_of(appdir) == [
        f"{appdir}/Procfile:2:1: error: process type redis has the name of the redis service "
        "of app.json's add-ons; rename the process type"
    ]


# --- .env -----------------------------------------------------------------------------------------


def test_dotenv_as_foreman_reads_it() -> None:
    reporter = Reporter(".env")
    text = (
        "# comment\n"
        "\n"
        "PLAIN=value  # trailing comment\n"
        "export EXPORTED=1\n"
        "SINGLE='a # b $HOME'\n"
        'DOUBLE="line\\nnext \\"quoted\\""\n'
        "EMPTY=\n"
        "SPACED = x\n"
    )
    found = parse_dotenv(text, ".env", reporter)
    assert {v.name: v.value for v in found} == {
        "PLAIN": "value",
        "EXPORTED": "1",
        "SINGLE": "a # b $HOME",
        "DOUBLE": 'line\nnext "quoted"',
        "EMPTY": "",
        "SPACED": "x",
    }
    assert reporter.diagnostics == []


def test_dotenv_errors_at_their_lines() -> None:
    reporter = Reporter(".env")
    parse_dotenv("GOOD=1\nnot a variable\nOPEN='x\n", ".env", reporter)
    assert messages(reporter) == [
        '.env:2:1: error: "not a variable" is not a variable line: write KEY=VALUE',
        ".env:3:6: error: the value's quote is not closed",
    ]


def test_dotenv_reaches_every_code_service_and_addons_win(appdir: Path) -> None:
    make_app(
        appdir,
        WEB + "worker: python w.py\n",
        **{
            ".env": "GREETING=hi\nDATABASE_URL=postgres://localhost/dev\n",
            "app.json": '{"addons": ["heroku-postgresql"]}',
        },
    )
    loaded = load_application(appdir, "hello")
    assert [found.format() for found in loaded.warnings] == [
        f"{appdir}/.env:2:1: warning: DATABASE_URL is set by an add-on of app.json here: the "
        ".env value is not used"
    ]
    for service in ("web", "worker"):
        env = environment_of(appdir, service)
        assert env["GREETING"] == "hi"
        assert str(env["DATABASE_URL"]).startswith("postgres://root:pw-postgresql@")


def test_dotenv_is_kept_out_of_the_images(appdir: Path, tmp_path: Path) -> None:
    make_app(appdir, **{".env": "SECRET_KEY=s3cr3t\n"})
    assert main(["generate", ".", "-o", str(tmp_path / "out")]) == 0
    code = tmp_path / "out" / ".dotcloud" / "build" / "web" / "code"
    assert (code / "Procfile").is_file()
    assert not (code / ".env").exists()


# --- status as heroku ps --------------------------------------------------------------------------


def test_ps_lines_as_heroku_printed_them() -> None:
    now = datetime(2013, 3, 5, 6, 49, 13, tzinfo=UTC)
    since = now - timedelta(minutes=21)
    command = "python manage.py runserver 0.0.0.0:$PORT --noreload"
    lines = ps_lines(
        [
            Dyno("web", 1, command, "up", since),
            Dyno("web", 2, command, "crashed", now - timedelta(seconds=5)),
            Dyno("worker", 1, "python w.py", "down", None),
        ],
        now,
    )
    local = since.astimezone()
    assert lines == [
        f"=== web: `{command}`",
        f"web.1: up {local:%Y/%m/%d %H:%M:%S} (~ 21m ago)",
        f"web.2: crashed {(now - timedelta(seconds=5)).astimezone():%Y/%m/%d %H:%M:%S} (~ 5s ago)",
        "",
        "=== worker: `python w.py`",
        "worker.1: down",
    ]


def test_docker_times_and_ages() -> None:
    assert parse_time("2013-03-05T06:28:13.123456789Z") == datetime(
        2013, 3, 5, 6, 28, 13, tzinfo=UTC
    )
    assert parse_time("") is None
    assert [ago(timedelta(seconds=s)) for s in (3, 125, 7300, 200000)] == [
        "3s ago",
        "2m ago",
        "2h ago",
        "2d ago",
    ]
    document = Dyno("web", 1, "c", "up", datetime(2013, 3, 5, 6, 28, 13, tzinfo=UTC)).document()
    assert document == {
        "type": "web",
        "name": "web.1",
        "command": "c",
        "state": "up",
        "updated_at": "2013-03-05T06:28:13Z",
    }


# --- development mode and the build ---------------------------------------------------------------


def test_a_save_of_what_the_services_are_made_from_redeploys(appdir: Path) -> None:
    make_app(appdir, "worker: python w.py\n", **{".env": "A=1\n"})
    (appdir / "w.py").write_text("")
    application = load(appdir)
    for name in ("Procfile", ".env", "app.json", "runtime.txt", "requirements.txt"):
        assert plan_changes(application, [appdir / name]).redeploy, name
    saved = plan_changes(application, [appdir / "w.py"])
    assert (saved.redeploy, saved.restart) == (False, ["worker"])  # its program restarts


def test_django_is_installed_by_setup_py_on_python_2(appdir: Path, tmp_path: Path) -> None:
    make_app(appdir)
    assert main(["generate", ".", "-o", str(tmp_path / "out")]) == 0
    dockerfile = (tmp_path / "out" / ".dotcloud" / "build" / "web" / "Dockerfile").read_text()
    build_stage = dockerfile.split(" AS build\n", 1)[1].split("\nFROM stack\n", 1)[0]
    assert 'ENV PIP_NO_BINARY="Django"' in build_stage
    assert "FROM debian:bullseye-slim" in dockerfile


def test_export_kubernetes_of_a_procfile_application(appdir: Path, tmp_path: Path) -> None:
    make_app(appdir, **{"app.json": '{"addons": ["heroku-postgresql"]}'})
    out = tmp_path / "k8s"
    assert main(["export", "kubernetes", ".", "-o", str(out)]) == 0
    env = json.loads((out / "secrets" / "web-0" / "environment.json").read_text())
    assert env["DATABASE_URL"].startswith("postgres://root:")
    assert env["DATABASE_URL"].endswith(f"@{env['DOTCLOUD_POSTGRESQL_SQL_HOST']}:5432/root")
    assert env["PORT"] == str(env["PORT_WEB"])


@pytest.mark.parametrize(
    ("runtime", "stack"), [(None, "python2.7-worker"), ("python-3.3.0\n", "python3.11-worker")]
)
def test_the_runtime_picks_the_stack(appdir: Path, runtime: str | None, stack: str) -> None:
    make_app(appdir, **({"runtime.txt": runtime} if runtime else {}))
    assert catalogue.stack_for(load(appdir).service("web")).name == stack


def test_a_procfile_application_renders_as_a_swarm_stack(appdir: Path) -> None:
    make_app(appdir, WEB + "worker: python w.py\n", **{"app.json": '{"addons": ["heroku-redis"]}'})
    application = load(appdir)
    state = AppState(app="hello", created_at=0.0, passwords={"redis": "pw"})
    images = StackImages({name: f"img-{name}" for name in application.service_names}, "img-gw")
    files = render_stack(application, state, Settings(appdir / "state"), images, "node-1")
    document = yaml.safe_load(files[0].content)
    assert {"web", "worker", "redis-0"} <= set(document["services"])  # a data instance each
    routes = next(file.content for file in files if file.path.name == "routes.conf")
    assert "42800" in routes  # the gateway goes to web's $PORT

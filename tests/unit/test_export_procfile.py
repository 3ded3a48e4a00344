"""`export procfile`: the renderer (Procfile lines, requirements, app.json, the shim's data), the
shim run with fake variables, the writer's refusals, and the exported tree read back as a
Procfile application."""

from __future__ import annotations

import ast
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.cli.main import main
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.export import write_procfile_export
from dotcloud_emulator.render.files import CodeSnapshot, File
from dotcloud_emulator.render.heroku_export import SHIM, render_procfile_export

ROOT = Path(__file__).resolve().parents[2]
PY2_FIXTURE = ROOT / "tests" / "fixtures" / "apps" / "py2-cherrypy"

WORKER_APP = """\
www:
  type: python
  approot: web
  config:
    python_version: v3
    uwsgi_processes: 3
    uwsgi_harakiri: 20
  environment:
    GREETING: hello
  requirements:
    - Flask==2.0.0
jobs:
  type: python-worker
  approot: jobs
  config:
    python_version: v3
  instances: 2
  processes:
    mailer: python mailer.py --queue "$QUEUE"
    cleaner: python clean.py
db:
  type: postgresql
cache:
  type: redis
search:
  type: mongodb
mail:
  type: smtp
"""


def make(appdir: Path, buildfile: str, **files: str) -> Application:
    appdir.mkdir(parents=True, exist_ok=True)
    (appdir / "dotcloud.yml").write_text(buildfile)
    for name, text in files.items():
        path = appdir / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return load_application(appdir, appdir.name).application


def files_of(application: Application) -> dict[str, str]:
    export = render_procfile_export(application)
    return {item.path.as_posix(): item.content for item in export.files if isinstance(item, File)}


def worker_app(tmp_path: Path) -> Application:
    return make(
        tmp_path / "shop",
        WORKER_APP,
        **{
            "web__wsgi.py": "application = None\n",
            "web__requirements.txt": (
                "# pins\nFlask==2.0.0\nredis==4.0.0  # sessions\n-r more.txt\n"
            ),
            "web__static/app.css": "body {}\n",
            "web__nginx.conf": "location /x { }\n",
            "jobs__requirements.txt": "redis==4.0.0\ncelery==5.0.0\n",
        },
    )


def test_the_procfile_runs_uwsgi_as_web_and_each_worker_program(tmp_path: Path) -> None:
    procfile = files_of(worker_app(tmp_path))["Procfile"]
    assert procfile == (
        "web: python dotcloud_environment.py www 'exec uwsgi --http-socket :$PORT --master "
        "--processes 3 --pythonpath . --module wsgi:application --need-app --lazy-apps "
        "--die-on-term --buffer-size 4096 --static-map /static=static --harakiri 20 "
        "--disable-logging'\n"
        "jobs_mailer: python dotcloud_environment.py jobs 'python mailer.py --queue "
        '"$QUEUE"\'\n'
        "jobs_cleaner: python dotcloud_environment.py jobs 'python clean.py'\n"
    )


def test_requirements_are_the_union_then_uwsgi_and_the_runtime_follows_python_version(
    tmp_path: Path,
) -> None:
    files = files_of(worker_app(tmp_path))
    assert files["requirements.txt"] == (
        "Flask==2.0.0\nredis==4.0.0\n-r www/more.txt\ncelery==5.0.0\nuWSGI==2.0.31\n"
    )
    assert files["runtime.txt"] == "python-3.11.2\n"


def test_app_json_declares_an_addon_per_data_service_and_the_formation(tmp_path: Path) -> None:
    app_json = json.loads(files_of(worker_app(tmp_path))["app.json"])
    assert app_json == {
        "name": "shop",
        "addons": ["heroku-postgresql", "heroku-redis", "mongolab"],
        "formation": {
            "web": {"quantity": 1},
            "jobs_mailer": {"quantity": 2},
            "jobs_cleaner": {"quantity": 2},
        },
    }


def test_what_is_not_carried_over_is_listed(tmp_path: Path) -> None:
    export = render_procfile_export(worker_app(tmp_path))
    notes = "\n".join(export.notes)
    assert "www/nginx.conf: nginx in front of uWSGI is not carried over" in notes
    assert "mail (smtp): no add-on stands in for it here, not carried over" in notes
    assert (
        "cache (redis): the heroku-redis add-on; run here, its service is named redis "
        "(the code still sees DOTCLOUD_CACHE_*)"
    ) in notes
    markdown = {i.path.as_posix(): i for i in export.files if isinstance(i, File)}
    assert "mail (smtp)" in markdown["DOTCLOUD-EXPORT.md"].content
    snapshots = [item for item in export.files if isinstance(item, CodeSnapshot)]
    assert [item.dest.as_posix() for item in snapshots] == ["www", "jobs"]


def test_the_python_2_fixture_gets_python_2_and_its_postinstall_less_web(tmp_path: Path) -> None:
    appdir = tmp_path / "py2"
    shutil.copytree(PY2_FIXTURE, appdir)
    files = files_of(load_application(appdir, "py2").application)
    assert files["runtime.txt"] == "python-2.7.18\n"
    assert files["requirements.txt"] == "CherryPy==3.2.0\nredis==2.4.13\nuWSGI==2.0.31\n"
    assert json.loads(files["app.json"])["addons"] == ["heroku-redis"]
    services = json.loads(files["dotcloud_services.json"])
    assert services["data"] == [
        {
            "infix": "REDIS",
            "name": "cache",
            "port": 6379,
            "scheme": "redis",
            "variable": "REDIS_URL",
        }
    ]


def test_a_supervisord_conf_of_a_worker_gives_its_programs(tmp_path: Path) -> None:
    application = make(
        tmp_path / "app",
        "worker:\n  type: python-worker\n  approot: w\n",
        **{
            "w__supervisord.conf": "[program:beat]\ncommand = python beat.py\n"
            "directory = sub\n[program:tick]\ncommand=python tick.py\n"
        },
    )
    assert files_of(application)["Procfile"] == (
        "worker_beat: python dotcloud_environment.py worker 'cd sub && exec python beat.py'\n"
        "worker_tick: python dotcloud_environment.py worker 'python tick.py'\n"
    )


@pytest.mark.parametrize("kind", ["nodejs", "php", "ruby", "static", "custom"])
def test_other_code_types_are_refused_naming_the_service(tmp_path: Path, kind: str) -> None:
    application = make(
        tmp_path / "app", f"www:\n  type: python\nfront:\n  type: {kind}\n", **{"wsgi.py": ""}
    )
    with pytest.raises(UsageError, match=rf"cannot export front \({kind}\): export procfile"):
        render_procfile_export(application)


def test_two_redis_services_are_refused(tmp_path: Path) -> None:
    application = make(
        tmp_path / "app", "www:\n  type: python\na:\n  type: redis\nb:\n  type: redis\n"
    )
    with pytest.raises(UsageError, match="service b: a second redis service"):
        render_procfile_export(application)


def test_an_approot_linked_outside_the_application_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    appdir = tmp_path / "app"
    application = make(appdir, "www:\n  type: python\n  approot: code\n", code__wsgi_py="")
    # the loader refuses such an approot; one replaced by a link since is refused here too
    shutil.rmtree(appdir / "code")
    (appdir / "code").symlink_to(outside)
    with pytest.raises(UsageError, match="approot code leads outside the application"):
        render_procfile_export(application)


def test_the_output_must_be_new_or_empty_and_outside_the_application(tmp_path: Path) -> None:
    application = worker_app(tmp_path)
    with pytest.raises(UsageError, match="inside the application directory"):
        write_procfile_export(application, application.root / "out")
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty; export into a new or empty folder"):
        write_procfile_export(application, full)
    assert [p.name for p in full.iterdir()] == ["keep.txt"]
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UsageError, match="a symbolic link"):
        write_procfile_export(application, link)


def test_the_written_tree_is_a_procfile_application_here(tmp_path: Path) -> None:
    application = worker_app(tmp_path)
    (application.root / "web" / "secret-link").symlink_to("/etc/passwd")
    outdir = tmp_path / "exported" / "shop"
    written = write_procfile_export(application, outdir)
    assert (outdir / "www" / "wsgi.py").is_file()
    assert (outdir / "jobs" / "requirements.txt").is_file()
    # a link is copied as a link, never followed
    assert (outdir / "www" / "secret-link").is_symlink()
    assert not (outdir / "www" / "nginx.conf").is_symlink()
    assert "Procfile" in [path.as_posix() for path in written.files]
    loaded = load_application(outdir, "shop").application
    assert loaded.is_procfile
    assert {s.name: s.type for s in loaded.services} == {
        "web": "python-worker",
        "jobs_mailer": "python-worker",
        "jobs_cleaner": "python-worker",
        "postgresql": "postgresql",
        "redis": "redis",
        "mongodb": "mongodb",
    }
    assert loaded.service("jobs_mailer").instances == 2


def test_the_cli_writes_the_tree_and_reports_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    application = worker_app(tmp_path)
    outdir = tmp_path / "out"
    assert main(["export", "procfile", str(application.root), "-o", str(outdir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["folders"] == ["www", "jobs"]
    assert any("mail (smtp)" in note for note in report["notes"])
    assert main(["export", "procfile", str(application.root), "-o", str(outdir)]) == 2
    assert "not empty" in capsys.readouterr().err


# --- the shim ------------------------------------------------------------------------------------


def run_shim(tree: Path, home: Path, service: str, command: str, **variables: str) -> str:
    environ = {"PATH": os.environ["PATH"], "HOME": str(home), **variables}
    result = subprocess.run(
        [sys.executable, str(tree / SHIM), service, command],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return result.stdout


def test_the_shim_writes_the_original_names_and_runs_the_command(tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    write_procfile_export(worker_app(tmp_path), outdir)
    home = tmp_path / "home"
    home.mkdir()
    (home / "environment.json").write_text('{"DOTCLOUD_PROJECT": "old", "KEPT": "yes"}')
    out = run_shim(
        outdir,
        home,
        "www",
        "pwd; echo $DOTCLOUD_CACHE_REDIS_HOST $GREETING",
        REDIS_URL="redis://h:s%40cret@redis.example:6380",
        DATABASE_URL="postgres://u:p@db.example:5433/d1",
        MONGODB_URI="mongodb://root:m@mongo.example:27017/admin",
        DYNO="web.2",
        PORT="5000",
    )
    assert out.split("\n")[0] == str(outdir / "www")
    assert out.split("\n")[1] == "redis.example hello"
    environment = json.loads((home / "environment.json").read_text())
    assert stat.S_IMODE((home / "environment.json").stat().st_mode) == 0o600
    assert {k: v for k, v in environment.items() if k.startswith("DOTCLOUD_")} == {
        "DOTCLOUD_PROJECT": "shop",
        "DOTCLOUD_ENVIRONMENT": "default",
        "DOTCLOUD_SERVICE_NAME": "www",
        "DOTCLOUD_SERVICE_ID": "1",
        "DOTCLOUD_CACHE_REDIS_HOST": "redis.example",
        "DOTCLOUD_CACHE_REDIS_PORT": "6380",
        "DOTCLOUD_CACHE_REDIS_LOGIN": "h",
        "DOTCLOUD_CACHE_REDIS_PASSWORD": "s@cret",
        "DOTCLOUD_CACHE_REDIS_URL": "redis://h:s%40cret@redis.example:6380",
        "DOTCLOUD_DB_SQL_HOST": "db.example",
        "DOTCLOUD_DB_SQL_PORT": "5433",
        "DOTCLOUD_DB_SQL_LOGIN": "u",
        "DOTCLOUD_DB_SQL_PASSWORD": "p",
        "DOTCLOUD_DB_SQL_URL": "pgsql://u:p@db.example:5433",
        "DOTCLOUD_SEARCH_MONGODB_HOST": "mongo.example",
        "DOTCLOUD_SEARCH_MONGODB_PORT": "27017",
        "DOTCLOUD_SEARCH_MONGODB_LOGIN": "root",
        "DOTCLOUD_SEARCH_MONGODB_PASSWORD": "m",
        "DOTCLOUD_SEARCH_MONGODB_URL": "mongodb://root:m@mongo.example:27017",
    }
    assert environment["KEPT"] == "yes"  # the platform's own file is merged into
    assert environment["GREETING"] == "hello"
    for name in ("environment.yml", "environment.yaml"):
        assert '"DOTCLOUD_SERVICE_NAME": "www"' in (home / name).read_text()
        assert stat.S_IMODE((home / name).stat().st_mode) == 0o600


def test_the_shim_runs_on_python_2_syntax_too() -> None:
    source = (
        ROOT / "src/dotcloud_emulator/render/templates/export/dotcloud_environment.py.in"
    ).read_text()
    tree = ast.parse(source)
    # Python 2 reads it: no f-strings, no annotations, no keyword-only arguments
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)]
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.AnnAssign)]
    functions = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]
    assert not [f for f in functions if f.returns or any(a.annotation for a in f.args.args)]
    assert not [f for f in functions if f.args.kwonlyargs]


def test_the_shim_without_a_dyno_uses_the_platforms_instance_number(tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    write_procfile_export(worker_app(tmp_path), outdir)
    home = tmp_path / "home"
    home.mkdir()
    out = run_shim(outdir, home, "jobs", "echo $DOTCLOUD_SERVICE_ID", DOTCLOUD_SERVICE_ID="3")
    assert out.strip() == "3"
    environment = json.loads((home / "environment.json").read_text())
    assert "DOTCLOUD_CACHE_REDIS_HOST" not in environment  # no REDIS_URL, no variables


def test_mysql_is_left_out_with_a_note_and_mixed_pythons_are_refused(tmp_path: Path) -> None:
    application = make(tmp_path / "a", "www:\n  type: python\ndata:\n  type: mysql\n")
    export = render_procfile_export(application)
    assert (
        "data (mysql): no add-on stands in for it here, not carried over "
        "(ClearDB was MySQL's add-on on Heroku)"
    ) in export.notes
    mixed = make(
        tmp_path / "b",
        "www:\n  type: python\njobs:\n  type: python-worker\n  process: python j.py\n"
        "  config:\n    python_version: v3\n",
    )
    with pytest.raises(UsageError, match="Python 2 and Python 3"):
        render_procfile_export(mixed)


def test_a_procfile_application_is_not_exported_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    appdir = tmp_path / "heroku"
    appdir.mkdir()
    (appdir / "Procfile").write_text("web: python app.py\n")
    (appdir / "requirements.txt").write_text("Flask\n")
    assert main(["export", "procfile", str(appdir), "-o", str(tmp_path / "out")]) == 2
    assert "already a Procfile application" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_programs_of_a_python_service_run_beside_its_web(tmp_path: Path) -> None:
    application = make(
        tmp_path / "a",
        "www:\n  type: python\n  processes:\n    ticker: python tick.py\n",
        **{"wsgi.py": ""},
    )
    lines = files_of(application)["Procfile"].splitlines()
    assert [line.split(":")[0] for line in lines] == ["web", "www_ticker"]
    assert lines[1] == "www_ticker: python dotcloud_environment.py www 'python tick.py'"

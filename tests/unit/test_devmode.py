"""Development mode without Docker: what it renders, what a saved file means, what it refuses,
and the wrapper that turns a load error into a page."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from dotcloud_emulator.api.devchanges import plan_changes, service_files
from dotcloud_emulator.api.devmode import check_tree
from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.engine.devmode import Loaded, Outcome, WorkerState, parse_workers
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState, StateStore
from dotcloud_emulator.render.devmode import runs_from_tree
from dotcloud_emulator.render.files import File
from dotcloud_emulator.render.project import render_project
from dotcloud_emulator.render.templating import render_template

BUILD_FILE = """\
www:
  type: python
  approot: web
  config:
    python_version: v3.11
worker:
  type: python-worker
  approot: jobs
  process: python worker.py
site:
  type: static
  approot: site
tool:
  type: custom
  approot: tool
  buildscript: build
old:
  type: python
  approot: old
  prebuild: make
cache:
  type: redis
"""


@pytest.fixture
def application(appdir: Path) -> Application:
    (appdir / "dotcloud.yml").write_text(BUILD_FILE)
    for folder in ("web", "jobs", "site", "tool", "old"):
        (appdir / folder).mkdir()
    (appdir / "build").write_text("#!/bin/sh\n")
    return load_application(appdir, "devapp").application


def rendered(application: Application, *, dev: bool) -> dict[str, str]:
    state = AppState(app=application.name, created_at=0.0, dev_mode=dev)
    items = render_project(application, state, Settings(Path("/state")), "")
    return {str(item.path): item.content for item in items if isinstance(item, File)}


def compose_services(files: dict[str, str]) -> dict[str, Any]:
    return dict(yaml.safe_load(files["docker-compose.yml"])["services"])


def test_only_services_whose_build_leaves_their_code_alone_run_from_the_tree(
    application: Application,
) -> None:
    from_tree = [s.name for s in application.services if runs_from_tree(s)]
    assert from_tree == ["www", "worker", "site"]


def test_development_mode_mounts_the_approot_read_only_over_the_images_copy(
    application: Application,
) -> None:
    services = compose_services(rendered(application, dev=True))
    mounts = {v["target"]: v for v in services["www-0"]["volumes"] if v["type"] == "bind"}
    assert mounts["/home/dotcloud/code/web"] == {
        "type": "bind",
        "source": "./web",
        "target": "/home/dotcloud/code/web",
        "read_only": True,
    }
    assert mounts["/etc/dotcloud/uwsgi.ini"]["source"] == "./.dotcloud/dev/www/uwsgi.ini"
    assert mounts["/etc/dotcloud/dev"]["source"] == "./.dotcloud/dev/www"
    assert services["www-0"]["labels"][naming.LABEL_DEV] == "true"
    worker_targets = [v["target"] for v in services["worker-0"]["volumes"]]
    assert "/home/dotcloud/code/jobs" in worker_targets
    assert "/etc/dotcloud/uwsgi.ini" not in worker_targets


@pytest.mark.parametrize("service", ["tool-0", "old-0", "cache-0"])
def test_services_that_keep_their_code_in_the_image_get_no_mount(
    application: Application, service: str
) -> None:
    definition = compose_services(rendered(application, dev=True))[service]
    assert naming.LABEL_DEV not in definition["labels"]
    assert [v["target"] for v in definition["volumes"]] == ["/run/dotcloud", "/home/dotcloud/data"]


def test_a_plain_up_renders_no_development_files_and_no_mount(application: Application) -> None:
    files = rendered(application, dev=False)
    assert not [path for path in files if path.startswith(".dotcloud/dev")]
    www = compose_services(files)["www-0"]
    assert naming.LABEL_DEV not in www["labels"]
    assert "master-fifo" not in files[".dotcloud/build/www/platform/uwsgi.ini"]
    assert "module = wsgi:application" in files[".dotcloud/build/www/platform/uwsgi.ini"]


def test_the_development_uwsgi_ini_loads_the_wrapper_and_opens_the_master_fifo(
    application: Application,
) -> None:
    ini = rendered(application, dev=True)[".dotcloud/dev/www/uwsgi.ini"]
    assert "module = dotcloud_devmode:application" in ini
    assert "module = wsgi:application" not in ini
    assert "master-fifo = /var/dotcloud/uwsgi.fifo" in ini
    assert "pythonpath = /etc/dotcloud/dev" in ini
    assert "lazy-apps = true" in ini  # each new worker imports the code again
    assert "forkbomb-delay = 0" in ini  # saves a second apart must not make uWSGI sleep 2 s


def test_the_development_mode_is_kept_in_the_state(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "home")
    store.save(AppState(app="devapp", created_at=1.0, dev_mode=True))
    assert store.load("devapp").dev_mode is True
    store.save(AppState(app="devapp", created_at=1.0))
    assert store.load("devapp").dev_mode is False


# --- what a save means ---------------------------------------------------------------------------


def plan(application: Application, *relative: str) -> tuple[bool, list[str], list[str]]:
    changes = plan_changes(application, [application.root / path for path in relative])
    return changes.redeploy, changes.reload, changes.restart


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        ("web/wsgi.py", (False, ["www"], [])),
        ("web/lib/models.py", (False, ["www"], [])),
        ("web/static/style.css", (False, [], [])),
        ("web/nginx.conf", (False, [], ["www"])),
        ("web/requirements.txt", (True, [], [])),
        ("web/postinstall", (True, [], [])),
        ("dotcloud.yml", (True, [], [])),
        ("jobs/worker.py", (False, [], ["worker"])),
        ("site/index.html", (False, [], [])),
        ("tool/run.sh", (True, [], [])),
        ("old/wsgi.py", (True, [], [])),
        ("README.md", (False, [], [])),
    ],
)
def test_each_saved_file_reloads_restarts_or_redeploys(
    application: Application, changed: str, expected: tuple[bool, list[str], list[str]]
) -> None:
    assert plan(application, changed) == expected


def test_one_batch_names_each_service_once(application: Application) -> None:
    assert plan(application, "web/a.py", "web/b.py", "jobs/w.py") == (False, ["www"], ["worker"])


# --- what development mode refuses ---------------------------------------------------------------


def test_an_approot_that_became_a_link_is_refused(appdir: Path) -> None:
    # The build file's loader refuses a link out of the application and resolves one inside it;
    # a folder replaced by a link afterwards would be mounted through the link: refused.
    (appdir / "web").mkdir()
    (appdir / "other").mkdir()
    (appdir / "dotcloud.yml").write_text("www:\n  type: python\n  approot: web\n")
    application = load_application(appdir, "devapp").application
    (appdir / "web").rmdir()
    (appdir / "web").symlink_to(appdir / "other")
    with pytest.raises(UsageError) as refused:
        check_tree(application)
    assert "goes through the symbolic link" in refused.value.message
    assert str(appdir / "web") in refused.value.message


def test_a_state_directory_inside_an_approot_is_refused(
    appdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(naming.STATE_ENV_VAR, str(appdir / "state"))
    (appdir / "dotcloud.yml").write_text("www:\n  type: python\n")
    application = load_application(appdir, "devapp").application
    with pytest.raises(
        UsageError, match="the state directory is inside the approot of service www"
    ):
        check_tree(application)


def test_approots_without_links_are_accepted(application: Application) -> None:
    check_tree(application)


# --- the wrapper ---------------------------------------------------------------------------------

GOOD_APP = """\
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"VERSION"]
"""


class FakeUwsgi:
    """uWSGI's module as a worker sees it: its worker id."""

    @staticmethod
    def worker_id() -> int:
        return 2


@pytest.fixture
def wrapper(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    """The wrapper, imported as uWSGI's worker 2 would, beside a wsgi.py in a folder on sys.path;
    its load state goes to `tmp_path / "state"`."""
    code = tmp_path / "code"
    code.mkdir()
    wsgi = code / "wsgi.py"
    wsgi.write_text(GOOD_APP.replace("VERSION", "one"))
    text = render_template("devmode/dotcloud_devmode.py.j2", state_dir=str(tmp_path / "state"))
    (code / "dotcloud_devmode.py").write_text(text)
    sys.path.insert(0, str(code))
    sys.modules.pop("wsgi", None)
    sys.modules.pop("dotcloud_devmode", None)
    sys.modules["uwsgi"] = FakeUwsgi  # type: ignore[assignment]
    try:
        import dotcloud_devmode

        yield dotcloud_devmode, wsgi
    finally:
        sys.path.remove(str(code))
        for name in ("wsgi", "dotcloud_devmode", "uwsgi"):
            sys.modules.pop(name, None)


def call(module: Any, environ: dict[str, str] | None = None) -> tuple[str, str]:
    answer: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer.append(status)

    body = b"".join(module.application(environ or {}, start_response)).decode()
    return answer[0], body


def record(tmp_path: Path) -> tuple[list[str], dict[str, Any]]:
    first, details = (tmp_path / "state" / "worker-2").read_text().splitlines()
    return first.split(), json.loads(details)


def test_the_wrapper_serves_the_application(wrapper: tuple[Any, Path]) -> None:
    module, _ = wrapper
    assert call(module) == ("200 OK", "one")


def test_a_syntax_error_becomes_a_500_page_and_a_fix_is_served_at_once(
    wrapper: tuple[Any, Path], tmp_path: Path
) -> None:
    module, wsgi = wrapper
    wsgi.write_text("def broken(:\n")
    module._load()  # what a new worker does
    status, page = call(module)
    assert status == "500 Internal Server Error"
    assert "SyntaxError" in page
    assert "wsgi.py, line 1" in page
    (generation, status, _), details = record(tmp_path)
    assert status == "failed"
    assert details["summary"].startswith("SyntaxError: ")
    assert "Traceback" in details["error"]
    wsgi.write_text(GOOD_APP.replace("VERSION", "two"))
    assert call(module) == ("200 OK", "two")
    assert record(tmp_path) == (
        [generation, "loaded", str(os.getpid())],
        {"error": None, "summary": None},
    )


def test_each_worker_records_the_generation_it_read_before_loading(
    wrapper: tuple[Any, Path], tmp_path: Path
) -> None:
    module, wsgi = wrapper
    assert record(tmp_path)[0] == ["0", "loaded", str(os.getpid())]  # no reload yet
    (tmp_path / "state" / "generation").write_text("7\n")
    wsgi.write_text(GOOD_APP.replace("VERSION", "seven"))
    module._load()
    assert record(tmp_path)[0] == ["7", "loaded", str(os.getpid())]
    assert call(module) == ("200 OK", "seven")


def test_the_wrapper_is_python_2_syntax_too() -> None:
    # No f-strings, no annotations: Python 2.7 services load it as well.
    text = render_template("devmode/dotcloud_devmode.py.j2", state_dir="/var/dotcloud/dev")
    assert 'f"' not in text
    assert "->" not in text


# --- leaving and entering: which instances a push replaces ---------------------------------------


class FakeImage:
    id = "sha256:built"


class FakeContainer:
    def __init__(self, *, dev: bool) -> None:
        labels = {
            naming.LABEL_APP: "devapp",
            naming.LABEL_SERVICE: "www",
            naming.LABEL_INSTANCE: "0",
            naming.LABEL_ROLE: naming.ROLE_SERVICE,
        }
        if dev:
            labels[naming.LABEL_DEV] = "true"
        self.id = "www-0"
        self.labels = labels
        self.image = FakeImage()
        self.attrs: dict[str, Any] = {
            "Id": self.id,
            "Config": {"Labels": labels},
            "State": {"Status": "running"},
            "NetworkSettings": {"Ports": {}},
        }


class FakeClient:
    def __init__(self, container: FakeContainer) -> None:
        self.containers = self
        self.images = self
        self.container = container

    def list(self, **kwargs: Any) -> list[FakeContainer]:
        return [self.container]

    def get(self, reference: str) -> Any:
        return self.container if reference == self.container.id else FakeImage()


@pytest.mark.parametrize(
    ("running_from_tree", "dev_mode", "replaced"),
    [(True, False, True), (False, True, True), (True, True, False), (False, False, False)],
)
def test_a_push_replaces_the_instances_whose_mode_changed(
    tmp_path: Path, running_from_tree: bool, dev_mode: bool, replaced: bool
) -> None:
    from dotcloud_emulator.buildfile.model import Service
    from dotcloud_emulator.engine.compose_engine import ComposeEngine
    from dotcloud_emulator.engine.context import DeployContext

    service = Service("www", "python", config={"python_version": "v3.11"})
    application = Application("devapp", tmp_path, tmp_path / "dotcloud.yml", (service,))
    state = AppState(app="devapp", created_at=0.0, dev_mode=dev_mode)
    client = FakeClient(FakeContainer(dev=running_from_tree))
    engine = ComposeEngine(DeployContext.create(client, application, state, Settings(tmp_path)))
    assert engine.outdated() == ([("www", 0)] if replaced else [])


def test_watching_ends_when_asked_to_stop(application: Application) -> None:
    import threading

    from dotcloud_emulator.api.devmode import watch

    class Silent:
        def announce(self, text: str) -> None:
            raise AssertionError(f"nothing changed, yet: {text}")

    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    watch(application, Silent(), timeout=1.0, stop=stop)  # type: ignore[arg-type]
    assert stop.is_set()


# --- the reload script: waiting until every worker loaded the save -------------------------------


@pytest.fixture
def reload_script(tmp_path: Path) -> Path:
    """The script for two workers, its state in `tmp_path / "state"`; the FIFO is a plain file
    here, which the script never writes to (it wakes only a FIFO)."""
    script = tmp_path / "dotcloud-dev-reload"
    text = render_template(
        "devmode/dotcloud-dev-reload.j2",
        app="devapp",
        service="www",
        master_fifo=str(tmp_path / "fifo"),
        state_dir=str(tmp_path / "state"),
        processes=2,
    )
    script.write_text(text)
    (tmp_path / "state").mkdir()
    return script


def run_script(script: Path, *args: str, bound: float = 2) -> subprocess.CompletedProcess[str]:
    """The script as the emulator runs it: a wait is bounded by `timeout --preserve-status`."""
    argv = ["timeout", "--preserve-status", str(bound), "sh", str(script), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)


def write_generation(script: Path, generation: int) -> None:
    (script.parent / "state" / "generation").write_text(f"{generation}\n")


def write_worker(script: Path, worker: int, line: str, details: str = "{}") -> None:
    (script.parent / "state" / f"worker-{worker}").write_text(f"{line}\n{details}\n")


def test_the_wait_ends_when_every_worker_loaded_the_generation(reload_script: Path) -> None:
    write_generation(reload_script, 4)
    write_worker(reload_script, 1, f"3 loaded {os.getpid()}")
    write_worker(reload_script, 2, f"4 failed {os.getpid()}", '{"error": "Tb", "summary": "E: x"}')
    result = run_script(reload_script, "wait", "3", bound=10)
    assert result.returncode == 0, result.stderr
    assert parse_workers(result.stdout) == (
        WorkerState(1, 3, "loaded"),
        WorkerState(2, 4, "failed", "Tb", "E: x"),
    )


def test_a_worker_still_loading_or_on_older_code_times_the_wait_out(reload_script: Path) -> None:
    write_generation(reload_script, 3)
    write_worker(reload_script, 1, f"3 loading {os.getpid()}")
    result = run_script(reload_script, "wait", "3", bound=1)
    assert result.returncode == 3
    assert parse_workers(result.stdout) == (WorkerState(1, 3, "loading"), WorkerState(2, 0, ""))


def test_a_worker_whose_process_is_gone_is_behind(reload_script: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    write_generation(reload_script, 3)
    write_worker(reload_script, 1, f"3 loaded {os.getpid()}")
    write_worker(reload_script, 2, f"3 loaded {gone.pid}")  # exited: a replacement comes
    assert run_script(reload_script, "wait", "3", bound=1).returncode == 3


def test_a_later_reload_ends_the_wait_of_an_earlier_one(reload_script: Path) -> None:
    write_generation(reload_script, 6)
    write_worker(reload_script, 1, f"5 loading {os.getpid()}")
    assert run_script(reload_script, "wait", "5", bound=10).returncode == 4


@pytest.mark.parametrize(
    ("status", "stopped_by"),
    [
        # It was importing when the master's signal came, and uWSGI ignored it: signalled again.
        ("loaded", signal.SIGHUP),
        # Still importing the previous save, serving nothing yet: stopped, its load is wasted.
        ("loading", signal.SIGKILL),
    ],
)
def test_a_worker_on_an_older_generation_is_replaced(
    reload_script: Path, status: str, stopped_by: signal.Signals
) -> None:
    # SIGHUP as uWSGI's workers take it, even when the tests run under nohup (which ignores it,
    # and an ignored signal stays ignored in every child).
    stale = subprocess.Popen(
        ["sleep", "30"], preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL)
    )
    try:
        write_generation(reload_script, 5)
        write_worker(reload_script, 1, f"5 loaded {os.getpid()}")
        write_worker(reload_script, 2, f"4 {status} {stale.pid}")
        result = run_script(reload_script, "wait", "5")
        assert result.returncode == 3
        assert stale.wait(timeout=5) == -stopped_by
    finally:
        stale.kill()
        stale.wait()


def test_a_reload_writes_the_next_generation(reload_script: Path, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    reader = os.open(tmp_path / "fifo", os.O_RDONLY | os.O_NONBLOCK)  # the master's end
    try:
        assert run_script(reload_script, "reload").stdout == "1\n"
        assert os.read(reader, 16) == b"w"
        second = run_script(reload_script, "reload")
    finally:
        os.close(reader)
    assert second.stdout == "2\n"
    assert (tmp_path / "state" / "generation").read_text() == "2\n"


def test_a_reload_stops_at_once_a_worker_importing_an_older_save(
    reload_script: Path, tmp_path: Path
) -> None:
    os.mkfifo(tmp_path / "fifo")
    reader = os.open(tmp_path / "fifo", os.O_RDONLY | os.O_NONBLOCK)
    importing = subprocess.Popen(["sleep", "30"])
    try:
        write_worker(reload_script, 1, f"0 loading {importing.pid}")
        assert run_script(reload_script, "reload").stdout == "1\n"
        assert importing.wait(timeout=5) == -signal.SIGKILL
    finally:
        importing.kill()
        importing.wait()
        os.close(reader)


def test_a_reload_the_master_fifo_does_not_take_signals_each_worker_itself(
    reload_script: Path,
) -> None:
    # The generation is written (an earlier wait ends on it), so the reload must still happen.
    stale = subprocess.Popen(["sleep", "30"])
    try:
        write_worker(reload_script, 1, f"0 loaded {stale.pid}")
        result = run_script(reload_script, "reload", bound=10)
        assert (result.returncode, result.stdout) == (0, "1\n")
        assert stale.wait(timeout=5) == -signal.SIGHUP
    finally:
        stale.kill()
        stale.wait()


def test_the_names_of_the_applied_files_are_relative_to_the_approot(
    application: Application,
) -> None:
    files = ["web/wsgi.py", "web/lib/models.py", "jobs/worker.py", "dotcloud.yml"]
    assert service_files(application, "www", files) == ["wsgi.py", "lib/models.py"]


# --- the terminal's line for each save -----------------------------------------------------------


class Lines:
    """A Progress that keeps its lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def announce(self, text: str) -> None:
        self.lines.append(f"==> {text}")

    def step(self, text: str) -> None:
        self.lines.append(f"---> {text}")

    def event(self, source: str, text: str) -> None:
        self.lines.append(f"[{source}] {text}")


class FakeInstance:
    label = "www.0"


class FakeReloads:
    """The engine's side of a reload: reload N is overtaken by reload N+1 until `last`."""

    def __init__(self, last: int, outcome: Any) -> None:
        self.generation = 0
        self.last = last
        self.outcome = outcome
        self.sent = threading.Condition()

    def running_instances(self, client: Any, app: str, service: str) -> list[FakeInstance]:
        return [FakeInstance()]

    def reload_workers(self, client: Any, instance: FakeInstance) -> Outcome:
        with self.sent:
            self.generation += 1
            self.sent.notify_all()
            return Outcome(instance.label, True, str(self.generation))

    def wait_for_workers(self, client: Any, instance: Any, generation: int, timeout: int) -> Any:
        if generation < self.last:
            with self.sent:
                self.sent.wait_for(lambda: self.generation > generation, timeout=10)
            return Loaded(instance.label, False, (), superseded=True)
        return self.outcome


def reload_saves(monkeypatch: pytest.MonkeyPatch, saves: list[str], outcome: Any) -> list[str]:
    from dotcloud_emulator.api import devreload

    engine = FakeReloads(len(saves), outcome)
    for name in ("running_instances", "reload_workers", "wait_for_workers"):
        monkeypatch.setattr(devreload.devmode, name, getattr(engine, name))
    progress = Lines()
    reloads = devreload.Reloads(progress)  # type: ignore[arg-type]
    for what in saves:
        reloads.reload(None, "devapp", "www", what)
    reloads.join()
    return [re.sub(r"\d+\.\d s", "N s", line) for line in progress.lines]


LOADED = Loaded("www.0", True, (WorkerState(1, 3, "loaded"), WorkerState(2, 3, "loaded")))


def test_a_save_is_reported_once_every_worker_loaded_it(monkeypatch: pytest.MonkeyPatch) -> None:
    assert reload_saves(monkeypatch, ["wsgi.py"], LOADED) == ["---> www: wsgi.py applied in N s"]


def test_saves_overtaken_by_a_later_one_are_reported_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = reload_saves(monkeypatch, ["wsgi.py", "models.py", "wsgi.py"], LOADED)
    assert lines == ["---> www: wsgi.py, models.py (3 saves) applied in N s"]


def test_a_reload_not_sent_reports_the_saves_it_overtook(monkeypatch: pytest.MonkeyPatch) -> None:
    from dotcloud_emulator.api import devreload

    engine = FakeReloads(2, LOADED)
    refused = Outcome("www.0", False, "the engine said no")
    answers = iter([None, refused])

    def reload_workers(client: Any, instance: FakeInstance) -> Outcome:
        answer = next(answers)
        return engine.reload_workers(client, instance) if answer is None else answer

    monkeypatch.setattr(devreload.devmode, "running_instances", engine.running_instances)
    monkeypatch.setattr(devreload.devmode, "reload_workers", reload_workers)
    # The first wait ends as overtaken: the script saw the second reload's generation.
    overtaken = Loaded("www.0", False, (), superseded=True)
    monkeypatch.setattr(devreload.devmode, "wait_for_workers", lambda *args: overtaken)
    progress = Lines()
    reloads = devreload.Reloads(progress)  # type: ignore[arg-type]
    reloads.reload(None, "devapp", "www", "wsgi.py")
    reloads.join()
    reloads.reload(None, "devapp", "www", "models.py")
    reloads.join()
    assert progress.lines == [
        "==> www: wsgi.py, models.py (2 saves) could not be applied: www.0: the engine said no"
    ]


def test_a_save_no_worker_loaded_in_time_is_said_so(monkeypatch: pytest.MonkeyPatch) -> None:
    late = Loaded("www.0", False, (WorkerState(1, 3, "loaded"), WorkerState(2, 2, "loading")))
    assert reload_saves(monkeypatch, ["wsgi.py"], late) == [
        "==> www: wsgi.py could not be applied: www.0: uWSGI worker 2 still ran older code "
        "after 30 s (save again to retry)"
    ]


def test_a_load_error_is_one_line_then_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    error = "Traceback (most recent call last):\n  ...\nSyntaxError: invalid syntax"
    broken = WorkerState(1, 3, "failed", error, "SyntaxError: invalid syntax (wsgi.py, line 2)")
    lines = reload_saves(monkeypatch, ["wsgi.py"], Loaded("www.0", True, (broken,)))
    assert (
        lines[0] == "==> www: wsgi.py failed to load: SyntaxError: invalid syntax (wsgi.py, line 2)"
    )
    assert lines[1:] == [f"[www]   {line}" for line in error.splitlines()]

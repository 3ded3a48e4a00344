"""`dotcloud-emulator env`, run in-process against a sample application in a temporary directory."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from dotcloud_emulator.cli import main as cli
from dotcloud_emulator.cli.commands import env as env_command

SAMPLE_YML = """\
www:
  type: python
  approot: services/www
session:
  type: redis
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state_home = tmp_path / "state"
    monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", str(state_home))
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("env",))
    return state_home


@pytest.fixture
def appdir(tmp_path: Path) -> Path:
    root = tmp_path / "tutorial"
    (root / "services" / "www").mkdir(parents=True)
    (root / "dotcloud.yml").write_text(SAMPLE_YML)
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["env", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def show_json(capsys: pytest.CaptureFixture[str], appdir: Path, target: str) -> dict[str, object]:
    code, out, err = run(capsys, "show", target, "--json", "--dir", str(appdir))
    assert code == 0, err
    result: dict[str, object] = json.loads(out)
    return result


def test_show_the_sample_application(
    home: Path, appdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = show_json(capsys, appdir, "tutorial.www")
    assert env["DOTCLOUD_PROJECT"] == "tutorial"
    assert env["DOTCLOUD_SERVICE_NAME"] == "www"
    assert env["DOTCLOUD_SERVICE_ID"] == "0"
    assert env["PORT_HTTP"] == 8080
    host, port = env["DOTCLOUD_SESSION_REDIS_HOST"], env["DOTCLOUD_SESSION_REDIS_PORT"]
    login, password = env["DOTCLOUD_SESSION_REDIS_LOGIN"], env["DOTCLOUD_SESSION_REDIS_PASSWORD"]
    assert (host, port, login) == ("session", "6379", "root")
    assert isinstance(password, str)
    assert len(password) >= 22
    assert env["DOTCLOUD_SESSION_REDIS_URL"] == f"redis://{login}:{password}@{host}:{port}"
    assert show_json(capsys, appdir, "tutorial.www")["DOTCLOUD_SESSION_REDIS_PASSWORD"] == password


def test_show_creates_private_state(
    home: Path, appdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    show_json(capsys, appdir, "tutorial.session")
    assert stat.S_IMODE((home / "apps" / "tutorial" / "state.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((home / "apps" / "tutorial").stat().st_mode) == 0o700


def test_show_prints_sorted_key_value_lines(
    home: Path, appdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "show", "tutorial.www.0", "-d", str(appdir))
    assert code == 0
    lines = out.splitlines()
    assert lines == sorted(lines)
    assert "DOTCLOUD_PROJECT=tutorial" in lines
    assert "PORT_HTTP=8080" in lines


def test_show_defaults_to_the_current_directory(
    home: Path, appdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(appdir)
    code, out, _ = run(capsys, "show", "tutorial.session")
    assert code == 0
    assert "DOTCLOUD_SERVICE_NAME=session" in out.splitlines()


def test_show_includes_env_set_variables(
    home: Path, appdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "set", "tutorial", "MODE=production")[0] == 0
    assert show_json(capsys, appdir, "tutorial.www")["MODE"] == "production"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "tutorial",
            '"tutorial" names no service: use APP.SERVICE[.INSTANCE], e.g. tutorial.www '
            "(services: www, session)",
        ),
        ("tutorial.nope", 'application tutorial has no service "nope" (services: www, session)'),
        (
            "tutorial.www.x",
            '"x" in "tutorial.www.x" is not an instance number',
        ),
        ("tutorial.www.1", "tutorial.www has no instance 1: it has 1 instance (0)"),
        (
            "tutorial..www",
            '"tutorial..www" is not a valid target here: use APP or APP.SERVICE or '
            "APP.SERVICE.INSTANCE",
        ),
    ],
)
def test_show_bad_targets(
    home: Path, appdir: Path, capsys: pytest.CaptureFixture[str], target: str, message: str
) -> None:
    code, out, err = run(capsys, "show", target, "--dir", str(appdir))
    assert code == 2
    assert out == ""
    assert message in err


def test_show_refuses_a_directory_holding_another_application(
    home: Path, appdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "show", "other.www", "--dir", str(appdir))
    assert code == 2
    assert f'{appdir} holds application "tutorial", not "other"' in err


def test_show_accepts_the_directory_an_app_was_deployed_from_under_another_name(
    home: Path, appdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dotcloud_emulator.platform.state import AppState, StateStore

    StateStore(home).save(AppState(app="tut123", created_at=0.0, appdir=str(appdir)))

    assert show_json(capsys, appdir, "tut123.www")["DOTCLOUD_PROJECT"] == "tut123"


def test_set_list_unset(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "set", "tutorial", "MODE=production", "API=http://x/?a=b")
    assert code == 0
    assert err == (
        "==> Setting MODE=production, API=http://x/?a=b (application tutorial)\n"
        "==> tutorial is not running: the change applies at its next `up`\n"
    )
    code, out, err = run(capsys, "list", "tutorial")
    assert (code, out) == (0, "API=http://x/?a=b\nMODE=production\n")
    assert err == "==> Environment variables for application tutorial\n"
    code, out, _ = run(capsys, "list", "tutorial", "--json")
    assert json.loads(out) == {"API": "http://x/?a=b", "MODE": "production"}
    code, _, err = run(capsys, "unset", "tutorial", "MODE")
    assert code == 0
    assert err.startswith("==> Un-setting MODE (application tutorial)\n")
    assert run(capsys, "list", "tutorial")[1] == "API=http://x/?a=b\n"


def test_set_value_may_be_empty_or_contain_equals(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "set", "tutorial", "EMPTY=", "EQ=a=b")[0] == 0
    assert run(capsys, "list", "tutorial")[1] == "EMPTY=\nEQ=a=b\n"


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (
            "novalue",
            '"novalue" is an invalid environment variable expression. '
            'Environment variables are set like "foo=bar".',
        ),
        ("=value", '"=value" is an invalid environment variable expression.'),
        ("1ABC=x", '"1ABC" is not a valid variable name'),
        ("A-B=x", '"A-B" is not a valid variable name'),
        ("DOTCLOUD_PROJECT=x", '"DOTCLOUD_PROJECT": names starting with DOTCLOUD_ are reserved'),
    ],
)
def test_set_is_all_or_nothing(
    home: Path, capsys: pytest.CaptureFixture[str], argument: str, message: str
) -> None:
    code, _, err = run(capsys, "set", "tutorial", "GOOD=1", argument)
    assert code == 2
    assert message in err
    assert run(capsys, "list", "tutorial")[1] == ""
    assert not (home / "apps" / "tutorial").exists()


def test_unset_unknown_key_changes_nothing(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "set", "tutorial", "A=1")
    code, _, err = run(capsys, "unset", "tutorial", "A", "NOPE")
    assert code == 2
    assert "NOPE is not set for application tutorial (set: A)" in err
    assert run(capsys, "list", "tutorial")[1] == "A=1\n"


def test_set_and_unset_call_the_redeploy_hook(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(env_command, "after_env_change", calls.append)
    run(capsys, "set", "tutorial", "A=1")
    run(capsys, "unset", "tutorial", "A")
    assert calls == ["tutorial", "tutorial"]


def test_no_secret_outside_show(
    home: Path, appdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    password = show_json(capsys, appdir, "tutorial.www")["DOTCLOUD_SESSION_REDIS_PASSWORD"]
    assert isinstance(password, str)
    outputs = [run(capsys, "set", "tutorial", "A=1"), run(capsys, "list", "tutorial")]
    outputs.append(run(capsys, "unset", "tutorial", "A"))
    assert not [o for o in outputs if re.search(re.escape(password), o[1] + o[2])]


def test_invalid_application_name(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "list", "../etc")
    assert code == 2
    assert "invalid application name" in err

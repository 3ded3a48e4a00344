"""`APP[.SERVICE[.N]]` targets: parsed before anything else, a bad one is a one-line exit 2."""

from __future__ import annotations

import pytest

from dotcloud_emulator.cli import main as cli
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform.target import Target, parse_target


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tutorial", Target("tutorial")),
        ("tutorial.www", Target("tutorial", "www")),
        ("tutorial.www.1", Target("tutorial", "www", 1)),
        ("my_app2.session.0", Target("my_app2", "session", 0)),
    ],
)
def test_valid_targets(text: str, expected: Target) -> None:
    target = parse_target(text)

    assert target == expected
    assert target.text == text


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        (
            "a..b",
            {},
            '"a..b" is not a valid target here: use APP or APP.SERVICE or APP.SERVICE.INSTANCE',
        ),
        (
            "a.b.c.d",
            {},
            '"a.b.c.d" is not a valid target here: use APP or APP.SERVICE or APP.SERVICE.INSTANCE',
        ),
        ("a.b.0", {"max_depth": 2}, '"a.b.0" is not a valid target here: use APP or APP.SERVICE'),
        (
            "a",
            {"require_service": True},
            '"a" is not a valid target here: use APP.SERVICE or APP.SERVICE.INSTANCE',
        ),
        ("a.www.x", {}, '"x" in "a.www.x" is not an instance number'),
        ("a.www.-1", {}, '"-1" in "a.www.-1" is not an instance number'),
        (
            ".www",
            {},
            '".www" is not a valid target here: use APP or APP.SERVICE or APP.SERVICE.INSTANCE',
        ),
    ],
)
def test_invalid_targets(text: str, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_target(text, **kwargs)  # type: ignore[arg-type]

    assert caught.value.message == message
    assert caught.value.exit_code == 2


def test_bad_application_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match='invalid application name "Tutorial"'):
        parse_target("Tutorial.www")


@pytest.mark.parametrize(
    "argv",
    [
        ["status", "a..b"],
        ["info", "a.b.c"],
        ["logs", "a.b.c.d"],
        ["run", "tutorial", "--", "ls"],
        ["url", "a.www.0"],
        ["destroy", "a.b.c", "-y"],
        ["down", "a.www"],
    ],
)
def test_cli_rejects_a_bad_target_in_one_line_before_docker(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli.main(argv)

    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert "Docker" not in err


def test_destroy_without_terminal_or_yes_refuses(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)

    status = cli.main(["destroy", "tutorial"])

    assert status == 2
    assert capsys.readouterr().err == (
        'error: refusing to destroy "tutorial" without confirmation: pass -y '
        "(no terminal to ask on)\n"
    )


def test_a_command_needing_docker_says_how_to_get_it(capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["status", "tutorial"])

    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("error: cannot reach the Docker engine (")
    assert err.rstrip().endswith("Start it, or run `make docker` to install and start one.")
    assert "Traceback" not in err

"""The healer's reading of the engine's event stream (templates/healer/dotcloud-healer), run by
bash and jq against a stand-in `curl` that plays the engine's API.

An event's bytes can reach the healer in two pieces, and a read that times out between them
keeps only the first. The healer must put the two together: a `die` event lost this way left a
killed database down for good.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

import dotcloud_emulator.render as render_package

HEALER = Path(render_package.__file__).parent / "templates" / "healer" / "dotcloud-healer"
CONTAINER = "c0ffee" * 10 + "abcd"
# The engine's API as the healer calls it: the event stream, the application's containers, one
# container's details and its start. Every call is written down, one per line; a start ends the
# healer (the stand-in is its child), which is what the test waits for.
FAKE_CURL = """#!/bin/bash
printf '%s\\n' "$*" >>"$CALLS"
case "$*" in
*/events*)
    head -c "$SPLIT_AT" "$EVENT"
    sleep 0.6  # past the healer's first read timeout (0.2 s) with half an event read
    tail -c "+$((SPLIT_AT + 1))" "$EVENT"
    exec sleep 60 ;;
*"-X POST"*/start*) kill -TERM "$PPID" ;;
*/containers/json*) echo '[]' ;;
*/json*) echo '{"State": {"Running": false, "Restarting": false}, "Config": {"Labels": {}}}' ;;
esac
"""


@pytest.fixture
def engine(tmp_path: Path) -> dict[str, str]:
    assert shutil.which("jq"), "the healer's tests need jq, as its image has"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    curl = bin_dir / "curl"
    curl.write_text(FAKE_CURL)
    curl.chmod(0o755)
    event = {
        "status": "die",
        "id": CONTAINER,
        "Type": "container",
        "Action": "die",
        "Actor": {"ID": CONTAINER, "Attributes": {"io.dotcloud.emulator.role": "service"}},
    }
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(event) + "\n")
    return {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "DOTCLOUD_APP": "heal",
        "CALLS": str(tmp_path / "calls"),
        "EVENT": str(event_file),
        # Within the container's id, as the engine's stream was seen cut.
        "SPLIT_AT": str(len('{"status": "die", "id": "') + 11),
    }


def test_an_event_that_arrives_in_two_pieces_is_still_acted_on(
    tmp_path: Path, engine: dict[str, str]
) -> None:
    healer = subprocess.Popen(
        ["bash", str(HEALER)],
        env=engine,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    calls = Path(engine["CALLS"])
    started = f"-X POST http://docker/v1.41/containers/{CONTAINER}/start"
    try:
        healer.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass  # it never asked for the start: the assertions below say so
    finally:
        os.killpg(healer.pid, signal.SIGKILL)  # the stand-in's event stream too
        _, stderr = healer.communicate(timeout=10)
    assert started in calls.read_text(), f"the dead container was not started again:\n{stderr}"
    assert "parse error" not in stderr
    assert f"starting {CONTAINER[:12]} again" in stderr

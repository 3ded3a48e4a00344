"""Any bytes in dotcloud.yml give exit status 0 or 2 and one-line messages, never a traceback.

`main` runs in-process, so an unexpected exception is not printed: it escapes `main` and fails
the test (Hypothesis then shrinks the build file that caused it).
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dotcloud_emulator.buildfile.schema import KNOWN_KEYS
from dotcloud_emulator.catalogue import SERVICE_TYPES
from dotcloud_emulator.cli.main import main

VALID = (Path(__file__).parent / "fixtures" / "buildfiles" / "valid_tutorial.yml").read_bytes()

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from([*SERVICE_TYPES, "www", ".", "..", "/etc", "v2.7", "v3.1", "http", "tcp"]),
)
keys = st.one_of(
    st.sampled_from([*KNOWN_KEYS, "www", "db", "python_version", "A"]), st.text(max_size=8)
)
nested = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)
services = st.dictionaries(
    st.text("abcdefgh_0123456789", min_size=1, max_size=18),
    st.dictionaries(keys, nested, max_size=6) | nested,
    max_size=4,
)
dumped = st.one_of(nested, services).map(lambda data: yaml.safe_dump(data).encode())


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    lines = VALID.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, max(len(lines) - 1, 0)))
        action = draw(st.sampled_from(["delete", "tab", "flip", "key", "duplicate"]))
        if not lines:
            break
        line = lines[where]
        if action == "delete":
            del lines[where]
        elif action == "tab":
            lines[where] = b"\t" + line
        elif action == "flip":
            offset = draw(st.integers(0, max(len(line) - 1, 0)))
            lines[where] = line[:offset] + bytes([draw(st.integers(0, 255))]) + line[offset + 1 :]
        elif action == "key":
            key = draw(keys).encode("utf-8", "replace")
            value = yaml.safe_dump(draw(nested), default_flow_style=True).strip().encode()
            lines.insert(where, b"  " + key + b": " + value + b"\n")
        else:
            lines.insert(where, line)
    return b"".join(lines)


@settings(
    max_examples=2500,  # "thousands" of build files: about 30 s
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(content=st.one_of(dumped, mutated(), st.binary(max_size=200)))
def test_validate_never_crashes(content: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    with tempfile.TemporaryDirectory(prefix="fuzz") as root:
        monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", str(Path(root) / "home"))
        app = Path(root) / "app"
        (app / "www").mkdir(parents=True)
        (app / "dotcloud.yml").write_bytes(content)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["validate", str(app)])  # any exception but a user error fails here
        assert status in (0, 2)
        assert (status == 0) == out.getvalue().startswith(f"{app}/dotcloud.yml: OK")
        messages = err.getvalue().splitlines()
        assert status == 0 or any(" error: " in f" {line}" for line in messages)
        for line in messages:  # each message is one line, whatever the file held
            assert line.startswith((f"{app}/dotcloud.yml:", "error: ")), line

"""The committed docker-compose.yml is what `generate .` renders for the sample application."""

from __future__ import annotations

from pathlib import Path

from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.platform.appname import discover_app_name
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState
from dotcloud_emulator.render.compose import render_compose

REPO = Path(__file__).resolve().parents[2]


def test_the_committed_compose_file_is_up_to_date(tmp_path: Path) -> None:
    name = discover_app_name(REPO)
    application = load_application(REPO, name).application
    state = AppState(app=name, created_at=0.0, passwords={"session": "not-in-the-file"})
    rendered = render_compose(application, state, Settings(tmp_path)).content
    committed = REPO / "docker-compose.yml"
    assert committed.is_file(), "docker-compose.yml is missing: run make generate"
    assert committed.read_text(encoding="utf-8") == rendered, (
        "docker-compose.yml is out of date: run make generate"
    )

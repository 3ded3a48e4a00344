"""A real headless Chromium drives the tutorial's page."""

from __future__ import annotations

import re
import shutil

import pytest

from .conftest import IN_CI, RunningApp

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.mark.browser
def test_generator_button_shows_a_string(tutorial: RunningApp) -> None:
    if not shutil.which("chromium"):
        if IN_CI:
            pytest.fail("CI=true requires Debian's chromium (scripts/ensure-browser.sh)")
        pytest.skip("chromium is not installed; run scripts/ensure-browser.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page()
            page.goto(f"{tutorial.base}/", timeout=30_000)
            page.click("#generate")
            page.wait_for_function(
                "document.querySelector('#generated-string').textContent.trim().length > 0",
                timeout=10_000,
            )
            shown = page.text_content("#generated-string") or ""
        finally:
            browser.close()

    assert re.fullmatch(r"[0-9a-f]{8,}", shown.strip()), shown

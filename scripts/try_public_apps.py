"""Try applications as a new user would: copy each unchanged, a plain `up`, one request per web
service, then `destroy`. Prints one Markdown table row per application (and --json a document).

    .venv/bin/python scripts/try_public_apps.py /path/to/app1 /path/to/app2 ... [--json OUT]

Each application runs under its own name (`try` + a number) on its own port, with a private
state directory, and is destroyed afterwards whatever happened. Only the applications' own
containers are touched; requests go to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, str(ROOT / "tools" / "dotcloud_emulator.py")]
UP_TIMEOUT = 1500  # seconds: a cold build of a Python 2 application with compiled packages
REQUEST_TIMEOUT = 15
ERA_LINE = re.compile(r"Resolving requirements as (.*)")


def cli(env: dict[str, str], *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *argv], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def first_error(text: str) -> str:
    """The first line of the error `up` ended with (after `error:`), shortened for a table."""
    for line in text.splitlines():
        if line.startswith(("error:", "dotcloud-emulator: error")):
            return line.split("error:", 1)[1].strip()[:160]
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:160] if lines else ""


def try_app(source: Path, number: int, port: int, home: Path) -> dict[str, Any]:
    name = f"try{os.getpid() % 10000}n{number}"  # runs at the same time do not collide
    env = {**os.environ, "DOTCLOUD_EMULATOR_HOME": str(home)}
    workdir = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    # The application's whole repository, its history included, as a clone would give it.
    top = next((d for d in (source, *source.parents[:2]) if (d / ".git").exists()), source)
    shutil.copytree(top, workdir / top.name, symlinks=True)
    appdir = workdir / top.name / source.relative_to(top)
    label = str(source.relative_to(top.parent))
    row: dict[str, Any] = {"app": label, "era": "", "result": "", "cause": ""}
    started = time.monotonic()
    try:
        up = cli(env, "up", str(appdir), "-A", name, "--port", str(port), timeout=UP_TIMEOUT)
        output = up.stdout + up.stderr
        era = ERA_LINE.search(output)
        row["era"] = era.group(1) if era else ""
        row["up_seconds"] = round(time.monotonic() - started)
        if up.returncode != 0:
            row["result"], row["cause"] = "up fails", first_error(output)
            row["output_tail"] = output.splitlines()[-30:]
            return row
        urls = json.loads(cli(env, "url", name, "--json").stdout or "{}")
        answers = []
        for service, service_urls in urls.items():
            if not service_urls:
                continue
            host = service_urls[0].split("//", 1)[1].split("/", 1)[0].split(":", 1)[0]
            response = requests.get(
                f"http://127.0.0.1:{port}/",
                headers={"Host": host},
                timeout=REQUEST_TIMEOUT,
                allow_redirects=False,
            )
            answers.append(f"{service} {response.status_code}")
            if response.status_code >= 500:  # the instance's own last lines say why
                logs = cli(env, "logs", f"{name}.{service}", "-n", "40").stdout
                row.setdefault("logs", {})[service] = logs.splitlines()[-40:]
        row["result"] = "answers: " + ", ".join(answers) if answers else "up, no web service"
    except (subprocess.TimeoutExpired, requests.RequestException) as exc:
        row["result"], row["cause"] = "error", str(exc)[:160]
    finally:
        cli(env, "destroy", name, "-y", timeout=300)
        shutil.rmtree(workdir, ignore_errors=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("apps", nargs="+", type=Path)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--port", type=int, default=8470, help="the first gateway port")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="try-apps-home-"))
    results = []
    print("| app | era (inferred) | result | cause |\n| --- | --- | --- | --- |", flush=True)
    for number, source in enumerate(args.apps):
        row = try_app(source.resolve(), number, args.port + number, home)
        results.append(row)
        print(f"| {row['app']} | {row['era']} | {row['result']} | {row['cause']} |", flush=True)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n")
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Run the emulator from a checkout: `python tools/dotcloud_emulator.py COMMAND ...`."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {"yaml": "PyYAML", "jinja2": "Jinja2", "docker": "docker", "rich": "rich"}


def missing_dependencies() -> list[str]:
    import importlib.util

    return [dist for module, dist in REQUIRED.items() if importlib.util.find_spec(module) is None]


def main() -> int:
    sys.path.insert(0, str(ROOT / "src"))
    missing = missing_dependencies()
    if missing:
        print(
            f"error: missing Python packages: {', '.join(missing)}\n"
            f"Install them with `make setup` (a virtualenv in .venv), then run "
            f"`.venv/bin/python tools/dotcloud_emulator.py ...`, or `pip install -e {ROOT}`.",
            file=sys.stderr,
        )
        return 1
    from dotcloud_emulator.cli.main import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())

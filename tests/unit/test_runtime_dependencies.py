"""The CLI runs with the project's runtime dependencies alone (`make up` installs no test tools).

A subprocess imports every module the CLI can load with the test tools' packages made
unimportable, so a module that needs a package only the `dev` extra installs fails here, not on
a user's first `up`.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
# The distributions of the dev extra, and the modules they provide (the name differs for some).
MODULES = {
    "cherrypy": ["cherrypy"],
    "pymongo": ["pymongo", "bson", "gridfs"],
    "types-pyyaml": [],
    "types-requests": [],
}

IMPORT_ALL = """
import importlib, pkgutil, sys

blocked = set(sys.argv[1:])

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r} (a test tool's)")
        return None

sys.meta_path.insert(0, Refuse())
import dotcloud_emulator
for module in pkgutil.walk_packages(dotcloud_emulator.__path__, "dotcloud_emulator."):
    # The servers run inside the data services' images, with Debian's packages.
    # __main__ would run the CLI.
    if module.name.startswith("dotcloud_emulator.smtpserver") or module.name.endswith("__main__"):
        continue
    importlib.import_module(module.name)
print("imported")
"""


def installed_with(names: list[str]) -> set[str]:
    """These distributions and everything they require (transitively), by lowercase name."""
    seen: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop().lower()
        if name in seen:
            continue
        seen.add(name)
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return seen


def dev_only_modules() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = installed_with([Requirement(r).name for r in project["dependencies"]])
    modules = []
    for line in project["optional-dependencies"]["dev"]:
        name = Requirement(line).name.lower()
        if name not in runtime:
            modules += MODULES.get(name, [name.replace("-", "_")])
    return modules


def test_the_cli_imports_without_the_test_tools() -> None:
    blocked = dev_only_modules()
    assert "pytest" in blocked
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, *blocked],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "imported"

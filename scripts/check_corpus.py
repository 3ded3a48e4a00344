"""Check a corpus of real dotcloud.yml files against the emulator: load, generate, compose config.

    .venv/bin/python scripts/check_corpus.py [DIR] [--json]

DIR (default ../shared/corpus/buildfiles, relative to the repository) holds one build file per
application, named anything ending in .yml or .yaml. Each is copied alone, as dotcloud.yml, into
a temporary application directory; what a lone file lacks of its tree (approot folders, a custom
buildscript) is stubbed there when the loader names it missing, and reported. Then the file is
loaded and validated as `validate` does, the project generated as `generate` does (private state
directory, temporary output), and `docker compose -f OUT/docker-compose.yml config -q` run on it.

Every file falls into one class: "target" when every service is a code type of the platform
(what the catalogue calls code or static) or redis, postgresql or mysql; "other" when a service
has another type (mongodb, solr, an unknown word...); "malformed" when the types cannot be read
(not YAML, a service that is not a mapping). The exit status is 1 when a file of the target
class is refused or fails compose config (issue 16's acceptance), 0 otherwise: the other classes
are reported, not failed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from dotcloud_emulator.buildfile.diagnostics import BuildFileError  # noqa: E402
from dotcloud_emulator.buildfile.loader import BUILDFILE_NAME, load_application  # noqa: E402
from dotcloud_emulator.buildfile.model import Application  # noqa: E402
from dotcloud_emulator.catalogue.entries import SERVICE_TYPES  # noqa: E402
from dotcloud_emulator.errors import UserError  # noqa: E402
from dotcloud_emulator.generate import generate_project  # noqa: E402
from dotcloud_emulator.platform.settings import Settings  # noqa: E402
from dotcloud_emulator.platform.state import StateStore  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "corpus" / "buildfiles"
# The data types issue 16's acceptance puts beside the code types.
TARGET_DATA_TYPES = ("redis", "postgresql", "mysql")
# The platform's experimental opa type: a code type in the catalogue, but not one of the
# languages issue 16 lists.
NOT_IN_ISSUE = ("opa",)
COMPOSE_TIMEOUT = 60
MAX_STUB_ROUNDS = 4

# What a lone build file lacks of its tree, as the loader says it.
MISSING = r'"[^"]+" "(?P<path>[^"]+)" is not a {} in the application directory'
MISSING_FILE = re.compile(MISSING.format("file"))
MISSING_DIR = re.compile(MISSING.format("directory"))
# The loader's first error line -> a category for the summary, first match wins.
CATEGORIES = (
    (
        re.compile(r"'(?P<t>[^']+)' is a dotCloud service type this emulator does not run"),
        "unsupported type {t}",
    ),
    (re.compile(r'unrecognized service type "(?P<t>[^"]+)"'), "not a platform type ({t})"),
    (re.compile(r"invalid YAML"), "YAML error"),
    (re.compile(r"must be a mapping"), "service not a mapping"),
    (re.compile(r"mapping key must be a plain value"), "YAML error (collection as key)"),
    (re.compile(r"scaling data services"), "data service scaled"),
    (re.compile(r"must be a plain value|must be a string|must be an? "), "invalid value"),
    (re.compile(r"unknown key|unknown config key"), "invalid key"),
)


def code_types() -> tuple[str, ...]:
    """The platform's code types, asked of the catalogue whether they run here or not."""
    return tuple(
        name
        for name, service_type in SERVICE_TYPES.items()
        if service_type.kind in ("code", "static") and name not in NOT_IN_ISSUE
    )


@dataclass
class Result:
    file: str
    klass: str  # target, other, malformed
    types: list[str]
    outcome: str = ""  # compose-ok, compose-refused, generate-refused, refused
    category: str = ""
    message: str = ""
    stubs: list[str] = field(default_factory=list)  # what was made of the tree besides approots
    warnings: list[str] = field(default_factory=list)  # the loader's, without positions
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.outcome != "compose-ok"


def declared_types(text: str) -> tuple[str, list[str]]:
    """(class, types) from the file's text, read independently of the emulator's loader."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return "malformed", []
    if not isinstance(document, dict) or not document:
        return "malformed", []
    types: list[str] = []
    for definition in document.values():
        if not isinstance(definition, dict) or not isinstance(definition.get("type"), str):
            return "malformed", types
        types.append(definition["type"])
    accepted = {*code_types(), *TARGET_DATA_TYPES}
    return ("target" if all(t in accepted for t in types) else "other"), sorted(set(types))


def categorize(message: str) -> str:
    for pattern, label in CATEGORIES:
        found = pattern.search(message)
        if found:
            return label.format(**found.groupdict())
    return "other refusal"


def error_messages(exc: BuildFileError) -> list[str]:
    return [found.message for found in exc.diagnostics if found.severity == "error"]


def stub_tree(appdir: Path, messages: list[str]) -> list[str]:
    """Make what the loader said is missing; return what was made ("" when a message is about
    something else, so the caller knows the refusal is not only the tree's)."""
    made = []
    for message in messages:
        as_file, as_dir = MISSING_FILE.search(message), MISSING_DIR.search(message)
        if as_dir:
            (appdir / as_dir["path"]).mkdir(parents=True, exist_ok=True)
            made.append(as_dir["path"] + "/")
        elif as_file:
            path = appdir / as_file["path"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("#!/bin/sh\n")
            path.chmod(0o755)
            made.append(as_file["path"])
        else:
            made.append("")
    return made


def load_with_stubs(appdir: Path, name: str, result: Result) -> Application | None:
    """The loaded application, stubbing the missing tree round by round; None when refused."""
    for _ in range(MAX_STUB_ROUNDS):
        try:
            loaded = load_application(appdir, name)
            result.warnings = [found.message for found in loaded.warnings]
            return loaded.application
        except BuildFileError as exc:
            messages = error_messages(exc)
            made = stub_tree(appdir, messages)
            if not made or "" in made:
                refused = [m for m, what in zip(messages, made, strict=True) if not what]
                result.outcome, result.message = "refused", (refused or messages)[0]
                result.category = categorize(result.message)
                return None
            result.stubs += [path for path in made if not path.endswith("/")]
        except UserError as exc:
            result.outcome, result.message = "refused", exc.message.splitlines()[0]
            result.category = categorize(result.message)
            return None
    result.outcome, result.message, result.category = "refused", "tree never complete", "tree"
    return None


def compose_config(compose_file: Path) -> tuple[bool, str]:
    argv = ["docker", "compose", "-f", str(compose_file), "config", "-q"]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=COMPOSE_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"{' '.join(argv)}: {exc}"
    lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    return done.returncode == 0, (lines[-1] if lines else f"exit {done.returncode}")


def check_file(path: Path, number: int, workdir: Path) -> Result:
    text = path.read_text(encoding="utf-8", errors="replace")
    klass, types = declared_types(text)
    result = Result(path.name, klass, types)
    if path.suffix == ".yaml":
        result.notes.append("named dotcloud.yaml: the platform read dotcloud.yml only")
    appdir, outdir, home = (workdir / f"f{number}" / part for part in ("app", "out", "state"))
    appdir.mkdir(parents=True)
    (appdir / BUILDFILE_NAME).write_text(text, encoding="utf-8")
    application = load_with_stubs(appdir, f"corpus{number}", result)
    if application is None:
        return result
    settings = Settings(state_home=home)
    try:
        state = StateStore(home).prepare(application)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            compose_file = generate_project(application, state, settings, outdir, "")
    except UserError as exc:
        result.outcome, result.message = "generate-refused", exc.message.splitlines()[0]
        result.category = categorize(result.message)
        return result
    ok, message = compose_config(compose_file)
    result.outcome = "compose-ok" if ok else "compose-refused"
    result.message = "" if ok else message
    return result


def check_all(folder: Path) -> list[Result]:
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
    with tempfile.TemporaryDirectory(prefix="corpus-") as tmp:
        return [check_guarded(path, number, Path(tmp)) for number, path in enumerate(files)]


def check_guarded(path: Path, number: int, workdir: Path) -> Result:
    """check_file, with an unexpected exception (a bug of ours, not a refusal) as its outcome."""
    try:
        return check_file(path, number, workdir)
    except Exception as exc:  # a bug of ours: reported, never hidden
        klass, types = declared_types(path.read_text(encoding="utf-8", errors="replace"))
        return Result(path.name, klass, types, "crash", "crash", f"{type(exc).__name__}: {exc}")


def summary(results: list[Result]) -> dict[str, Any]:
    by_class: dict[str, dict[str, int]] = {}
    categories: dict[str, int] = {}
    for result in results:
        counts = by_class.setdefault(result.klass, {})
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
        if result.category:
            categories[result.category] = categories.get(result.category, 0) + 1
    return {
        "files": len(results),
        "by_class": by_class,
        "refusal_categories": dict(sorted(categories.items(), key=lambda item: -item[1])),
        "needed_stub_files": sum(1 for result in results if result.stubs),
        "target_failures": [r.file for r in results if r.klass == "target" and r.failed],
    }


def brief(message: str) -> str:
    """The message without the list of runnable types a type refusal ends with (--json has it)."""
    return message.split(" (it runs: ")[0].split(" (the emulator runs: ")[0]


def print_table(results: list[Result]) -> None:
    rows = [
        (
            r.file,
            r.klass,
            ",".join(r.types),
            r.outcome,
            r.category,
            brief(r.message),
            " ".join(r.stubs),
        )
        for r in results
    ]
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table("file", "class", "types", "outcome", "category", "message", "stubs")
        for row in rows:
            table.add_row(*row)
        Console().print(table)
    else:
        for row in rows:
            print("\t".join(row))


def print_summary(data: dict[str, Any]) -> None:
    print(f"\n{data['files']} files")
    for klass, counts in sorted(data["by_class"].items()):
        listing = ", ".join(f"{outcome} {n}" for outcome, n in sorted(counts.items()))
        print(f"  {klass}: {sum(counts.values())} ({listing})")
    print("refusals by category:")
    for category, count in data["refusal_categories"].items():
        print(f"  {count:4}  {category}")
    stubbed = data["needed_stub_files"]
    print(f"files that needed stub files of their tree (besides approots): {stubbed}")
    failures = data["target_failures"]
    print(f"target class refused or failing compose config: {len(failures)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"error: {args.folder}: not a directory", file=sys.stderr)
        return 2
    results = check_all(args.folder)
    data = summary(results)
    if args.json:
        document = {"summary": data, "files": [asdict(r) for r in results]}
        print(json.dumps(document, indent=2, sort_keys=True))
    else:
        print_table(results)
        print_summary(data)
    return 1 if data["target_failures"] else 0


if __name__ == "__main__":
    sys.exit(main())

"""Time `generate` and measure its output for an application at the service limit.

Every code service's build context holds a snapshot of the application tree and (with a CA
bundle set) a copy of the bundle; the writer stores what the contexts share once (hard links).
Prints the seconds of a first and of a repeated generate, and the bytes the output takes on disk
(each file counted once, however many links it has) against the bytes it would take as copies.

Run: .venv/bin/python bench/generate_bench.py [--services N] [--files N] [--file-kb N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from dotcloud_emulator.buildfile.validate import MAX_SERVICES
from dotcloud_emulator.cli.main import main

CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def make_app(root: Path, services: int, files: int, file_kb: int) -> None:
    """`services` python services sharing the application tree of `files` files."""
    (root / "www").mkdir(parents=True)
    (root / "www" / "wsgi.py").write_text("def application(environ, start):\n    return []\n")
    (root / "www" / "requirements.txt").write_text("CherryPy\n")
    for number in range(files):
        folder = root / "www" / "lib" / f"pkg{number % 20}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"mod{number}.py").write_bytes(os.urandom(file_kb * 512).hex().encode())
    entry = "  type: python\n  approot: www\n  config:\n    python_version: v3.11\n"
    (root / "dotcloud.yml").write_text("".join(f"s{n}:\n{entry}" for n in range(services)))


def disk_usage(root: Path) -> tuple[int, int]:
    """(bytes on disk, each inode once; bytes the files would take as separate copies)."""
    seen: set[int] = set()
    on_disk = as_copies = 0
    for directory, _, names in os.walk(root):
        for name in names:
            info = os.lstat(os.path.join(directory, name))
            as_copies += info.st_size
            if info.st_ino not in seen:
                seen.add(info.st_ino)
                on_disk += info.st_size
    return on_disk, as_copies


def timed_generate(appdir: Path) -> float:
    start = time.perf_counter()
    status = main(["generate", str(appdir), "-A", "bench"])
    if status != 0:
        raise SystemExit(f"generate failed with status {status}")
    return time.perf_counter() - start


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=MAX_SERVICES)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--file-kb", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="generate-bench-") as scratch:
        appdir = Path(scratch) / "app"
        make_app(appdir, args.services, args.files, args.file_kb)
        os.environ["DOTCLOUD_EMULATOR_HOME"] = str(Path(scratch) / "home")
        if CA_BUNDLE.is_file():
            os.environ["DOTCLOUD_CA_BUNDLE"] = str(CA_BUNDLE)
        first = timed_generate(appdir)
        again = timed_generate(appdir)
        on_disk, as_copies = disk_usage(appdir / ".dotcloud")
        tree, _ = disk_usage(appdir / "www")
    print(f"generate: {args.services} services, an application tree of {tree / 1e6:.1f} MB")
    print(f"  first run   {first:6.2f} s")
    print(f"  second run  {again:6.2f} s")
    print(f"  output      {on_disk / 1e6:6.1f} MB on disk ({as_copies / 1e6:.1f} MB as copies)")


if __name__ == "__main__":
    main_bench()

"""The compatibility shims of the Python 2.7 stack, run as shell scripts against fake real tools."""

from __future__ import annotations

import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest

SHIMS = resources.files("dotcloud_emulator.render") / "templates" / "shims"
SYSTEM_PATH = "/usr/bin:/bin"

# What the fake compiler saw: its arguments, one a line, then the source it was given.
RECORDING_COMPILER = """#!/bin/sh
for argument do
    printf '%s\\n' "$argument" >>"$RECORD.args"
    case $argument in
        *.c) cat "$argument" >"$RECORD.source" ;;
    esac
done
exit "${FAKE_STATUS:-0}"
"""
MYSQL_PYTHON_PING = """#include "local.h"
static int ping(_mysql_ConnectionObject *self, int reconnect)
{
\tif ( reconnect != -1 ) self->connection.reconnect = reconnect;
\treturn mysql_ping(&(self->connection));
}
"""
# MariaDB Connector/C 3's layout: the flag lives in the options, MYSQL has no `reconnect`.
MARIADB_HEADER = """typedef char my_bool;
typedef struct { struct { my_bool reconnect; } options; my_bool unused_1; } MYSQL;
typedef struct { MYSQL connection; } _mysql_ConnectionObject;
static int mysql_ping(MYSQL *mysql) { return mysql->options.reconnect; }
"""


def executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o755)
    return path


def install_shim(name: str, directory: Path, *, as_name: str | None = None) -> Path:
    """Install a shim the way the stack does: the file in one folder, a link on the PATH."""
    library = directory / "lib"
    library.mkdir(parents=True, exist_ok=True)
    shim = library / name
    if not shim.exists():
        shim.write_text(SHIMS.joinpath(name).read_text())
        shim.chmod(0o755)
    bin_dir = directory / "bin"
    bin_dir.mkdir(exist_ok=True)
    link = bin_dir / (as_name or name)
    link.symlink_to(shim)
    return link


def run(argv: list[str], path: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env={"PATH": path, **env},
        check=False,
        timeout=30,
    )


# --- pg_config -----------------------------------------------------------------------------------


@pytest.fixture
def pg_config(tmp_path: Path) -> tuple[Path, Path]:
    """The shim on the PATH, ahead of a fake real pg_config that reports $FAKE_VERSION."""
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    executable(
        real_dir / "pg_config",
        '#!/bin/sh\nif [ "$1" = --version ]; then echo "$FAKE_VERSION"; exit 0; fi\n'
        'echo "real pg_config: $*"; exit 3\n',
    )
    return install_shim("pg_config", tmp_path / "shim"), real_dir


@pytest.mark.parametrize(
    ("real", "reported"),
    [
        (
            "PostgreSQL 13.23 (Debian 13.23-0+deb11u4)",
            "PostgreSQL 13.0.23 (Debian 13.23-0+deb11u4)",
        ),
        ("PostgreSQL 15.4", "PostgreSQL 15.0.4"),
        ("PostgreSQL 10.1", "PostgreSQL 10.0.1"),
        ("PostgreSQL 9.1.3", "PostgreSQL 9.1.3"),
        ("PostgreSQL 9.4beta2", "PostgreSQL 9.4beta2"),
        ("PostgreSQL 16devel", "PostgreSQL 16devel"),
    ],
)
def test_pg_config_reports_three_numbers(
    pg_config: tuple[Path, Path], real: str, reported: str
) -> None:
    shim, real_dir = pg_config
    result = run(
        ["pg_config", "--version"], f"{shim.parent}:{real_dir}:{SYSTEM_PATH}", FAKE_VERSION=real
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{reported}\n", "")


def test_pg_config_passes_other_questions_to_the_real_one(pg_config: tuple[Path, Path]) -> None:
    shim, real_dir = pg_config
    result = run(["pg_config", "--includedir", "--libdir"], f"{shim.parent}:{real_dir}")
    assert (result.returncode, result.stdout) == (3, "real pg_config: --includedir --libdir\n")


def test_pg_config_version_is_psycopg2_24_parseable(pg_config: tuple[Path, Path]) -> None:
    # psycopg2 2.4.5's setup.py: the second word must match this, with the patch level numeric.
    import re

    shim, real_dir = pg_config
    result = run(
        ["pg_config", "--version"],
        f"{shim.parent}:{real_dir}:{SYSTEM_PATH}",
        FAKE_VERSION="PostgreSQL 13.23 (Debian 13.23-0+deb11u4)",
    )
    version = result.stdout.split()[1]
    match = re.match(r"(\d+)\.(\d+)(?:(?:\.(\d+))|(devel|(alpha|beta|rc)\d+))", version)
    assert match is not None
    assert match.group(1, 2, 3) == ("13", "0", "23")


def test_pg_config_without_a_real_one_says_so(tmp_path: Path) -> None:
    shim = install_shim("pg_config", tmp_path)
    result = run(["pg_config", "--version"], f"{shim.parent}:{tmp_path / 'nowhere'}")
    assert result.returncode == 127
    assert result.stderr == f"pg_config: no pg_config on the PATH besides this wrapper ({shim})\n"


# --- the compiler wrapper for MySQL-python -------------------------------------------------------


@pytest.fixture
def compiler(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The wrapper as gcc on the PATH, ahead of a recording fake gcc; and the record's prefix."""
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    executable(real_dir / "gcc", RECORDING_COMPILER)
    shim = install_shim("era-cc", tmp_path / "shim", as_name="gcc")
    return shim, real_dir, tmp_path / "record"


def mysql_python_source(directory: Path, text: str = MYSQL_PYTHON_PING) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "local.h").write_text('/* found through #include "..." */\n')
    source = directory / "_mysql.c"
    source.write_text(text)
    return source


def compile_with(
    compiler: tuple[Path, Path, Path], *argv: str, **env: str
) -> subprocess.CompletedProcess[str]:
    shim, real_dir, record = compiler
    return run(
        ["gcc", *argv],
        f"{shim.parent}:{real_dir}:{SYSTEM_PATH}",
        RECORD=str(record),
        TMPDIR=str(record.parent),
        **env,
    )


def test_compiler_rewrites_the_reconnect_member_of_mysql_python(
    compiler: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    source = mysql_python_source(tmp_path / "MySQL-python-1.2.5")
    result = compile_with(compiler, "-pthread", "-c", str(source), "-o", "build/_mysql.o")
    record = compiler[2]
    arguments = Path(f"{record}.args").read_text().splitlines()
    compiled = Path(f"{record}.source").read_text()
    assert result.returncode == 0, result.stderr
    assert compiled == MYSQL_PYTHON_PING.replace(
        "connection.reconnect", "connection.options.reconnect"
    )
    assert str(source) not in arguments  # a patched copy was compiled instead
    assert arguments[:3] == ["-pthread", "-c", "-iquote"]
    assert arguments[3] == str(source.parent)
    assert arguments[4].endswith("/_mysql.c")
    assert arguments[5:] == ["-o", "build/_mysql.o"]
    assert not Path(arguments[4]).exists()  # the copy is removed afterwards
    assert source.read_text() == MYSQL_PYTHON_PING  # the package's own file is untouched


def test_compiler_keeps_the_real_compilers_exit_status(
    compiler: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    source = mysql_python_source(tmp_path / "src")
    result = compile_with(compiler, "-c", str(source), FAKE_STATUS="3")
    assert result.returncode == 3


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("other.c", MYSQL_PYTHON_PING),  # another file that happens to use the member
        ("_mysql.c", "int main(void) { return 0; }\n"),  # a _mysql.c that needs no fix
    ],
)
def test_compiler_passes_every_other_compilation_through(
    compiler: tuple[Path, Path, Path], tmp_path: Path, name: str, text: str
) -> None:
    source = tmp_path / "src" / name
    source.parent.mkdir()
    source.write_text(text)
    result = compile_with(compiler, "-O2", "-c", str(source), "-o", "x.o", FAKE_STATUS="4")
    record = compiler[2]
    assert result.returncode == 4
    assert Path(f"{record}.args").read_text().splitlines() == [
        "-O2",
        "-c",
        str(source),
        "-o",
        "x.o",
    ]


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler on this machine")
def test_mysql_python_compiles_against_mariadb_layout_only_through_the_wrapper(
    tmp_path: Path,
) -> None:
    source = mysql_python_source(tmp_path / "src")
    (source.parent / "local.h").write_text(MARIADB_HEADER)
    real_cc = Path(shutil.which("cc") or "").parent
    argv = ["cc", "-c", str(source), "-o", str(tmp_path / "_mysql.o")]

    direct = run(argv, f"{real_cc}:{SYSTEM_PATH}")
    shim = install_shim("era-cc", tmp_path / "shim", as_name="cc")
    wrapped = run(argv, f"{shim.parent}:{real_cc}:{SYSTEM_PATH}", TMPDIR=str(tmp_path))

    assert direct.returncode != 0
    assert "has no member named 'reconnect'" in direct.stderr
    assert wrapped.returncode == 0, wrapped.stderr
    assert (tmp_path / "_mysql.o").exists()


def test_compiler_without_a_real_one_says_so(tmp_path: Path) -> None:
    shim = install_shim("era-cc", tmp_path, as_name="x86_64-linux-gnu-gcc")
    result = run(["x86_64-linux-gnu-gcc", "--version"], str(shim.parent))
    assert result.returncode == 127
    assert result.stderr == (
        f"x86_64-linux-gnu-gcc: no x86_64-linux-gnu-gcc on the PATH besides this wrapper ({shim})\n"
    )


def test_shims_are_executable_in_the_package() -> None:
    for name in ("pg_config", "era-cc"):
        path = Path(str(SHIMS.joinpath(name)))
        assert os.access(path, os.X_OK), name

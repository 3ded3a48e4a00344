"""Root never runs with the user's variables: `environment:` may put the application's own
folder first on the PATH, and the entrypoint (root) must still run only the image's tools."""

from __future__ import annotations

import stat
from pathlib import Path

import docker

from dotcloud_emulator.platform.naming import LABEL_APP, LABEL_SERVICE

from .conftest import Cli, copy_sample, running_app

USER_PATH = "/home/dotcloud/current/bin:/usr/local/bin:/usr/bin:/bin"
TRAP = """#!/bin/sh
# Records who ran it, then does what the real tool does.
tool="${0##*/}"
echo "$(/usr/bin/id -u) $tool" >> /tmp/user-code-ran
exec "/usr/bin/$tool" "$@"
"""
# What root's entrypoint and healthchecks run by name.
TOOLS = ("setpriv", "timeout", "install", "chown", "env", "id", "printenv")


def trapped_copy(destination: Path) -> Path:
    appdir = copy_sample(destination)
    buildfile = appdir / "dotcloud.yml"
    text = buildfile.read_text(encoding="utf-8")
    environment = (
        f"  environment:\n    PATH: {USER_PATH}\n    LD_LIBRARY_PATH: /home/dotcloud/current/lib\n"
    )
    buildfile.write_text(
        text.replace("  approot: services/www\n", f"  approot: services/www\n{environment}", 1)
    )
    bin_dir = appdir / "services" / "www" / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        trap = bin_dir / tool
        trap.write_text(TRAP, encoding="utf-8")
        trap.chmod(trap.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return appdir


def test_root_runs_none_of_the_users_programs(
    cli: Cli, tmp_path: Path, cleanup_apps: list[str]
) -> None:
    with running_app(cli, "rootenv", trapped_copy(tmp_path), cleanup_apps) as app:
        selector = {"label": [f"{LABEL_APP}={app.name}", f"{LABEL_SERVICE}=www"]}
        (www,) = docker.from_env().containers.list(filters=selector)
        www.exec_run(["/usr/local/bin/dotcloud-health"], user="root")  # a healthcheck, as root
        code, output = www.exec_run(["/bin/cat", "/tmp/user-code-ran"], user="root")
        ran = output.decode().split("\n") if code == 0 else []
        by_root = [line for line in ran if line.startswith("0 ")]
        assert by_root == [], f"root ran the application's programs: {by_root}"

        path = cli.run("run", f"{app.name}.www", "printenv", "PATH").stdout.strip()
        assert path.endswith(USER_PATH), path  # the app's processes get the PATH it set
        library = cli.run("run", f"{app.name}.www", "printenv", "LD_LIBRARY_PATH").stdout
        assert library.strip() == "/home/dotcloud/current/lib"
        pid_one = www.exec_run(["/usr/bin/stat", "-c", "%U", "/proc/1"], user="root").output
        assert pid_one.decode().strip() == "dotcloud"  # supervisord, dropped from root

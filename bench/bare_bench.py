"""From a bare machine to the sample served: `make up` on an engine that has no image at all.

The machine keeps its Docker engine installed (the issue's "bare machine": engine present, none
of its images, no build cache, no virtualenv). A private engine is started for the run, with its
own data root, socket, containerd namespace, bridge and address pool (10.213.0.0/16), and the
engine everybody else uses is left alone: this engine manages no iptables rules of its own; the
bench adds the three it needs (forwarding its subnets, masquerading them for apt and pip) and
removes them, the bridge and the data root at the end, also on failure.

In that state, in a fresh copy of the checkout (the committed files only), it times
`make up APP=… APP_PORT=…`: the virtualenv, the base images the sample needs (`debootstrap` from
Debian's mirror, as there is no registry), the image builds and the start, until `up` returns
with the sample ready; then checks the page answers 200 and prints the figure against the
90 s target, with the size of the sample's www image (and every image of the run).

Needs root (a second dockerd, a bridge, iptables). Run: sudo .venv/bin/python bench/bare_bench.py
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from benchlib import ROOT, free_port, header, machine_line, table

TARGET_SECONDS = 90.0
BRIDGE = "dcbare0"
POOL = "10.213.0.0/16"
BRIDGE_ADDRESS = "10.213.255.1/24"
ENGINE_TIMEOUT = 60.0
MAKE_TIMEOUT = 1800.0
RULES = (
    ["filter", "FORWARD", "-s", POOL, "-j", "ACCEPT"],
    ["filter", "FORWARD", "-d", POOL, "-j", "ACCEPT"],
    ["nat", "POSTROUTING", "-s", POOL, "!", "-d", POOL, "-j", "MASQUERADE"],
)


def run(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(
            f"`{' '.join(argv)}` exited {result.returncode}: {result.stderr.strip()}"
        )
    return result


def preflight() -> None:
    if os.geteuid() != 0:
        raise SystemExit("bare_bench: needs root (it starts a private dockerd and a bridge)")
    if run("ip", "link", "show", BRIDGE, check=False).returncode == 0:
        raise SystemExit(f"bare_bench: a link {BRIDGE} exists already (another run, or left over)")
    if "10.213." in run("ip", "-4", "route").stdout:
        raise SystemExit(f"bare_bench: routes in {POOL} exist already; this run needs it unused")
    for tool in ("dockerd", "iptables", "ip", "git", "make"):
        if shutil.which(tool) is None:
            raise SystemExit(f"bare_bench: {tool} is not installed")


@contextmanager
def bridge() -> Iterator[None]:
    run("ip", "link", "add", "name", BRIDGE, "type", "bridge")
    try:
        run("ip", "addr", "add", BRIDGE_ADDRESS, "dev", BRIDGE)
        run("ip", "link", "set", BRIDGE, "up")
        yield
    finally:
        run("ip", "link", "del", BRIDGE, check=False)


@contextmanager
def forwarding_rules() -> Iterator[None]:
    added = []
    try:
        for table_name, chain, *rule in RULES:
            run("iptables", "-t", table_name, "-I", chain, "1", *rule)
            added.append((table_name, chain, rule))
        yield
    finally:
        for table_name, chain, rule in reversed(added):
            run("iptables", "-t", table_name, "-D", chain, *rule, check=False)


@contextmanager
def private_engine(root: Path) -> Iterator[str]:
    """A dockerd of its own under `root`; yields its DOCKER_HOST."""
    socket = root / "docker.sock"
    host = f"unix://{socket}"
    log = (root / "dockerd.log").open("w")
    process = subprocess.Popen(
        [
            "dockerd",
            f"--data-root={root / 'data'}",
            f"--exec-root={root / 'exec'}",
            f"--pidfile={root / 'dockerd.pid'}",
            f"--host={host}",
            f"--bridge={BRIDGE}",
            f"--default-address-pool=base={POOL},size=24",
            "--iptables=false",
            "--ip-masq=false",
            "--containerd-namespace=dcbare",
            "--containerd-plugins-namespace=dcbare-plugins",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + ENGINE_TIMEOUT
        while run("docker", "-H", host, "info", check=False).returncode != 0:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the private dockerd did not answer; see {root / 'dockerd.log'}"
                )
            time.sleep(0.2)
        yield host
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def checkout_copy(destination: Path) -> Path:
    """The committed files of this checkout, as a fresh clone has them (no .venv, no state)."""
    copy = destination / "checkout"
    run("git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(copy))
    return copy


def page_status(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
        return int(response.status)


def image_sizes(host: str) -> list[tuple[str, int]]:
    listing = run("docker", "-H", host, "image", "ls", "--format", "{{.Repository}}:{{.Tag}}")
    sizes = []
    for tag in listing.stdout.split():
        size = run("docker", "-H", host, "image", "inspect", "--format", "{{.Size}}", tag).stdout
        sizes.append((tag, int(size.strip())))
    return sorted(sizes)


PHASES = (
    ("the virtualenv", "touch .venv/.runtime"),
    ("the base image", "debian:bookworm-slim"),
    ("the images built", "Application build is done"),
)


def timed_make(
    argv: list[str], cwd: Path, env: dict[str, str]
) -> tuple[int, list[tuple[float, str]]]:
    """Run make, noting when each of its output lines appeared (seconds from the start)."""
    start = time.perf_counter()
    lines: list[tuple[float, str]] = []
    with subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as make:
        assert make.stdout is not None
        for line in make.stdout:
            lines.append((time.perf_counter() - start, line))
        try:
            returncode = make.wait(timeout=MAKE_TIMEOUT)
        except subprocess.TimeoutExpired:
            make.kill()
            raise
    return returncode, lines


def phases(lines: list[tuple[float, str]]) -> list[tuple[str, float]]:
    """When the last line naming each phase's marker appeared, and the end."""
    found = []
    for name, marker in PHASES:
        times = [offset for offset, line in lines if marker in line]
        if times:
            found.append((name, times[-1]))
    if lines:
        found.append(("`up` returned", lines[-1][0]))
    return found


def measure(keep_log: bool) -> int:
    with ExitStack() as stack:
        root = Path(tempfile.mkdtemp(prefix="dotcloud-bare-", dir="/var/tmp"))
        if not keep_log:
            stack.callback(shutil.rmtree, root, ignore_errors=True)
        stack.enter_context(bridge())
        stack.enter_context(forwarding_rules())
        host = stack.enter_context(private_engine(root))
        checkout = checkout_copy(root)
        app = f"bare{secrets.token_hex(3)}"
        port = free_port()
        env = {
            **os.environ,
            "DOCKER_HOST": host,
            "DOTCLOUD_EMULATOR_HOME": str(root / "state"),
        }
        print(
            f"private engine {host}; `make up APP={app} APP_PORT={port}` in {checkout}", flush=True
        )
        start = time.perf_counter()
        returncode, lines = timed_make(
            ["make", "up", f"APP={app}", f"APP_PORT={port}"], checkout, env
        )
        seconds = time.perf_counter() - start
        log = "".join(f"{offset:7.1f}  {line}" for offset, line in lines)
        (root / "make-up.log").write_text(log)
        if returncode != 0:
            print(log[-6000:])
            raise RuntimeError(f"make up exited {returncode} after {seconds:.1f} s")
        print(table(["phase", "ended at s"], [[name, f"{at:.1f}"] for name, at in phases(lines)]))
        status = page_status(port)
        sizes = image_sizes(host)
        subprocess.run(
            [
                str(checkout / ".venv/bin/python"),
                "tools/dotcloud_emulator.py",
                "destroy",
                app,
                "-y",
            ],
            cwd=checkout,
            env=env,
            capture_output=True,
            check=False,
        )
    print()
    print(table(["image", "MB"], [[tag, f"{size / 1e6:.0f}"] for tag, size in sizes]))
    www = next((size for tag, size in sizes if tag.endswith("/www:latest")), None)
    met = "met" if seconds <= TARGET_SECONDS and status == 200 else "NOT met"
    print()
    print(
        f"bare machine to the sample served: {seconds:.1f} s (page: HTTP {status}); "
        f"target <= {TARGET_SECONDS:.0f} s: {met}"
    )
    if www is not None:
        print(f"the sample's www image: {www / 1e6:.0f} MB")
    print(f"after: {machine_line()}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the run's directory and logs")
    args = parser.parse_args()
    preflight()
    header("bare-machine benchmark")
    return measure(args.keep)


if __name__ == "__main__":
    raise SystemExit(main())

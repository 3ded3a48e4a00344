"""The role of a scaled redis or mysql instance (common/role-functions.j2), run by bash.

Only the cases that need no name resolution run here: an unscaled instance, a role given under
Swarm, and a pod of the Kubernetes export, which tells its role from its own name (cluster DNS
names a pod only once it is ready, so the master waiting for its own name would never start).
The cases that resolve the master's name run in the integration tests of replication.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dotcloud_emulator.render.templating import render_template

HOST = "DOTCLOUD_CACHE_REDIS_HOST"
STUBS = """\
say() { printf '%s\\n' "$*" >&2; }
profile_value() { printf '%s' "${!1:-}"; }
"""


def find_role(tmp_path: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    functions = render_template("common/role-functions.j2", host_variable=HOST)
    script = STUBS + functions + 'find_role\nprintf "%s\\n" "$role"\n'
    return subprocess.run(
        ["bash", "-c", script],
        env={"PATH": "/usr/bin:/bin", "HOME_DIR": str(tmp_path), **environment},
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )


SCALED = {HOST: "cache-0.cache", f"{HOST}_0": "cache-0.cache", f"{HOST}_1": "cache-1.cache"}


def test_an_unscaled_instance_is_the_master(tmp_path: Path) -> None:
    result = find_role(tmp_path, **{HOST: "cache"})
    assert (result.returncode, result.stdout) == (0, "master\n")


@pytest.mark.parametrize(("pod", "role"), [("cache-0", "master"), ("cache-1", "replica")])
def test_a_kubernetes_pod_tells_its_role_from_its_name(tmp_path: Path, pod: str, role: str) -> None:
    result = find_role(tmp_path, KUBERNETES_POD_NAME=pod, master="cache-0.cache", **SCALED)
    assert (result.returncode, result.stdout) == (0, f"{role}\n")


def test_a_role_given_under_swarm_wins(tmp_path: Path) -> None:
    result = find_role(
        tmp_path, DOTCLOUD_REPLICATION_ROLE="replica", master="cache-0.cache", **SCALED
    )
    assert (result.returncode, result.stdout) == (0, "replica\n")


def test_a_role_that_is_neither_is_refused(tmp_path: Path) -> None:
    result = find_role(tmp_path, DOTCLOUD_REPLICATION_ROLE="leader", master="x", **SCALED)
    assert result.returncode == 1
    assert "neither master nor replica" in result.stderr

"""The Kubernetes export drives the real images: no cluster runs here, so Docker plays the pods.

The tutorial's images are built as docs/scaling-out.md says (`generate`, then `docker compose
build`), the application is exported with www at 2 instances, and each "pod" is a container given
what the manifests give it: its own folder of `secrets/` at /run/dotcloud (the Secret mounted
with `subPathExpr`), a data volume at ~/data, its name in DNS (the headless Service), and the
init container's exact command, run as uid 1000 before the data service exists. Then the
exported readiness command must pass, each replica must know its instance, postinstall must have
run before launch, and a session must count 1, 2, 3 across both replicas through Redis, with the
password the export generated.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from dotcloud_emulator.platform.naming import LABEL_APP
from tests.integration.conftest import Cli, copy_sample, poll, unique_app

BUILD_TIMEOUT = 900
READY_TIMEOUT = 240.0
WAIT_TIMEOUT = 180

# Runs inside www-0: one session cookie, three requests, alternating between the two replicas
# (a cookie jar would keep the cookie to the host that set it).
CLIENT = """
import json, urllib.request
cookie = []
def get(host, path):
    request = urllib.request.Request(f"http://{host}:8080{path}", headers=dict(cookie))
    with urllib.request.urlopen(request, timeout=10) as response:
        if not cookie and response.headers.get("Set-Cookie"):
            cookie.append(("Cookie", response.headers["Set-Cookie"].split(";")[0]))
        return response.read().decode().strip()
print(json.dumps({
    "hits": [get("127.0.0.1", "/hits"), get("www-1", "/hits"), get("127.0.0.1", "/hits")],
    "instances": [get("127.0.0.1", "/instance"), get("www-1", "/instance")],
    "postinstall": get("www-1", "/postinstall"),
}))
"""


def docker(*args: str, timeout: float = 120, check: bool = True) -> str:
    result = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} exited {result.returncode}: {result.stderr}")
    return result.stdout


def statefulset(export: Path, service: str) -> dict[str, Any]:
    documents = yaml.safe_load_all((export / "services" / f"{service}.yaml").read_text("utf-8"))
    found: dict[str, Any] = next(doc for doc in documents if doc["kind"] == "StatefulSet")
    return found


@pytest.fixture
def built(cli: Cli, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    app = unique_app("k8sx")
    appdir = copy_sample(tmp_path)
    buildfile = appdir / "dotcloud.yml"
    text = buildfile.read_text(encoding="utf-8")
    buildfile.write_text(
        text.replace("  type: python\n", "  type: python\n  instances: 2\n"), "utf-8"
    )
    try:
        cli.run("generate", str(appdir), "-A", app)
        subprocess.run(
            ["docker", "compose", "build", "www-0", "session-0"],
            cwd=appdir,
            env=cli.env(),
            capture_output=True,
            timeout=BUILD_TIMEOUT,
            check=True,
        )
        yield app, appdir
    finally:
        cli.run("destroy", app, "-y", check=False)


class Pods:
    """Containers standing in for pods, on a network of their own, all labelled."""

    def __init__(self, app: str, export: Path) -> None:
        self.app = app
        self.export = export
        self.network = f"{app}-pods"
        self.label = f"{LABEL_APP}={app}"

    def create_network(self) -> None:
        docker("network", "create", "--label", self.label, self.network)

    def run(self, pod: str, image: str) -> str:
        volume = f"{self.app}-{pod}-data"
        docker("volume", "create", "--label", self.label, volume)
        return docker(
            "run", "-d", "--name", f"{self.app}-{pod}", "--label", self.label,
            # The pod's own name, and its headless Service's (`session`, `www`).
            "--network", self.network, "--network-alias", pod,
            "--network-alias", pod.rsplit("-", 1)[0],
            "-v", f"{self.export / 'secrets' / pod}:/run/dotcloud:ro",
            "-v", f"{volume}:/home/dotcloud/data",
            image,
        ).strip()  # fmt: skip

    def start_wait(self, init: dict[str, Any]) -> subprocess.Popen[str]:
        entrypoint, *arguments = init["command"]
        return subprocess.Popen(
            [
                "docker", "run", "--rm", "--name", f"{self.app}-wait", "--label", self.label,
                "--network", self.network, "--user", str(init["securityContext"]["runAsUser"]),
                "--security-opt", "no-new-privileges", "--entrypoint", entrypoint,
                init["image"], *arguments,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip

    def ready(self, container: str, probe: list[str]) -> bool:
        return subprocess.run(["docker", "exec", container, *probe], check=False).returncode == 0

    def logs(self) -> str:
        return "\n".join(
            f"--- {name}:\n{docker('logs', '--tail', '30', name, check=False)}"
            for name in docker(
                "ps", "-a", "--format", "{{.Names}}", "--filter", f"label={self.label}"
            ).split()
        )

    def remove(self) -> None:
        for container in docker("ps", "-aq", "--filter", f"label={self.label}").split():
            docker("rm", "-f", "-v", container, check=False)
        docker("network", "rm", self.network, check=False)
        for volume in docker("volume", "ls", "-q", "--filter", f"label={self.label}").split():
            docker("volume", "rm", "-f", volume, check=False)


def test_the_exported_pods_run_the_tutorial(
    cli: Cli, built: tuple[str, Path], tmp_path: Path
) -> None:
    app, appdir = built
    export = tmp_path / "k8s"
    cli.run("export", "kubernetes", str(appdir), "-A", app, "-o", str(export))
    www, session = statefulset(export, "www"), statefulset(export, "session")
    assert www["spec"]["replicas"] == 2
    (init,) = www["spec"]["template"]["spec"]["initContainers"]
    (www_container,) = www["spec"]["template"]["spec"]["containers"]
    (session_container,) = session["spec"]["template"]["spec"]["containers"]
    pods = Pods(app, export)
    try:
        pods.create_network()
        # The init container starts before the data service exists, and must wait for it.
        waiting = pods.start_wait(init)
        session_id = pods.run("session-0", session_container["image"])
        output, _ = waiting.communicate(timeout=WAIT_TIMEOUT)
        assert waiting.returncode == 0, output
        assert "session:6379 is ready" in output
        replicas = [pods.run(f"www-{n}", www_container["image"]) for n in (0, 1)]
        for container, probe in [
            (session_id, session_container["readinessProbe"]["exec"]["command"]),
            *(
                (replica, www_container["readinessProbe"]["exec"]["command"])
                for replica in replicas
            ),
        ]:
            poll(lambda c=container, p=probe: pods.ready(c, p), READY_TIMEOUT, f"{container} ready")
        seen = json.loads(docker("exec", replicas[0], "python3", "-c", CLIENT))
        assert seen["instances"] == ["www.0", "www.1"]
        assert seen["hits"] == ["1", "2", "3"]
        assert seen["postinstall"].startswith("ran-before-start: yes")
    except BaseException:
        print(pods.logs())
        raise
    finally:
        pods.remove()

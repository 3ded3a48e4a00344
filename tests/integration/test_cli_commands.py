"""The read-only commands against the running sample: status, url, logs, list, info."""

from __future__ import annotations

import hashlib
import json

import docker
import requests

from dotcloud_emulator.platform.naming import LABEL_APP

from .conftest import Cli, RunningApp, poll


def test_status_reports_each_instance_up(tutorial: RunningApp, cli: Cli) -> None:
    result = cli.run("status", f"{tutorial.name}.www")

    assert result.stdout.strip().splitlines() == ["www.0: up"]
    assert '==> Probing status for service "www"...' in result.stderr


def test_url_prints_urls_that_answer(tutorial: RunningApp, cli: Cli) -> None:
    urls = json.loads(cli.run("url", tutorial.name, "--json").stdout)
    (www_url,) = urls["www"][:1]

    assert www_url == f"http://www.{tutorial.name}.localhost:{tutorial.port}/"
    host = www_url.split("//", 1)[1].split(":", 1)[0]
    response = requests.get(f"{tutorial.base}/", headers={"Host": host}, timeout=10)
    assert response.status_code == 200


def test_logs_are_prefixed_with_the_instance(tutorial: RunningApp, cli: Cli) -> None:
    requests.get(f"{tutorial.base}/static/app.js?probe=logs", timeout=10)
    shown: list[str] = []

    def request_logged() -> bool:
        shown[:] = cli.run("logs", f"{tutorial.name}.www", "-n", "20").stdout.splitlines()
        return any("GET /static/app.js?probe=logs" in line for line in shown)

    poll(request_logged, what="the request in the access log (nginx flushes it each second)")
    assert all(line.startswith("[www.0] ") for line in shown)


def test_logs_hold_no_secret(tutorial: RunningApp, cli: Cli) -> None:
    password = json.loads(
        cli.run(
            "env", "show", f"{tutorial.name}.www", "--json", "--dir", str(tutorial.appdir)
        ).stdout
    )["DOTCLOUD_SESSION_REDIS_PASSWORD"]

    for service in ("www", "session"):
        assert password not in cli.run("logs", f"{tutorial.name}.{service}", "-n", "500").stdout


def test_list_names_the_application_and_its_services(tutorial: RunningApp, cli: Cli) -> None:
    listing = json.loads(cli.run("list", "--json").stdout)

    services = {entry["name"]: entry for entry in listing[tutorial.name]}
    assert services["www"]["type"] == "python"
    assert services["session"]["type"] == "redis"
    assert services["www"]["running"] == 1


def test_no_image_holds_the_ca_bundle_or_a_password(tutorial: RunningApp, cli: Cli) -> None:
    from dotcloud_emulator.generate import read_ca_bundle

    bundle = read_ca_bundle().encode()
    assert bundle, "no CA bundle configured on this machine: nothing to check"
    digest = hashlib.sha256(bundle).hexdigest()
    password = json.loads(
        cli.run(
            "env", "show", f"{tutorial.name}.www", "--json", "--dir", str(tutorial.appdir)
        ).stdout
    )["DOTCLOUD_SESSION_REDIS_PASSWORD"]
    client = docker.from_env()
    images = client.images.list(filters={"label": f"{LABEL_APP}={tutorial.name}"})
    assert {image.labels["io.dotcloud.emulator.service"] for image in images} >= {"www", "session"}
    for image in images:
        assert password not in json.dumps(image.history())
        # Every file of the bundle's exact size, hashed: none may be the bundle the build used.
        same_size = client.containers.run(
            image.id,
            entrypoint=[
                "sh",
                "-c",
                f"find / -xdev -type f -size {len(bundle)}c -exec sha256sum {{}} +",
            ],
            user="0",
            remove=True,
            labels={LABEL_APP: tutorial.name},
        ).decode()
        assert digest not in same_size, f"{image.tags}: {same_size}"

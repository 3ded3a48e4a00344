"""The smtp service for real: the relay a 2012 Python application sends through, the mail it keeps.

One application for the module (tests/fixtures/apps/py2-smtp): a Python 2 WSGI service sending
with smtplib (CRAM-MD5) and a Node 0.8 service sending with the Nodemailer of 2012, both through
the `mail` smtp service, directly or through their instance's local MTA. Every message is kept on
the service's volume and shown by its log, by `run APP.mail mail` and by the dashboard; none
leaves the machine.
"""

from __future__ import annotations

import json
import shutil
import smtplib
import subprocess
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import docker
import pytest
import requests

from dotcloud_emulator.dashboard.backend import ApiBackend
from dotcloud_emulator.dashboard.security import Guard
from dotcloud_emulator.dashboard.views import Dashboard, Request
from dotcloud_emulator.platform.naming import LABEL_APP, LABEL_INSTANCE, LABEL_SERVICE

from .conftest import ROOT, Cli, RunningApp, poll, running_app

FIXTURE = ROOT / "tests" / "fixtures" / "apps" / "py2-smtp"
BACK_TIMEOUT = 90.0


@pytest.fixture(scope="module")
def app(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    appdir = tmp_path_factory.mktemp("smtp") / "py2-smtp"
    shutil.copytree(FIXTURE, appdir)
    with running_app(cli, "smtp", appdir, cleanup_apps) as running:
        yield running


def send(app: RunningApp, subject: str, service: str = "web", path: str = "/send") -> None:
    response = requests.get(
        f"{app.base}{path}",
        params={"subject": subject},
        headers={"Host": app.host(service)},
        timeout=30,
    )
    assert (response.status_code, response.text) == (200, "sent\n"), response.text[:500]


def kept(cli: Cli, app: RunningApp) -> list[dict[str, Any]]:
    listing: list[dict[str, Any]] = json.loads(
        cli.run("run", f"{app.name}.mail", "--", "mail").stdout
    )
    return listing


def smtp_port(cli: Cli, app: RunningApp) -> tuple[str, int]:
    info = json.loads(cli.run("info", f"{app.name}.mail", "--json").stdout)
    [port] = info["ports"]
    assert port["name"] == "smtp"
    url: str = port["url"]
    password = info["config"]["smtp_password"]
    assert url.startswith(f"smtp://dotcloud:{password}@127.0.0.1:")
    return password, int(url.rsplit(":", 1)[1])


def mail_container(app: RunningApp) -> Any:
    selector = [f"{LABEL_APP}={app.name}", f"{LABEL_SERVICE}=mail", f"{LABEL_INSTANCE}=0"]
    [found] = docker.from_env().containers.list(all=True, filters={"label": selector})
    return found


def test_the_environment_has_the_platform_variables(cli: Cli, app: RunningApp) -> None:
    shown = cli.run("env", "show", f"{app.name}.web", "--json", "-d", str(app.appdir)).stdout
    env = json.loads(shown)
    password, _ = smtp_port(cli, app)
    assert env["DOTCLOUD_MAIL_SMTP_LOGIN"] == "dotcloud"
    assert env["DOTCLOUD_MAIL_SMTP_PORT"] == "25"
    assert env["DOTCLOUD_MAIL_SMTP_PASSWORD"] == password
    host = env["DOTCLOUD_MAIL_SMTP_HOST"]
    assert env["DOTCLOUD_MAIL_SMTP_URL"] == f"smtp://dotcloud:{password}@{host}:25"


def test_mail_sent_by_the_application_is_kept_logged_and_listed(cli: Cli, app: RunningApp) -> None:
    send(app, "Welcome aboard")
    [message] = [m for m in kept(cli, app) if m["subject"] == "Welcome aboard"]
    assert message["sender"] == "<web@example.com>"
    assert message["recipients"] == "<someone@example.org>"
    poll(
        lambda: "subject 'Welcome aboard'" in cli.run("logs", f"{app.name}.mail").stdout,
        timeout=30,
        what="the relay's line in `logs`",
    )


def test_a_node_service_sends_through_the_relay_with_nodemailer(cli: Cli, app: RunningApp) -> None:
    send(app, "From Node 0.8", service="node")
    [message] = [m for m in kept(cli, app) if m["subject"] == "From Node 0.8"]
    assert message["sender"] == "<node@example.com>"
    assert message["recipients"] == "<someone@example.org>"


def test_the_local_mta_of_each_code_service_relays_through_the_smtp_service(
    cli: Cli, app: RunningApp
) -> None:
    # smtplib to localhost:25 with no login (the web instance's msmtpd), and Nodemailer's
    # sendmail transport (the node instance's /usr/sbin/sendmail): both reach the relay.
    send(app, "Through localhost:25", service="web", path="/send-local")
    send(app, "Through sendmail", service="node", path="/send-local")
    messages = {m["subject"]: m for m in kept(cli, app)}
    assert messages["Through localhost:25"]["sender"] == "<web@example.com>"
    assert messages["Through localhost:25"]["recipients"] == "<someone@example.org>"
    assert messages["Through sendmail"]["recipients"] == "<someone@example.org>"
    ps = cli.run("run", f"{app.name}.web", "--", "cat /proc/[0-9]*/status").stdout
    assert "Name:\tmsmtpd" in ps
    uids = {line.split()[1] for line in ps.splitlines() if line.startswith("Uid:")}
    assert "0" not in uids, uids


def test_the_dashboard_lists_the_kept_mail(
    cli: Cli, app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    send(app, "For the dashboard")
    monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", cli.env()["DOTCLOUD_EMULATOR_HOME"])
    dashboard = Dashboard(ApiBackend(), Guard(8181, "token"))
    path = f"/api/apps/{app.name}/services/mail/mail"
    response = dashboard.handle(Request("GET", path, {"host": "127.0.0.1:8181"}))
    assert response.status == 200, response.body
    subjects = [m["subject"] for m in json.loads(response.body)["messages"]]
    assert "For the dashboard" in subjects
    refused = dashboard.handle(
        Request("GET", f"/api/apps/{app.name}/services/web/mail", {"host": "127.0.0.1:8181"})
    )
    assert refused.status == 400


def message(subject: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "host@example.com"
    mail["To"] = "else@example.org"
    mail["Subject"] = subject
    mail.set_content("from this machine\n")
    return mail


def test_the_relay_on_loopback_takes_the_password_and_refuses_others(
    cli: Cli, app: RunningApp
) -> None:
    password, port = smtp_port(cli, app)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        assert "CRAM-MD5" in client.esmtp_features["auth"].split()
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("dotcloud", "not-the-password", initial_response_ok=False)
    with (
        smtplib.SMTP("127.0.0.1", port, timeout=10) as client,
        pytest.raises(smtplib.SMTPSenderRefused),
    ):
        client.send_message(message("without logging in"))
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.login("dotcloud", password, initial_response_ok=False)
        client.send_message(message("from the host"))
    subjects = [m["subject"] for m in kept(cli, app)]
    assert "from the host" in subjects
    assert "without logging in" not in subjects
    bindings = mail_container(app).attrs["NetworkSettings"]["Ports"]["25/tcp"]
    assert {binding["HostIp"] for binding in bindings} == {"127.0.0.1"}


def test_the_password_is_in_no_image_compose_file_or_log(cli: Cli, app: RunningApp) -> None:
    password, _ = smtp_port(cli, app)
    image = docker.from_env().images.get(f"dotcloud-{app.name}/mail:latest")
    assert password not in str(image.history())
    assert password not in (app.appdir / "docker-compose.yml").read_text()
    assert password not in mail_container(app).logs().decode(errors="replace")


def test_kept_mail_survives_down_and_up_and_a_docker_kill(cli: Cli, app: RunningApp) -> None:
    send(app, "Before the outage")
    before = len(kept(cli, app))
    cli.run("down", app.name)
    cli.run("up", str(app.appdir), "-A", app.name, "--port", str(app.port))
    assert len(kept(cli, app)) == before

    subprocess.run(["docker", "kill", mail_container(app).name], check=True, capture_output=True)
    killed = time.monotonic()
    poll(lambda: _kept_or_none(cli, app) == before, timeout=BACK_TIMEOUT, what="mail.0 back")
    print(f"mail.0 listed its mail again {time.monotonic() - killed:.1f}s after docker kill")
    poll(lambda: _sent(app, "After the outage"), timeout=BACK_TIMEOUT, what="sending again")
    assert "After the outage" in [m["subject"] for m in kept(cli, app)]


def _kept_or_none(cli: Cli, app: RunningApp) -> int | None:
    result = cli.run("run", f"{app.name}.mail", "--", "mail", check=False)
    if result.returncode != 0:
        return None
    try:
        return len(json.loads(result.stdout))
    except ValueError:
        return None


def _sent(app: RunningApp, subject: str) -> bool:
    try:
        send(app, subject)
    except (AssertionError, requests.RequestException):
        return False
    return True

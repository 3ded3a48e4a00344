"""postgis, smtp and the replicated redis: their catalogue entries, build contexts and info."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import MappingProxyType

import pytest

from dotcloud_emulator import catalogue
from dotcloud_emulator.api.services import ServiceFacts, service_document
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.cli.main import main
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.render.contexts import render_build_context
from dotcloud_emulator.render.files import File
from dotcloud_emulator.smtpserver import client as smtp_client


def context(tmp_path: Path, service: Service) -> dict[str, File]:
    application = Application("shop", tmp_path, tmp_path / "dotcloud.yml", (service,))
    items = render_build_context(application, service, Settings(tmp_path / "state"))
    prefix = f".dotcloud/build/{service.name}/"
    return {str(item.path).removeprefix(prefix): item for item in items if isinstance(item, File)}


def test_postgis_is_postgresql_with_the_extension_package(tmp_path: Path) -> None:
    port = catalogue.data_port("postgis")
    assert port == catalogue.data_port("postgresql")
    gis = context(tmp_path / "gis", Service("gis", "postgis"))
    plain = context(tmp_path / "pg", Service("db", "postgresql"))
    assert "postgresql-15-postgis-3" in gis["Dockerfile"].content
    assert "postgis" not in plain["Dockerfile"].content
    assert gis["platform/dotcloud-init"].content == plain["platform/dotcloud-init"].content.replace(
        "DOTCLOUD_DB_", "DOTCLOUD_GIS_"
    ).replace("shop.db", "shop.gis")


def test_smtp_is_the_platforms_contract_served_by_the_emulators_relay(tmp_path: Path) -> None:
    port = catalogue.data_port("smtp")
    assert port is not None
    assert (port.name, port.infix, port.scheme, port.port, port.login) == (
        "smtp",
        "SMTP",
        "smtp",
        25,
        "dotcloud",
    )
    assert port.password_key == "smtp_password"
    files = context(tmp_path, Service("mail", "smtp"))
    assert "python3-aiosmtpd" in files["Dockerfile"].content
    assert {"platform/smtpserver/server.py", "platform/smtpserver/client.py"} <= set(files)
    init = files["platform/dotcloud-init"].content
    assert "--password-variable DOTCLOUD_MAIL_SMTP_PASSWORD" in init
    assert "become_dotcloud" in init
    assert files["platform/mail"].mode == 0o755
    assert files["platform/dotcloud-health"].content.rstrip().endswith("ping")


def code_files(tmp_path: Path, service: Service, *others: Service) -> dict[str, File]:
    application = Application("shop", tmp_path, tmp_path / "dotcloud.yml", (service, *others))
    items = render_build_context(application, service, Settings(tmp_path / "state"))
    prefix = f".dotcloud/build/{service.name}/"
    return {str(item.path).removeprefix(prefix): item for item in items if isinstance(item, File)}


@pytest.mark.parametrize("code_type", ["python", "nodejs", "php", "ruby", "perl-worker", "custom"])
def test_a_code_service_beside_an_smtp_service_runs_a_local_mta_relaying_through_it(
    tmp_path: Path, code_type: str
) -> None:
    files = code_files(tmp_path, Service("www", code_type), Service("mailer", "smtp"))
    supervisor = files["platform/supervisord.conf"].content
    mta = "[program:mta]\ncommand = /usr/bin/msmtpd --interface=127.0.0.1 --port=25\n"
    assert mta in supervisor
    init = files["platform/dotcloud-init"].content
    assert "MTA_RELAY=DOTCLOUD_MAILER_SMTP\n" in init
    assert init.index("install_environment\ninstall_mta\n") < init.index("become_dotcloud /usr")
    # The account is written at each start, from the environment: no password in the image.
    dockerfile = files["Dockerfile"].content
    assert "msmtp-mta" in dockerfile
    assert "setcap cap_net_bind_service=+ep /usr/bin/msmtpd" in dockerfile
    assert ".msmtprc" not in dockerfile


def test_without_an_smtp_service_no_mta_listens_and_mta_is_a_free_name(tmp_path: Path) -> None:
    worker = Service("www", "python-worker", process="python mta.py")
    files = code_files(tmp_path, worker, Service("db", "redis"))
    supervisor = files["platform/supervisord.conf"].content
    assert "msmtpd" not in supervisor
    assert "MTA_RELAY=''\n" in files["platform/dotcloud-init"].content
    named = Service("www", "python-worker", processes=MappingProxyType({"mta": "python mta.py"}))
    assert "[program:mta]" in code_files(tmp_path / "b", named)["platform/supervisord.conf"].content


def test_a_process_named_mta_beside_an_smtp_service_is_refused(tmp_path: Path) -> None:
    named = Service("www", "python-worker", processes=MappingProxyType({"mta": "python mta.py"}))
    with pytest.raises(UsageError, match='process name "mta" is taken'):
        code_files(tmp_path, named, Service("mail", "smtp"))


def test_the_mail_listing_needs_its_folder(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        smtp_client.main(["list"])
    assert "list needs --maildir" in capsys.readouterr().err


def test_smtp_relay_keys_are_accepted() -> None:
    keys = catalogue.SERVICE_TYPES["smtp"].config_keys
    assert {
        "smtp_relay_server",
        "smtp_relay_port",
        "smtp_relay_username",
        "smtp_relay_password",
    } <= set(keys)


def test_redis_mysql_and_mongodb_replicate() -> None:
    replicated = sorted(name for name, t in catalogue.SERVICE_TYPES.items() if t.replicated)
    assert replicated == ["mongodb", "mysql", "mysql-masterslave", "redis"]
    assert catalogue.SERVICE_TYPES["mongodb"].instance_counts == (1, 3, 5)


def test_a_scaled_redis_replicates_instance_zero(tmp_path: Path) -> None:
    init = context(tmp_path, Service("data", "redis", instances=2))["platform/dotcloud-init"]
    script = init.content
    assert 'master="$(profile_value DOTCLOUD_DATA_REDIS_HOST)"' in script
    assert 'echo "replicaof $master 6379"' in script
    assert 'echo "masterauth $password"' in script
    syntax = subprocess.run(["sh", "-n"], input=script, text=True, capture_output=True, check=False)
    assert syntax.returncode == 0, syntax.stderr


def facts(type_name: str, count: int) -> ServiceFacts:
    return ServiceFacts("shop", "data", type_name, {}, None, dict.fromkeys(range(count), True), [])


def test_info_names_the_master_and_the_replicas_of_a_scaled_redis() -> None:
    document = service_document(facts("redis", 3))
    assert document["instances"] == {
        "shop.data.0": {"state": "running", "role": "master"},
        "shop.data.1": {"state": "running", "role": "replica"},
        "shop.data.2": {"state": "running", "role": "replica"},
    }
    one = service_document(facts("redis", 1))
    assert one["instances"] == {"shop.data.0": {"state": "running"}}


def test_a_key_left_empty_is_ignored_with_a_warning_and_a_wrong_type_still_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Public build files leave the keys they do not use empty (`smtp_relay_username:`).
    monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", str(tmp_path / "home"))
    app = tmp_path / "app"
    app.mkdir()
    buildfile = app / "dotcloud.yml"
    buildfile.write_text(
        "mail:\n  type: smtp\n  config:\n    smtp_password:\n    smtp_relay_username:\n"
        "    smtp_relay_port: 587\n"
    )
    assert main(["validate", str(app)]) == 0
    assert capsys.readouterr().err.splitlines() == [
        f'{buildfile}:4:5: warning: config "smtp_password" has no value; it is ignored',
        f'{buildfile}:5:5: warning: config "smtp_relay_username" has no value; it is ignored',
    ]
    buildfile.write_text("mail:\n  type: smtp\n  config:\n    smtp_relay_username: [a, b]\n")
    assert main(["validate", str(app)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f'{buildfile}:4:26: error: config "smtp_relay_username" must be a string, found a list'
    ]

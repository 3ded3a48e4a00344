"""A scaled mysql: a master (instance 0) and read-only replicas, their password, their `info`."""

from __future__ import annotations

import subprocess
from pathlib import Path

from dotcloud_emulator.api.scaling import ScaleRequest, check_scalable
from dotcloud_emulator.api.services import ServiceFacts, service_document
from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.cli.commands.info import render_yaml
from dotcloud_emulator.engine.replication import ReplicaStatus, parse_slave_status
from dotcloud_emulator.platform.environment import instance_environment
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import StateStore
from dotcloud_emulator.render.contexts import render_build_context
from dotcloud_emulator.render.files import File

SLAVE_STATUS = """\
*************************** 1. row ***************************
                Slave_IO_State: Waiting for master to send event
                   Master_Host: db
              Slave_IO_Running: Yes
             Slave_SQL_Running: Yes
         Seconds_Behind_Master: 3
                    Using_Gtid: Slave_Pos
"""


def context(tmp_path: Path, service: Service) -> dict[str, File]:
    application = Application("shop", tmp_path, tmp_path / "dotcloud.yml", (service,))
    items = render_build_context(application, service, Settings(tmp_path / "state"))
    prefix = f".dotcloud/build/{service.name}/"
    return {str(item.path).removeprefix(prefix): item for item in items if isinstance(item, File)}


def init_script(tmp_path: Path, service: Service) -> str:
    return context(tmp_path, service)["platform/dotcloud-init"].content


def test_the_master_logs_with_gtids_and_the_replicas_copy_it_then_follow(tmp_path: Path) -> None:
    script = init_script(tmp_path, Service("db", "mysql", instances=2))
    assert 'master="$(profile_value DOTCLOUD_DB_MYSQL_HOST)"' in script
    assert (
        'replication_password="$(profile_value DOTCLOUD_DB_MYSQL_REPLICATION_PASSWORD)"' in script
    )
    # A replica's first start: a consistent dump of the master with its GTID position.
    assert "--single-transaction --gtid \\\n            --master-data=1 --system=users" in script
    assert "MASTER_USE_GTID=slave_pos" in script
    assert "MASTER_USER='%s'" in script
    assert '"replicator"' in script
    # Every instance logs what it writes or applies (any replica can be promoted); the master is
    # the instance the service's name resolves to, the others are read-only, for the
    # application's login too (given back on a replica promoted since).
    assert "--log-bin=mysql-bin --log-slave-updates" in script
    assert '--read-only="$read_only"' in script
    assert 'getent ahostsv4 "$master"' in script
    assert "verb=REVOKE preposition=FROM" in script
    assert "verb=GRANT preposition=TO" in script
    assert "\"'root'@'%%'\"" in script
    assert "GRANT REPLICATION SLAVE ON *.* TO 'replicator'@'%%'" in script
    assert "SET sql_log_bin = 0" in script
    syntax = subprocess.run(["sh", "-n"], input=script, text=True, capture_output=True, check=False)
    assert syntax.returncode == 0, syntax.stderr


def test_the_server_ids_start_at_mysql_serverid(tmp_path: Path) -> None:
    plain = init_script(tmp_path / "a", Service("db", "mysql"))
    assert "server_id=$((1 + instance))" in plain
    numbered = init_script(tmp_path / "b", Service("db", "mysql", config={"mysql_serverid": 1001}))
    assert "server_id=$((1001 + instance))" in numbered


def test_the_binary_log_is_the_platforms_mixed_format(tmp_path: Path) -> None:
    files = context(tmp_path, Service("db", "mysql"))
    assert "--binlog-format=MIXED --sync-binlog=1" in files["platform/dotcloud-init"].content
    assert "slave_net_timeout = 10" in files["platform/dotcloud.cnf"].content


def application(tmp_path: Path, buildfile: str) -> Application:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "dotcloud.yml").write_text(buildfile)
    return load_application(tmp_path, "shop").application


def test_mysql_masterslave_is_a_mysql_pair(tmp_path: Path) -> None:
    app = application(tmp_path / "a", "db:\n  type: mysql-masterslave\n")
    [service] = app.services
    assert (service.type, service.instances) == ("mysql-masterslave", 2)
    scaled = application(tmp_path / "b", "db:\n  type: mysql-masterslave\n  instances: 3\n")
    assert scaled.services[0].instances == 3
    pair = context(tmp_path / "c", service)
    plain = context(tmp_path / "d", Service("db", "mysql"))
    for name in ("Dockerfile", "platform/dotcloud-init"):
        same = pair[name].content.replace("mysql-masterslave", "mysql")
        assert same == plain[name].content, name


def test_scale_takes_a_mysql(tmp_path: Path) -> None:
    app = application(tmp_path, "db:\n  type: mysql\n")
    check_scalable(app, ScaleRequest("db", 3))


def test_the_replication_password_is_the_database_instances_own(tmp_path: Path) -> None:
    app = application(
        tmp_path / "app", "db:\n  type: mysql\n  instances: 2\ncache:\n  type: redis\n"
    )
    store = StateStore(tmp_path / "state")
    state = store.prepare(app)
    assert set(state.replication_passwords) == {"db"}
    password = state.replication_passwords["db"]
    assert password not in state.passwords.values()
    settings = Settings(tmp_path / "state")
    for number in (0, 1):
        env = instance_environment(app, state, settings, "db", number)
        assert env["DOTCLOUD_DB_MYSQL_REPLICATION_PASSWORD"] == password
    other = instance_environment(app, state, settings, "cache", 0)
    assert password not in other.values()
    assert store.load("shop").replication_passwords == {"db": password}
    files = context(tmp_path / "ctx", app.service("db"))
    assert not any(password in item.content for item in files.values())


def test_slave_status_is_read_from_mariadbs_vertical_output() -> None:
    assert parse_slave_status(SLAVE_STATUS) == ReplicaStatus(True, True, 3)
    stopped = SLAVE_STATUS.replace("Slave_SQL_Running: Yes", "Slave_SQL_Running: No").replace(
        "Seconds_Behind_Master: 3", "Seconds_Behind_Master: NULL"
    )
    assert parse_slave_status(stopped) == ReplicaStatus(True, False, None)
    assert parse_slave_status("") is None


def facts(running: dict[int, bool], replicas: dict[int, ReplicaStatus | None]) -> ServiceFacts:
    return ServiceFacts("shop", "db", "mysql", {}, None, running, [], replicas=replicas)


def test_info_shows_the_replication_as_the_platform_did() -> None:
    document = service_document(
        facts({0: True, 1: True, 2: True}, {1: ReplicaStatus(True, True, 0), 2: None})
    )
    assert document["instances"] == {
        "shop.db.0": {"state": "running", "role": "master"},
        "shop.db.1": {"state": "running", "role": "replica"},
        "shop.db.2": {"state": "running", "role": "replica"},
    }
    assert document["replication"] == [
        {"status": "degraded"},
        {"master": {"name": "shop.db.0", "status": "UP"}},
        {
            "slaves": [
                {"name": "shop.db.1", "replication_lag": "0s", "status": "UP"},
                {"name": "shop.db.2", "replication_lag": "unknown", "status": "DOWN"},
            ]
        },
    ]
    online = service_document(facts({0: True, 1: True}, {1: ReplicaStatus(True, True, 2)}))
    assert online["replication"][0] == {"status": "online"}  # type: ignore[index]
    offline = service_document(facts({0: False, 1: True}, {1: ReplicaStatus(False, True, None)}))
    assert offline["replication"][:2] == [  # type: ignore[index]
        {"status": "offline"},
        {"master": {"name": "shop.db.0", "status": "DOWN"}},
    ]


def test_a_single_mysql_has_no_replication_block() -> None:
    one = ServiceFacts("shop", "db", "mysql", {}, None, {0: True}, [])
    assert "replication" not in service_document(one)


def test_info_prints_the_replication_block_in_the_platforms_yaml() -> None:
    document = service_document(facts({0: True, 1: True}, {1: ReplicaStatus(True, True, 0)}))
    text = render_yaml(document)
    assert text[text.index("replication:") : text.index("\nstate: ") + 1] == (
        "replication:\n"
        "-   status: online\n"
        "-   master:\n"
        "        name: shop.db.0\n"
        "        status: UP\n"
        "-   slaves:\n"
        "    -   name: shop.db.1\n"
        "        replication_lag: 0s\n"
        "        status: UP\n"
    )

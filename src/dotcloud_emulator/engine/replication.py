"""What a MariaDB replica says of its replication (`SHOW SLAVE STATUS`), asked in its container.

The client logs in with the healthcheck's 0600 option file, which only root in the container reads:
no password crosses the command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SLAVE_STATUS = [
    "/usr/bin/mariadb",
    "--defaults-extra-file=/root/.dotcloud-health.cnf",
    "--connect-timeout=5",
    "-e",
    "SHOW SLAVE STATUS\\G",
]


@dataclass(frozen=True)
class ReplicaStatus:
    io_running: bool  # connected to the master and reading its binary log
    sql_running: bool  # applying what it read
    lag: int | None  # Seconds_Behind_Master; None when MariaDB cannot tell (a thread stopped)

    @property
    def up(self) -> bool:
        return self.io_running and self.sql_running


def parse_slave_status(text: str) -> ReplicaStatus | None:
    """The fields of `SHOW SLAVE STATUS\\G`; None when the server replicates nothing."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        name, colon, rest = line.strip().partition(":")
        if colon:
            fields[name.strip()] = rest.strip()
    if "Slave_IO_Running" not in fields:
        return None
    lag = fields.get("Seconds_Behind_Master", "")
    return ReplicaStatus(
        io_running=fields["Slave_IO_Running"] == "Yes",
        sql_running=fields.get("Slave_SQL_Running") == "Yes",
        lag=int(lag) if lag.isdigit() else None,
    )


def replica_status(client: Any, container_id: str) -> ReplicaStatus | None:
    """The replica's status, or None when it cannot be asked (stopping, not answering yet)."""
    try:
        exit_code, output = client.containers.get(container_id).exec_run(SLAVE_STATUS, user="root")
    except Exception:  # a container that is going away reads as a replica that is down
        return None
    if exit_code != 0:
        return None
    return parse_slave_status((output or b"").decode("utf-8", "replace"))

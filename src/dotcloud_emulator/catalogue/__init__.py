"""The service-type catalogue: one entry per dotCloud type says everything the stages need.

Its kind, whether it runs here, its stack (one per Python runtime for the Python types), config
keys, data port and variable naming, readiness check and start period, templates, packages and
Supervisor programs. The build-file schema, the environment, the renderers and the engine all read
it; none keeps a table of its own.
"""

from dotcloud_emulator.catalogue.entries import (
    DEFAULT_NODE_VERSION,
    DEFAULT_PYTHON_VERSION,
    PLATFORM_NODE_VERSIONS,
    PLATFORM_PYTHON_VERSIONS,
    SERVICE_TYPES,
)
from dotcloud_emulator.catalogue.lookup import (
    config_value,
    data_port,
    data_ports,
    http_port_name,
    is_data,
    node_runtime,
    node_runtime_for,
    python_stack,
    replica_set_name,
    runnable_types,
    runs_here,
    serves_http,
    stack_for,
    start_period,
)
from dotcloud_emulator.catalogue.model import (
    CONFIG_FILES_DIR,
    CURRENT,
    DATA_DIR,
    RUNTIME_DIR,
    SERVER_LIB_DIR,
    SETTLE_SECONDS,
    VIRTUALENV,
    ConfigFile,
    ConfigKey,
    DataPort,
    Kind,
    NodeRuntime,
    Program,
    PythonRuntime,
    ServiceType,
    Stack,
    Uwsgi,
)
from dotcloud_emulator.catalogue.stacks import TOOLING_SHIMS

__all__ = [
    "CONFIG_FILES_DIR",
    "CURRENT",
    "DATA_DIR",
    "DEFAULT_NODE_VERSION",
    "DEFAULT_PYTHON_VERSION",
    "PLATFORM_NODE_VERSIONS",
    "PLATFORM_PYTHON_VERSIONS",
    "RUNTIME_DIR",
    "SERVER_LIB_DIR",
    "SERVICE_TYPES",
    "SETTLE_SECONDS",
    "TOOLING_SHIMS",
    "VIRTUALENV",
    "ConfigFile",
    "ConfigKey",
    "DataPort",
    "Kind",
    "NodeRuntime",
    "Program",
    "PythonRuntime",
    "ServiceType",
    "Stack",
    "Uwsgi",
    "config_value",
    "data_port",
    "data_ports",
    "http_port_name",
    "is_data",
    "node_runtime",
    "node_runtime_for",
    "python_stack",
    "replica_set_name",
    "runnable_types",
    "runs_here",
    "serves_http",
    "stack_for",
    "start_period",
]

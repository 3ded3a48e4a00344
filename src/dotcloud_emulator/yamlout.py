"""The YAML the emulator writes for people to read and diff: the Compose file, an instance's
environment.yml and `info`'s output. One string rule for all of them, no global dumper touched.

Strings another YAML reader could take for a number, a boolean or null are quoted: Compose uses a
YAML 1.2 reader, PyYAML resolves YAML 1.1, and "1e3", "0o17" or "on" must stay strings for both.
Multi-line strings are literal blocks, so they read as written.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_AMBIGUOUS = re.compile(
    r"""
        [-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?   # decimal, float
      | [-+]?0[xX][0-9a-fA-F_]+ | [-+]?0[oO][0-7_]+ | [-+]?0[bB][01_]+    # other bases
      | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
      | [0-9]+(?::[0-5]?[0-9])+(?:\.[0-9_]*)?                             # sexagesimal
      | y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
      | ~|null|Null|NULL
    """,
    re.VERBOSE,
)
NO_WRAP = 2**16  # a long value (a URL, a command) stays on its line


class ReadableDumper(yaml.SafeDumper):
    """Block style; a value used twice is written twice, never as an anchor."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class BlockDumper(ReadableDumper):
    """Also indents a sequence under its key (Compose files are written that way)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if not value or _AMBIGUOUS.fullmatch(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


ReadableDumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    """Keys in the order the code built them, sequences indented (the Compose file)."""
    text: str = yaml.dump(
        data,
        Dumper=BlockDumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=NO_WRAP,
    )
    return text


def dump_sorted_yaml(data: Any) -> str:
    """Keys sorted (an instance's environment.yml)."""
    text: str = yaml.dump(
        data,
        Dumper=ReadableDumper,
        default_flow_style=False,
        sort_keys=True,
        allow_unicode=True,
        width=NO_WRAP,
    )
    return text

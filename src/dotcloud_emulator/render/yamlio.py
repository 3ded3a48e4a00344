"""YAML for files people read and diff: block style, keys in the order the code builds them.

Strings another YAML reader could take for a number, a boolean or null are quoted: Compose uses a
YAML 1.2 reader, PyYAML resolves YAML 1.1, and "1e3", "0o17" or "on" must stay strings for both.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_AMBIGUOUS = re.compile(
    r"""^(?:
        [-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?   # decimal, float
      | [-+]?0[xX][0-9a-fA-F_]+ | [-+]?0[oO][0-7_]+ | [-+]?0[bB][01_]+    # other bases
      | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
      | [0-9]+(?::[0-5]?[0-9])+(?:\.[0-9_]*)?                             # sexagesimal
      | y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
      | ~|null|Null|NULL
    )$""",
    re.VERBOSE,
)


class BlockDumper(yaml.SafeDumper):
    """A SafeDumper that indents sequences under their key and never uses flow style."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True  # a value used twice is written twice, never as an anchor


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if not value or _AMBIGUOUS.match(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


BlockDumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    text: str = yaml.dump(
        data,
        Dumper=BlockDumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=2**16,
    )
    return text

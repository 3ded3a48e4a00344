"""The files an instance reads its environment from, rendered as text (nothing is written here).

`environment.json` and its YAML twin (written under both names the platform's sources used) keep the
value types: ports such as "6379" and ids such as "0" stay strings, `PORT_HTTP` stays an integer.
`dotcloud_profile` is sourced by the login shell, so every value is shell-quoted.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping

from dotcloud_emulator import names
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.yamlout import dump_sorted_yaml


def environment_json(env: Mapping[str, str | int]) -> str:
    return json.dumps(dict(env), indent=4, sort_keys=True) + "\n"


def environment_yaml(env: Mapping[str, str | int]) -> str:
    return dump_sorted_yaml(dict(env))


def dotcloud_profile(env: Mapping[str, str | int]) -> str:
    for key in env:
        if not names.VARIABLE.is_valid(key):
            raise UsageError(
                f"{names.printable(key)} cannot be an environment variable name in a shell"
            )
    return "".join(f"export {key}={shlex.quote(str(env[key]))}\n" for key in sorted(env))


def environment_files(env: Mapping[str, str | int]) -> dict[str, str]:
    yaml_text = environment_yaml(env)
    return {
        "environment.json": environment_json(env),
        "environment.yml": yaml_text,
        "environment.yaml": yaml_text,
        "dotcloud_profile": dotcloud_profile(env),
    }

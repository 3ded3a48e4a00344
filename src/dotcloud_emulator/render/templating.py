"""The Jinja environment for text formats, with one escaping filter per target syntax.

A missing variable fails at render time (`StrictUndefined`) instead of leaving an empty directive.
"""

from __future__ import annotations

import functools
import json
import shlex
from typing import Any

import jinja2

from dotcloud_emulator import names
from dotcloud_emulator.errors import UsageError


def shellquote(value: object) -> str:
    return shlex.quote(str(value))


def json_string(value: object) -> str:
    """A JSON string literal, for exec-form arrays (`RUN ["sh", "-c", ...]`, `ENTRYPOINT`)."""
    return json.dumps(str(value), ensure_ascii=False)


def supervisor_value(value: object) -> str:
    """A value on one line of supervisord.conf, where `%` starts an expansion."""
    text = str(value)
    if "\n" in text or "\r" in text:
        raise UsageError(
            f"a supervisord.conf value cannot span several lines: {names.printable(text)}"
        )
    return text.replace("%", "%%")


def nginx_word(value: object) -> str:
    """A bare nginx token (host name, upstream member); anything else would change the config."""
    text = str(value)
    if not names.NGINX_WORD.is_valid(text):
        raise UsageError(f"{names.printable(text)} cannot be written into an nginx configuration")
    return text


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dotcloud_emulator.render", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 (no HTML: each syntax has its own escaping filter)
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        shellquote=shellquote,
        json_string=json_string,
        supervisor=supervisor_value,
        nginx_word=nginx_word,
    )
    return env


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)

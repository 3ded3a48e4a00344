"""The nearest valid word, for "did you mean ...?" hints."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def nearest(word: str, choices: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`did you mean 'x'?`, or an empty string when nothing is close."""
    match = nearest(word, choices)
    return f"did you mean '{match}'?" if match else ""

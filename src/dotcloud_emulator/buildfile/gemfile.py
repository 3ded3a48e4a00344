"""A ruby service's Gemfile and Gemfile.lock, read as Bundler would, served by Debian's gems.

rubygems.org is not reached from the builds: each gem of the Gemfile is Debian's package of it
(the catalogue's table, `RubyRuntime.gems`), the versions of Gemfile.lock are those Debian has,
and a gem Debian does not package is a warning at its Gemfile line (it is not installed). The
Gemfile Bundler resolves in the image is made here from the served gems (`bundler_gemfile`).
Pure: the caller reads the files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dotcloud_emulator.buildfile.model import Service
from dotcloud_emulator.catalogue.model import RubyRuntime

GEMFILE = "Gemfile"
GEMFILE_LOCK = "Gemfile.lock"

_QUOTED = r"""(?:'[^'\n]*'|"[^"\n]*")"""
GEM_LINE = re.compile(rf"^(\s*)gem\s*\(?\s*({_QUOTED})(.*)$")
GROUP_BLOCK = re.compile(r"^\s*group\s*\(?\s*([^)]*?)\)?\s*do\s*(?:\|.*\|)?\s*$")
OTHER_BLOCK = re.compile(
    r"^\s*(?:platforms?|source|git|path|install_if|env)\b.*\bdo\s*(?:\|.*\|)?\s*$"
)
BLOCK_END = re.compile(r"^\s*end\s*$")
SYMBOL = re.compile(r":(\w+)|['\"](\w+)['\"]")
REQUIRE = re.compile(rf"""(?::require\s*=>|\brequire:)\s*(false|true|{_QUOTED}|\[[^\]]*\])""")
OPTION_GROUP = re.compile(r"(?::groups?\s*=>|\bgroups?:)\s*(\[[^\]]*\]|:\w+)")
FROM_ELSEWHERE = re.compile(r"(?::(?:git|github|path)\s*=>|\b(?:git|github|path):)")
SAFE_REQUIRE = re.compile(rf"^(?:false|true|{_QUOTED}|\[\s*{_QUOTED}(?:\s*,\s*{_QUOTED})*\s*\])$")
LOCKED_SPEC = re.compile(r"^    ([A-Za-z0-9_.\-]+) \(([^)]+)\)\s*$")


@dataclass(frozen=True)
class Gem:
    name: str
    line: int
    column: int
    groups: tuple[str, ...] = ()
    require: str = ""  # the `:require =>` value as written (false, 'x'), "" when none
    elsewhere: bool = False  # from git or a path: Debian's release serves it instead


@dataclass(frozen=True)
class Finding:
    """A diagnostic about one of the two files."""

    file: str  # GEMFILE or GEMFILE_LOCK
    line: int
    column: int
    severity: str  # "warning" or "note"
    message: str


def read_gems(text: str) -> tuple[Gem, ...]:
    """The `gem` lines of a Gemfile, with the groups of their `group ... do` blocks."""
    gems = []
    blocks: list[tuple[str, ...]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0] if not raw.lstrip().startswith("#") else ""
        if found := GROUP_BLOCK.match(line):
            blocks.append(symbols(found.group(1)))
            continue
        if OTHER_BLOCK.match(line):
            blocks.append(())
            continue
        if BLOCK_END.match(line):
            if blocks:
                blocks.pop()
            continue
        found = GEM_LINE.match(line)
        if found is None:
            continue
        rest = found.group(3)
        groups = [group for block in blocks for group in block]
        if option := OPTION_GROUP.search(rest):
            groups.extend(symbols(option.group(1)))
        required = REQUIRE.search(rest)
        gems.append(
            Gem(
                name=found.group(2)[1:-1],
                line=number,
                column=len(found.group(1)) + 1,
                groups=tuple(dict.fromkeys(groups)),
                require=required.group(1) if required else "",
                elsewhere=bool(FROM_ELSEWHERE.search(rest)),
            )
        )
    return tuple(gems)


def without_groups(gems: tuple[Gem, ...], excluded: tuple[str, ...]) -> tuple[Gem, ...]:
    """The gems Bundler installs `--without` the excluded groups (a gem of several groups stays
    while one of them is not excluded)."""
    return tuple(gem for gem in gems if not gem.groups or set(gem.groups) - set(excluded))


def excluded_groups(service: Service) -> tuple[str, ...]:
    groups = service.extra.get("exclude_bundler_groups", ())
    return tuple(str(group) for group in groups) if isinstance(groups, tuple | list) else ()


def service_gems(service: Service, text: str) -> tuple[Gem, ...]:
    """The gems of a service's Gemfile that Bundler installs for it."""
    return without_groups(read_gems(text), excluded_groups(service))


def symbols(text: str) -> tuple[str, ...]:
    """`:development, :test` or `[:test]` -> (development, test)."""
    return tuple(first or second for first, second in SYMBOL.findall(text))


def locked_versions(text: str) -> dict[str, tuple[str, int]]:
    """The versions Gemfile.lock pins (its `specs:` entries): name -> (version, line)."""
    versions = {}
    for number, line in enumerate(text.splitlines(), 1):
        if found := LOCKED_SPEC.match(line):
            versions[found.group(1)] = (found.group(2), number)
    return versions


def debian_packages(gems: tuple[Gem, ...], ruby: RubyRuntime) -> list[str]:
    """The Debian packages serving the gems ("" for Ruby's own gems: none)."""
    found = (ruby.debian_gem(gem.name) for gem in gems)
    return sorted({served[0] for served in found if served and served[0]})


def served(gems: tuple[Gem, ...], ruby: RubyRuntime) -> tuple[Gem, ...]:
    return tuple(gem for gem in gems if ruby.debian_gem(gem.name) is not None)


def findings(
    gemfile: str, lock: str, ruby: RubyRuntime, excluded: tuple[str, ...] = ()
) -> list[Finding]:
    """The road taken (a note), each gem Debian does not serve (a warning at its line), each
    locked version served by another (a note at the lock's line); the gems of the excluded
    groups are not installed, so nothing is said of them."""
    gems = without_groups(read_gems(gemfile), excluded)
    if not gems:
        return []
    result = [
        Finding(
            GEMFILE,
            gems[0].line,
            gems[0].column,
            "note",
            f"the gems come from Debian {ruby.debian}'s packages of them (rubygems.org is not "
            f"reached from the builds here); Bundler resolves them on Ruby {ruby.version}",
        )
    ]
    locked = locked_versions(lock)
    for gem in gems:
        debian = ruby.debian_gem(gem.name)
        if debian is None:
            result.append(
                Finding(
                    GEMFILE,
                    gem.line,
                    gem.column,
                    "warning",
                    f"gem {gem.name!r} is not installed: rubygems.org is not reached from the "
                    f"builds here and Debian {ruby.debian} has no package of it",
                )
            )
            continue
        package, version = debian
        if gem.elsewhere and package:
            result.append(
                Finding(
                    GEMFILE,
                    gem.line,
                    gem.column,
                    "note",
                    f"gem {gem.name!r} comes from Debian's {package} {version}, not from its git "
                    "repository or path",
                )
            )
        if gem.name in locked and package and locked[gem.name][0] != version:
            result.append(
                Finding(
                    GEMFILE_LOCK,
                    locked[gem.name][1],
                    5,
                    "note",
                    f"{gem.name} {locked[gem.name][0]} runs as Debian's {package} {version} here",
                )
            )
    return result


def bundler_gemfile(gemfile: str, ruby: RubyRuntime, excluded: tuple[str, ...] = ()) -> str:
    """The Gemfile Bundler resolves in the image: the served gems, with their groups and
    `require` options, without versions (Debian has one of each)."""
    lines = [
        "# Generated by dotcloud-emulator from the approot's Gemfile: the gems Debian "
        f"{ruby.debian} packages, at Debian's versions.",
        "source 'https://rubygems.org'",
    ]
    for gem in served(without_groups(read_gems(gemfile), excluded), ruby):
        options = []
        if gem.require and SAFE_REQUIRE.match(gem.require):
            options.append(f":require => {gem.require}")
        if gem.groups:
            options.append(":group => [" + ", ".join(f":{group}" for group in gem.groups) + "]")
        lines.append(", ".join([f"gem {gem.name!r}", *options]))
    return "\n".join(lines) + "\n"

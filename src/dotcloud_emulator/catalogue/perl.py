"""Perl facts the perl stacks need: which Perl runs a `perl_version`, the modules an approot's
`Makefile.PL` requires, and the Debian package serving a module.

The platform installed `Makefile.PL`'s prerequisites and `requirements:` with cpanm from CPAN into
the dotcloud user's ~/perl5. CPAN is not reachable from the builds here (only PyPI, npm and Debian
are), so a module comes from Debian's package of it (`Dancer` -> libdancer-perl): Debian names a
module's package after its distribution, lowercased, `::` as `-`. A module of Perl's core needs no
package; one Debian does not package is a warning at its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

# Debian bookworm's Perl: the platform offered 5.12 (its default), 5.14 and 5.16, none of which
# any reachable source still builds; Perl keeps old code running (what it removed is listed in
# docs), and PERL_USE_UNSAFE_INC puts "." back in @INC as 5.12 had it.
PERL_VERSION = "5.36"
PLATFORM_PERL_VERSIONS = ("v5.12.x", "v5.14.x", "v5.16.x")
DEFAULT_PERL_VERSION = "v5.12.x"
DEBIAN = "bookworm"

# Modules whose Debian package is not named after the module: the distribution holding them has
# another name (LWP is in libwww-perl), or is a program (cpanm, Starman), by the module's full
# name; "" for those the perl stack has already.
_PACKAGED_ELSEWHERE = {
    "App::cpanminus": "",  # cpanm: the platform's users listed it (the Dancer guides did)
    "local::lib": "",
    "Starman": "starman",
    "LWP": "libwww-perl",
    "LWP::UserAgent": "libwww-perl",
    "LWP::Simple": "libwww-perl",
    "HTTP::Request": "libhttp-message-perl",
    "HTTP::Response": "libhttp-message-perl",
    "HTTP::Headers": "libhttp-message-perl",
    "CGI": "libcgi-pm-perl",
    "Template": "libtemplate-perl",
    "Template::Toolkit": "libtemplate-perl",
    "Mojolicious::Lite": "libmojolicious-perl",
    "Mojo": "libmojolicious-perl",
    "Net::SSLeay": "libnet-ssleay-perl",
    "YAML::XS": "libyaml-libyaml-perl",
    "JSON::XS": "libjson-xs-perl",
    "DateTime": "libdatetime-perl",
    "Catalyst": "libcatalyst-perl",
    "Catalyst::Runtime": "libcatalyst-perl",
    "Moose": "libmoose-perl",
    "Plack::Middleware::Debug": "libplack-middleware-debug-perl",
    "Email::Sender::Simple": "libemail-sender-perl",
    "XML::LibXML": "libxml-libxml-perl",
    "Digest::SHA1": "libdigest-sha-perl",
}
# Not modules: what Makefile.PL and cpanfile name besides them.
_NOT_MODULES = frozenset({"perl"})


@dataclass(frozen=True)
class Prerequisite:
    """A module an approot's Makefile.PL requires, and where it says so."""

    module: str
    line: int
    column: int


def perl_version_note(version: str) -> str:
    """The notice naming what a `perl_version` runs on here."""
    return (
        f"perl_version {version} runs on Perl {PERL_VERSION} here (Debian {DEBIAN}'s; no Perl "
        f"{version.removeprefix('v').removesuffix('.x')} can be had)"
    )


def package_name(module: str) -> str:
    """Debian's name for the package of a distribution: Dancer::Plugin::Database ->
    libdancer-plugin-database-perl."""
    return f"lib{module.lower().replace('::', '-').replace('_', '-')}-perl"


@cache
def _lines(name: str) -> frozenset[str]:
    text = resources.files("dotcloud_emulator.catalogue").joinpath("data", name).read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def debian_perl_packages() -> frozenset[str]:
    return _lines(f"debian-{DEBIAN}-perl.txt")


def core_modules() -> frozenset[str]:
    return _lines(f"perl-core-{PERL_VERSION}.txt")


def debian_package_for_module(requirement: str) -> str | None:
    """The Debian package serving a module ("" when Perl's core has it), or None when none does.

    A module of a distribution (Plack::Request) is in the package of the nearest enclosing
    name Debian packages (libplack-perl)."""
    module = module_name(requirement)
    if not module:
        return None
    if module in core_modules() or module in _NOT_MODULES:
        return ""
    packages = debian_perl_packages()
    if module in _PACKAGED_ELSEWHERE:
        return _PACKAGED_ELSEWHERE[module]
    parts = module.split("::")
    for end in range(len(parts), 0, -1):
        name = "::".join(parts[:end])
        if name in _PACKAGED_ELSEWHERE:
            return _PACKAGED_ELSEWHERE[name]
        if package_name(name) in packages:
            return package_name(name)
    return None


MODULE = re.compile(r"[A-Za-z_]\w*(?:(?:::|')\w+)*")


def module_name(requirement: str) -> str:
    """A requirement as the platform's users wrote it for cpanm (`Dancer`, `Dancer~1.3`,
    `Dancer@1.3100`, `DBD::mysql 4.020`), as a module name; "" when it names no module (a URL, a
    tarball)."""
    text = re.split(r"[~@\s]", requirement.strip(), maxsplit=1)[0]
    return text.replace("'", "::") if MODULE.fullmatch(text) else ""


# --- Makefile.PL -------------------------------------------------------------------------------

# ExtUtils::MakeMaker's PREREQ_PM (and the *_REQUIRES of newer ones) is a hash of module =>
# version; Module::Install's `requires 'Dancer' => 1.3` (test_requires, build_requires,
# configure_requires) a list of calls.
_HASH_KEYS = re.compile(
    r"\b(PREREQ_PM|BUILD_REQUIRES|CONFIGURE_REQUIRES|TEST_REQUIRES)\s*=>\s*\{", re.MULTILINE
)
_HASH_ENTRY = re.compile(
    r"""(?:(['"])(?P<quoted>[\w:']+)\1|(?P<bare>[A-Za-z_][\w:]*))\s*(?:=>|,)"""
)
_REQUIRES = re.compile(
    r"""^\s*(?:requires|test_requires|build_requires|configure_requires|recommends)\s*\(?\s*"""
    r"""(['"])(?P<module>[\w:']+)\1""",
    re.MULTILINE,
)


def makefile_pl_prerequisites(text: str) -> list[Prerequisite]:
    """The modules a Makefile.PL requires at run time (PREREQ_PM, Module::Install's `requires`),
    in the order written; build and test requirements too (cpanm installed them all)."""
    found: list[Prerequisite] = []
    for match in _HASH_KEYS.finditer(text):
        body_start = match.end()
        body_end = _closing_brace(text, body_start)
        body = text[body_start:body_end]
        for entry in _HASH_ENTRY.finditer(_without_comments(body)):
            module = entry.group("quoted") or entry.group("bare") or ""
            if _looks_like_version(module):
                continue
            found.append(_at(text, body_start + entry.start(), module))
    for match in _REQUIRES.finditer(_without_comments(text)):
        found.append(_at(text, match.start("module"), match.group("module")))
    unique: dict[str, Prerequisite] = {}
    for item in sorted(found, key=lambda item: (item.line, item.column)):
        unique.setdefault(item.module, item)
    return list(unique.values())


def _closing_brace(text: str, start: int) -> int:
    depth = 1
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    return len(text)


def _without_comments(text: str) -> str:
    """Comments blanked out, keeping every offset (so positions stay right)."""
    return re.sub(r"#[^\n]*", lambda match: " " * len(match.group(0)), text)


def _looks_like_version(word: str) -> bool:
    return bool(re.fullmatch(r"[\d._v]+", word))


def _at(text: str, offset: int, module: str) -> Prerequisite:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Prerequisite(module.replace("'", "::"), line, column)

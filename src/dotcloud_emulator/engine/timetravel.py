"""Dependency time travel: a local package index showing pip only what was uploaded before a date.

An old application with unpinned requirements (`Flask==0.8` and whatever Werkzeug) resolves today
to libraries written years after it and breaks. Served through this index, pip sees PyPI as it was
on the cutoff date and picks the versions the application was written against.

Why our own small server rather than a tool:
- pip's own `--uploaded-prior-to` exists only in recent pip (the 20.3.4 that runs Python 2.7, and
  Debian's python3-pip 23.0, do not have it);
- pip-timemachine answers only in PEP 691 JSON, which pip 20.3.4 cannot read;
- pypi-timemachine is a command-line server on a fixed port with a web-framework stack
  (FastAPI, httpx, simple-repository-server), not something to start and stop around one build.

The upstream must speak PEP 691 JSON with PEP 700 upload times (PyPI does). Pages go to pip as
PEP 503 HTML, which every pip reads; the file links still point at the upstream's file host, so
pip downloads the files themselves directly (with the CA bundle the build already gives it).
"""

from __future__ import annotations

import html
import json
import re
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from packaging.version import InvalidVersion, Version

from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.names import printable

PYPI_SIMPLE = "https://pypi.org/simple/"
PEP_691_JSON = "application/vnd.pypi.simple.v1+json"
# A build that takes longer than this has hung; the index must not outlive the emulator's use of it.
DEFAULT_LIFETIME = 30 * 60
UPSTREAM_TIMEOUT = 60
SHUTDOWN_POLL = 0.05  # seconds: how quickly a stop request is noticed
# Build tools are not the application's dependencies: an isolated build of a package with a
# pyproject.toml asks for a recent setuptools, which no 2012 index has. `requires-python` keeps
# Python 2 on the last releases that support it.
BUILD_TOOLS = frozenset({"pip", "setuptools", "wheel"})

_PROJECT_PATH = re.compile(r"/simple/([A-Za-z0-9._-]+)/")
# PyPI's file URLs before files.pythonhosted.org, which 2012's ez_setup.py and distribute_setup.py
# still fetch over plain HTTP: /packages/<python or "source">/<initial>/<project>/<file>.
LEGACY_HOSTS = frozenset({"pypi.python.org", "pypi.org", "cheeseshop.python.org"})
_LEGACY_FILE = re.compile(
    r"/packages/[A-Za-z0-9.]+/[A-Za-z0-9]/(?P<project>[A-Za-z0-9._-]+)/(?P<filename>[A-Za-z0-9._+-]+)"
)
MAX_LEGACY_DOWNLOAD = 64 * 1024 * 1024  # bytes: setuptools and distribute are well under 1 MB
_HASH_PREFERENCE = ("sha256", "sha384", "sha512", "md5")


@dataclass(frozen=True)
class IndexFile:
    """One distribution file as the upstream index lists it."""

    filename: str
    url: str
    hashes: Mapping[str, str]
    requires_python: str | None = None
    yanked: bool | str = False
    uploaded: datetime | None = None


class UpstreamError(Exception):
    """The upstream index did not answer with a usable page."""

    def __init__(self, message: str, status: int = HTTPStatus.BAD_GATEWAY) -> None:
        super().__init__(message)
        self.status = status


def parse_cutoff(text: str) -> datetime:
    """The moment `text` names: a date means its midnight UTC; a time without a zone is UTC."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"invalid pip date {printable(text)}: use a date like 2012-06-01 "
            "(or a UTC time like 2012-06-01T12:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment > datetime.now(UTC):
        raise UsageError(f"invalid pip date {printable(text)}: it is in the future")
    return moment


def normalize_project(name: str) -> str:
    """PEP 503's normalized name: the form index URLs use."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_upload_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_project_page(payload: bytes, page_url: str) -> list[IndexFile]:
    """The files of a PEP 691 JSON project page; relative links are resolved against `page_url`."""
    try:
        document = json.loads(payload)
        entries = document["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise UpstreamError(f"the upstream page is not PEP 691 JSON ({exc})") from exc
    return [_index_file(entry, page_url) for entry in entries if isinstance(entry, dict)]


def _index_file(entry: Mapping[str, Any], page_url: str) -> IndexFile:
    hashes = entry.get("hashes")
    requires_python = entry.get("requires-python")
    yanked = entry.get("yanked", False)
    return IndexFile(
        filename=str(entry["filename"]),
        url=urllib.parse.urljoin(page_url, str(entry["url"])),
        hashes={str(k): str(v) for k, v in hashes.items()} if isinstance(hashes, dict) else {},
        requires_python=requires_python if isinstance(requires_python, str) else None,
        yanked=yanked if isinstance(yanked, bool | str) else False,
        uploaded=parse_upload_time(entry.get("upload-time")),
    )


def files_before(files: Iterable[IndexFile], cutoff: datetime) -> list[IndexFile]:
    """Files uploaded strictly before `cutoff`; a file without an upload time is left out."""
    return [f for f in files if f.uploaded is not None and f.uploaded < cutoff]


_ARCHIVE_SUFFIXES = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".zip", ".whl", ".egg", ".exe")
# The version starts at the first "-<digit>" and may hold dashes (`celery-3.1.26-1.tar.gz` is
# 3.1.26-1, a post-release: read as "1", it would take the date of the first releases).
_SDIST_NAME = re.compile(r"(?P<name>.+?)-(?P<version>\d.*)")


def file_version(filename: str) -> str | None:
    """The version a distribution file holds (`CherryPy-3.2.0.tar.gz` -> `3.2.0`), if it says."""
    base = next((filename[: -len(s)] for s in _ARCHIVE_SUFFIXES if filename.endswith(s)), None)
    if base is None:
        return None
    if filename.endswith((".whl", ".egg", ".exe")):
        parts = base.split("-")
        return parts[1] if len(parts) > 1 else None
    match = _SDIST_NAME.fullmatch(base)
    return match["version"] if match else None


def parse_version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def release_dates(files: Iterable[IndexFile]) -> dict[Version, datetime]:
    """When each version was out, as far as the upload times tell.

    A version's files may have reached the index long after its release (redis-py's 2.4 to 2.6,
    hosted elsewhere in 2012, all carry the day they were moved onto PyPI in 2013), but a version
    was out no later than any higher version was: each date is capped by the earliest upload of
    the versions above it.
    """
    earliest: dict[Version, datetime] = {}
    for index_file in files:
        version = parse_version(file_version(index_file.filename) or "")
        if version is None or index_file.uploaded is None:
            continue
        known = earliest.get(version)
        earliest[version] = min(known, index_file.uploaded) if known else index_file.uploaded
    dates: dict[Version, datetime] = {}
    cap: datetime | None = None
    for version in sorted(earliest, reverse=True):
        cap = earliest[version] if cap is None else min(cap, earliest[version])
        dates[version] = cap
    return dates


@dataclass(frozen=True)
class Visible:
    """What pip may see of one project, and why when it is a guess."""

    files: list[IndexFile]
    guess: str | None = None  # set when no release of the project is dated before the cutoff


def visible_files(
    files: Sequence[IndexFile], cutoff: datetime, pinned_version: str | None
) -> Visible:
    """The files pip may see: those of the versions out before the cutoff (`release_dates`),
    and every file of the version the application pins exactly, whatever its dates: a version
    named with `==` is what the application ran.

    A project none of whose releases is dated before the cutoff, although it has releases,
    offers the versions below its earliest upload (they were out before it, their own dates lost
    in a move), else those of its first upload day; `guess` says which.
    """
    dates = release_dates(files)
    versions = {id(f): parse_version(file_version(f.filename) or "") for f in files}

    def out_before_cutoff(index_file: IndexFile) -> bool:
        version = versions[id(index_file)]
        moment = dates.get(version) if version is not None else None
        moment = moment or index_file.uploaded
        return moment is not None and moment < cutoff

    shown = [f for f in files if out_before_cutoff(f)]
    guess = None
    if not shown and dates:
        shown, guess = _era_guess(files, versions)
    pin = parse_version(pinned_version) if pinned_version else None
    if pinned_version is not None:
        shown += [
            f
            for f in files
            if f not in shown
            and (
                file_version(f.filename) == pinned_version
                or (pin is not None and versions[id(f)] == pin)
            )
        ]
    return Visible(shown, guess)


def _era_guess(
    files: Sequence[IndexFile], versions: Mapping[int, Version | None]
) -> tuple[list[IndexFile], str]:
    dated = [(f.uploaded, v, f) for f in files if f.uploaded is not None and (v := versions[id(f)])]
    first, first_version, _ = min(dated, key=lambda item: item[:2])
    older = [(v, f) for _, v, f in dated if v < first_version]
    if older:
        return [f for _, f in older], (
            f"no release is dated before the cutoff (the first upload, {first_version}, is of "
            f"{first.date().isoformat()}): offering the versions below it, up to "
            f"{max(v for v, _ in older)}"
        )
    day = [f for moment, _, f in dated if moment.date() == first.date()]
    return day, (
        "no release is dated before the cutoff: offering those of its first upload day, "
        f"{first.date().isoformat()}"
    )


@dataclass(frozen=True)
class Pin:
    """An exact requirement, `name==version`."""

    name: str  # as the application spells it
    version: str


def parse_pins(lines: Iterable[str]) -> list[Pin]:
    """`name==version` lines (options, comments, markers and extras aside)."""
    pins = []
    for line in lines:
        text = line.split("#", 1)[0].split(";", 1)[0].strip()
        name, sep, version = text.partition("==")
        name = name.split("[", 1)[0].strip()
        version = version.strip()
        if sep and name and version and parse_version(version) is not None and _is_name(name):
            pins.append(Pin(name, version))
    return pins


def _is_name(text: str) -> bool:
    return text[0].isalnum() and all(c.isalnum() or c in "._-" for c in text)


def exact_pins(lines: Iterable[str]) -> dict[str, str]:
    """`name==version` requirements (comments and options aside), by normalized project name."""
    return {normalize_project(pin.name): pin.version for pin in parse_pins(lines)}


def render_simple_page(project: str, files: Iterable[IndexFile]) -> str:
    """A PEP 503 HTML project page (with PEP 503 requires-python and PEP 592 yanked marks)."""
    links = "".join(f"    {_anchor(f)}<br/>\n" for f in files)
    title = html.escape(project)
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        f"    <title>Links for {title}</title>\n  </head>\n  <body>\n"
        f"    <h1>Links for {title}</h1>\n{links}  </body>\n</html>\n"
    )


def _anchor(index_file: IndexFile) -> str:
    href = index_file.url.split("#", 1)[0] + _hash_fragment(index_file.hashes)
    attributes = [f'href="{html.escape(href)}"']
    if index_file.requires_python:
        attributes.append(f'data-requires-python="{html.escape(index_file.requires_python)}"')
    if index_file.yanked is not False:
        reason = index_file.yanked if isinstance(index_file.yanked, str) else ""
        attributes.append(f'data-yanked="{html.escape(reason)}"')
    return f"<a {' '.join(attributes)}>{html.escape(index_file.filename)}</a>"


def _hash_fragment(hashes: Mapping[str, str]) -> str:
    for algorithm in _HASH_PREFERENCE:
        if algorithm in hashes:
            return f"#{algorithm}={hashes[algorithm]}"
    return ""


class Upstream:
    """Fetches project pages from a PEP 691 index, each project once per server lifetime."""

    def __init__(self, base_url: str, cafile: str | None = None) -> None:
        if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
            raise UsageError(f"invalid package index {printable(base_url)}: use an http(s) URL")
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._context = ssl.create_default_context(cafile=cafile)
        self._pages: dict[str, list[IndexFile]] = {}
        self._lock = threading.Lock()

    def files(self, project: str) -> list[IndexFile]:
        with self._lock:
            cached = self._pages.get(project)
        if cached is not None:
            return cached
        files = self._fetch(project)
        with self._lock:
            self._pages[project] = files
        return files

    def download(self, url: str) -> bytes:
        """One file the index lists, whole (bounded by MAX_LEGACY_DOWNLOAD)."""
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise UpstreamError(f"{url}: not an http(s) URL")
        try:
            with urllib.request.urlopen(  # noqa: S310 (the scheme is checked above)
                url, timeout=UPSTREAM_TIMEOUT, context=self._context
            ) as response:
                data: bytes = response.read(MAX_LEGACY_DOWNLOAD + 1)
        except (urllib.error.URLError, OSError) as exc:
            raise UpstreamError(f"{url}: {exc}") from exc
        if len(data) > MAX_LEGACY_DOWNLOAD:
            raise UpstreamError(f"{url}: larger than {MAX_LEGACY_DOWNLOAD} bytes")
        return data

    def _fetch(self, project: str) -> list[IndexFile]:
        url = urllib.parse.urljoin(self.base_url, f"{project}/")
        # The scheme was checked in __init__: only http(s) reaches urlopen.
        request = urllib.request.Request(url, headers={"Accept": PEP_691_JSON})  # noqa: S310
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=UPSTREAM_TIMEOUT, context=self._context
            ) as response:
                return parse_project_page(response.read(), response.geturl())
        except urllib.error.HTTPError as exc:
            status = HTTPStatus.NOT_FOUND if exc.code == HTTPStatus.NOT_FOUND else None
            raise UpstreamError(
                f"{url}: HTTP {exc.code}", status or HTTPStatus.BAD_GATEWAY
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise UpstreamError(f"{url}: {exc}") from exc


class _IndexHandler(BaseHTTPRequestHandler):
    server: _IndexServer

    def do_GET(self) -> None:
        target = urllib.parse.urlsplit(self.path)
        # A proxy request (this server is the build's `http_proxy`) for another host:
        if target.scheme and target.netloc != self._own_netloc():
            self._legacy_download(target)
            return
        path = target.path
        if path in ("/", "/simple", "/simple/"):
            self._send(HTTPStatus.OK, render_simple_page("time-travel index", []))
            return
        match = _PROJECT_PATH.fullmatch(path if path.endswith("/") else path + "/")
        if match is None:
            self._send(HTTPStatus.NOT_FOUND, "not found\n", "text/plain")
        elif not path.endswith("/"):
            self._redirect(path + "/")
        else:
            self._project(match.group(1))

    def _project(self, name: str) -> None:
        project = normalize_project(name)
        try:
            files = self.server.upstream.files(project)
        except UpstreamError as exc:
            self._send(exc.status, f"{exc}\n", "text/plain")
            return
        if project not in self.server.unfiltered:
            visible = visible_files(files, self.server.cutoff, self.server.pinned.get(project))
            files = visible.files
            if visible.guess:
                self.server.guesses[project] = visible.guess
        self._send(HTTPStatus.OK, render_simple_page(project, files))

    def _own_netloc(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host!s}:{port}"

    def _legacy_download(self, target: urllib.parse.SplitResult) -> None:
        """A download from PyPI's retired host, by an old setup.py's ez_setup or distribute_setup
        (`http://pypi.python.org/packages/source/d/distribute/distribute-0.6.28.tar.gz`): the same
        file, fetched from where the upstream index lists it today. Nothing else goes through."""
        match = _LEGACY_FILE.fullmatch(target.path)
        if target.scheme != "http" or target.hostname not in LEGACY_HOSTS or match is None:
            self._send(
                HTTPStatus.FORBIDDEN,
                "the time-travel index passes on only PyPI's old download URLs\n",
                "text/plain",
            )
            return
        project, filename = normalize_project(match["project"]), match["filename"]
        try:
            listed = next(
                (f for f in self.server.upstream.files(project) if f.filename == filename), None
            )
            if listed is None:
                raise UpstreamError(f"{project} has no file {filename}", HTTPStatus.NOT_FOUND)
            data = self.server.upstream.download(listed.url)
        except UpstreamError as exc:
            self._send(exc.status, f"{exc}\n", "text/plain")
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, body: str, content_type: str = "text/html") -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        # pip's own output says what it fetched; request lines would interleave with the build's.
        return


class _IndexServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        upstream: Upstream,
        cutoff: datetime,
        unfiltered: frozenset[str],
        pinned: Mapping[str, str],
    ) -> None:
        super().__init__(address, _IndexHandler)
        self.upstream = upstream
        self.cutoff = cutoff
        self.unfiltered = unfiltered
        self.pinned = pinned
        self.guesses: dict[str, str] = {}  # project -> why its versions are a guess


def _bind(
    host: str,
    port: int,
    upstream: Upstream,
    cutoff: datetime,
    unfiltered: frozenset[str],
    pinned: Mapping[str, str],
) -> _IndexServer:
    """The server on `port` if it is free, else on a port the system picks.

    Docker reuses a cached pip layer only when its build arguments are unchanged, the index URL
    among them: a stable port (see `preferred_port`) keeps a rebuild with the same date cached.
    """
    if port:
        try:
            return _IndexServer((host, port), upstream, cutoff, unfiltered, pinned)
        except OSError:
            pass
    return _IndexServer((host, 0), upstream, cutoff, unfiltered, pinned)


def preferred_port(cutoff: datetime) -> int:
    """A port that depends only on the date, in the dynamic range (49152-65535)."""
    return 49152 + int(cutoff.timestamp() // 60) % 16000


class TimeTravelIndex:
    """A running time-travel index: `with TimeTravelIndex(cutoff) as index: ... index.url ...`.

    It listens on `host` (loopback by default, so a build reaches it with host networking), on
    `port` when that is free (by default the date's `preferred_port`; 0 for any) and else on any
    free port, and stops on leaving the block or after `lifetime` seconds, whichever is first.
    """

    def __init__(
        self,
        cutoff: datetime,
        *,
        upstream: str = PYPI_SIMPLE,
        cafile: str | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        lifetime: float = DEFAULT_LIFETIME,
        unfiltered: Iterable[str] = BUILD_TOOLS,
        pinned: Mapping[str, str] | None = None,
    ) -> None:
        self.cutoff = cutoff
        self._server = _bind(
            host,
            preferred_port(cutoff) if port is None else port,
            Upstream(upstream, cafile),
            cutoff,
            frozenset(normalize_project(name) for name in unfiltered),
            {normalize_project(name): version for name, version in (pinned or {}).items()},
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL},
            name="time-travel-index",
            daemon=True,
        )
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True
        self._stopped = threading.Event()
        self._stop_lock = threading.Lock()

    @property
    def url(self) -> str:
        """The index URL to give pip (`PIP_INDEX_URL`, `--index-url`)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/simple/"

    @property
    def proxy_url(self) -> str:
        """The `http_proxy` that sends old setup.py downloads from PyPI's retired host here."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def guesses(self) -> dict[str, str]:
        """The projects whose era had to be guessed (`Visible.guess`), each with the reason."""
        return dict(self._server.guesses)

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._stopped.is_set()

    def start(self) -> TimeTravelIndex:
        self._thread.start()
        self._timer.start()
        return self

    def stop(self) -> None:
        with self._stop_lock:
            if self._stopped.is_set():
                return
            self._stopped.set()
        self._timer.cancel()
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> TimeTravelIndex:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def pip_date_hint(cutoff_example: date | None = None) -> str:
    """The sentence suggesting time travel after a Python 2 dependency install failed."""
    example = (cutoff_example or date(2012, 6, 1)).isoformat()
    return (
        "Unpinned requirements resolve to today's releases, which may no longer support this "
        f"code; install them as they were on a past date with `up --pip-date {example}`."
    )

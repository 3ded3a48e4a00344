"""The time-travel index, run against a fake PEP 691 upstream on 127.0.0.1 (no network)."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dotcloud_emulator.engine import timetravel
from dotcloud_emulator.engine.timetravel import (
    IndexFile,
    TimeTravelIndex,
    files_before,
    parse_cutoff,
    render_simple_page,
)
from dotcloud_emulator.errors import UsageError

CUTOFF = datetime(2012, 6, 1, tzinfo=UTC)


def _file(
    name: str, uploaded: str | None, requires_python: str | None = None, **extra: Any
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "filename": name,
        "url": f"../../packages/{name}",
        "hashes": {"sha256": "ab" * 32},
        "requires-python": requires_python,
        "upload-time": uploaded,
    }
    entry.update(extra)
    return entry


PROJECTS: dict[str, list[dict[str, Any]]] = {
    "werkzeug": [
        _file("Werkzeug-0.8.1.tar.gz", "2011-10-01T10:00:00.000000Z"),
        _file("Werkzeug-0.8.3.tar.gz", "2012-02-05T20:00:00.123456Z"),
        _file("Werkzeug-0.9.tar.gz", "2013-06-13T12:00:00Z"),
        _file("Werkzeug-1.0.1-py2.py3-none-any.whl", "2020-03-31T18:00:00Z", ">=2.7, !=3.0.*"),
        _file("Werkzeug-0.8.2.tar.gz", None),
    ],
    "setuptools": [
        _file("setuptools-0.6c11.tar.gz", "2009-10-20T00:00:00Z"),
        _file("setuptools-44.1.1.zip", "2020-05-29T00:00:00Z", ">=2.7"),
    ],
    "zope-interface": [
        _file("zope.interface-3.8.0.tar.gz", "2011-09-22T00:00:00Z", yanked="broken"),
    ],
}


class _FakeUpstream(BaseHTTPRequestHandler):
    requests: list[tuple[str, str]] = []
    files: dict[str, bytes] = {}

    def do_GET(self) -> None:
        self.requests.append((self.path, self.headers.get("Accept", "")))
        if self.path.startswith("/packages/"):
            data = self.files.get(self.path.removeprefix("/packages/"))
            self._answer(HTTPStatus.OK if data else HTTPStatus.NOT_FOUND, data or b"")
            return
        project = self.path.removeprefix("/simple/").rstrip("/")
        if project == "broken":
            self._answer(HTTPStatus.OK, b"<html>not json</html>")
        elif project in PROJECTS:
            body = {"meta": {"api-version": "1.1"}, "name": project, "files": PROJECTS[project]}
            self._answer(HTTPStatus.OK, json.dumps(body).encode())
        else:
            self._answer(HTTPStatus.NOT_FOUND, b"no such project")

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", timetravel.PEP_691_JSON)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def upstream() -> Iterator[str]:
    _FakeUpstream.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeUpstream)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def index(upstream: str) -> Iterator[TimeTravelIndex]:
    with TimeTravelIndex(CUTOFF, upstream=upstream) as running:
        yield running


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_a_project_page_lists_only_files_uploaded_before_the_cutoff(
    index: TimeTravelIndex, upstream: str
) -> None:
    status, page = _get(index.url + "werkzeug/")

    assert status == HTTPStatus.OK
    assert "Werkzeug-0.8.1.tar.gz" in page
    assert "Werkzeug-0.8.3.tar.gz" in page
    assert "Werkzeug-0.9" not in page
    assert "Werkzeug-1.0.1" not in page
    # no upload time: it cannot be shown to predate the cutoff
    assert "Werkzeug-0.8.2" not in page


def test_links_are_absolute_with_their_hash_for_pip(index: TimeTravelIndex, upstream: str) -> None:
    _, page = _get(index.url + "werkzeug/")

    packages = upstream.removesuffix("simple/") + "packages/"
    assert f'<a href="{packages}Werkzeug-0.8.3.tar.gz#sha256={"ab" * 32}">' in page


def test_the_upstream_is_asked_for_pep_691_json(index: TimeTravelIndex) -> None:
    _get(index.url + "werkzeug/")

    assert _FakeUpstream.requests == [("/simple/werkzeug/", timetravel.PEP_691_JSON)]


def test_names_are_normalized_and_a_missing_slash_redirects(index: TimeTravelIndex) -> None:
    status, page = _get(index.url + "Zope.Interface")

    assert status == HTTPStatus.OK
    assert "zope.interface-3.8.0.tar.gz" in page
    assert _FakeUpstream.requests[-1][0] == "/simple/zope-interface/"


def test_each_project_is_fetched_once(index: TimeTravelIndex) -> None:
    _get(index.url + "werkzeug/")
    _get(index.url + "werkzeug/")

    assert len(_FakeUpstream.requests) == 1


def test_build_tools_are_not_sent_back_in_time(index: TimeTravelIndex) -> None:
    _, page = _get(index.url + "setuptools/")

    assert "setuptools-44.1.1.zip" in page
    assert 'data-requires-python="&gt;=2.7"' in page


def test_an_unknown_project_is_a_404_and_a_bad_upstream_page_a_502(
    index: TimeTravelIndex,
) -> None:
    assert _get(index.url + "nothing-here/")[0] == HTTPStatus.NOT_FOUND
    status, body = _get(index.url + "broken/")
    assert status == HTTPStatus.BAD_GATEWAY
    assert "not PEP 691 JSON" in body


def test_other_paths_are_not_found(index: TimeTravelIndex) -> None:
    assert _get(index.url.removesuffix("simple/") + "etc/passwd")[0] == HTTPStatus.NOT_FOUND
    assert _get(index.url)[0] == HTTPStatus.OK


def test_it_listens_on_a_free_loopback_port_and_stops_with_the_block(upstream: str) -> None:
    with (
        TimeTravelIndex(CUTOFF, upstream=upstream) as first,
        TimeTravelIndex(CUTOFF, upstream=upstream) as second,
    ):
        assert first.url.startswith("http://127.0.0.1:")
        assert first.url != second.url
        assert first.running
    assert not first.running
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(first.url, timeout=2)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_it_takes_the_port_asked_for_when_free_and_another_when_not(upstream: str) -> None:
    port = _free_port()
    with (
        TimeTravelIndex(CUTOFF, upstream=upstream, port=port) as first,
        TimeTravelIndex(CUTOFF, upstream=upstream, port=port) as second,
    ):
        assert first.url == f"http://127.0.0.1:{port}/simple/"
        assert second.url != first.url
        assert _get(second.url + "werkzeug/")[0] == HTTPStatus.OK


def test_the_preferred_port_depends_only_on_the_date() -> None:
    port = timetravel.preferred_port(CUTOFF)

    assert port == timetravel.preferred_port(datetime(2012, 6, 1, tzinfo=UTC))
    assert port != timetravel.preferred_port(datetime(2012, 6, 2, tzinfo=UTC))
    assert 49152 <= port <= 65535


def test_it_stops_by_itself_after_its_lifetime(upstream: str) -> None:
    index = TimeTravelIndex(CUTOFF, upstream=upstream, lifetime=0.2).start()
    try:
        deadline = time.monotonic() + 5
        while index.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not index.running
    finally:
        index.stop()


def test_stop_is_idempotent(upstream: str) -> None:
    index = TimeTravelIndex(CUTOFF, upstream=upstream)
    index.stop()
    index.stop()
    assert not index.running


def test_the_page_marks_yanked_files_and_escapes_names() -> None:
    files = [
        IndexFile("a<b>.tar.gz", "https://files.example/a.tar.gz", {"md5": "00"}, yanked="bad"),
        IndexFile("c.tar.gz", "https://files.example/c.tar.gz#old", {}, requires_python="<3"),
    ]

    page = render_simple_page("a&b", files)

    assert "<title>Links for a&amp;b</title>" in page
    assert (
        '<a href="https://files.example/a.tar.gz#md5=00" data-yanked="bad">a&lt;b&gt;.tar.gz'
        in page
    )
    assert '<a href="https://files.example/c.tar.gz" data-requires-python="&lt;3">c.tar.gz' in page


def test_files_before_is_strict() -> None:
    at_cutoff = IndexFile("x", "u", {}, uploaded=CUTOFF)

    assert files_before([at_cutoff], CUTOFF) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2012-06-01", CUTOFF),
        ("2012-06-01T12:30:00Z", datetime(2012, 6, 1, 12, 30, tzinfo=UTC)),
        ("2012-06-01T12:30:00", datetime(2012, 6, 1, 12, 30, tzinfo=UTC)),
    ],
)
def test_parse_cutoff(text: str, expected: datetime) -> None:
    assert parse_cutoff(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("June 2012", 'invalid pip date "June 2012": use a date like 2012-06-01'),
        ("2012-06-01\n", "invalid pip date"),
        ("2999-01-01", 'invalid pip date "2999-01-01": it is in the future'),
    ],
)
def test_parse_cutoff_refuses(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        parse_cutoff(text)


def test_only_http_upstreams() -> None:
    with pytest.raises(UsageError, match="use an http"):
        TimeTravelIndex(CUTOFF, upstream="file:///etc/")


def _wheel(name: str, version: str) -> bytes:
    """A minimal valid wheel: enough for `pip download --no-deps` to accept it."""
    dist_info = f"{name}-{version}.dist-info"
    files = {
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py2.py3-none-any\n",
        f"{dist_info}/RECORD": "",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return buffer.getvalue()


def test_a_real_pip_takes_the_newest_release_before_the_cutoff(
    upstream: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheels = {v: _wheel("oldlib", v) for v in ("0.8.3", "1.0.1")}
    files = {f"oldlib-{v}-py2.py3-none-any.whl": w for v, w in wheels.items()}
    monkeypatch.setattr(_FakeUpstream, "files", files)
    monkeypatch.setitem(
        PROJECTS,
        "oldlib",
        [
            _file(name, uploaded, hashes={"sha256": hashlib.sha256(data).hexdigest()})
            for (name, data), uploaded in zip(
                files.items(), ["2012-02-05T00:00:00Z", "2020-03-31T00:00:00Z"], strict=True
            )
        ],
    )
    with TimeTravelIndex(CUTOFF, upstream=upstream) as index:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "--isolated",
                "download",
                "--no-deps",
                "--no-cache-dir",
                "--index-url",
                index.url,
                "-d",
                str(tmp_path),
                "oldlib",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert result.returncode == 0, result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["oldlib-0.8.3-py2.py3-none-any.whl"]


def test_the_hint_suggests_the_option() -> None:
    hint = timetravel.pip_date_hint()

    assert "`up --pip-date 2012-06-01`" in hint


def test_the_version_a_file_holds() -> None:
    assert timetravel.file_version("CherryPy-3.2.0.tar.gz") == "3.2.0"
    assert timetravel.file_version("python-dateutil-1.5.tar.gz") == "1.5"
    assert timetravel.file_version("Flask-0.8-py2-none-any.whl") == "0.8"
    assert timetravel.file_version("redis-2.4.13-py2.7.egg") == "2.4.13"
    assert timetravel.file_version("README.txt") is None


def test_exact_pins_are_read_from_requirements() -> None:
    lines = [
        "CherryPy==3.2.0",
        "cherrys",
        "Django == 1.4.3  # the one we ran",
        "psycopg2==2.4.5 ; python_version < '3'",
        "Werkzeug>=0.8",
        "-r other.txt",
        "# redis==2.4",
    ]
    assert timetravel.exact_pins(lines) == {
        "cherrypy": "3.2.0",
        "django": "1.4.3",
        "psycopg2": "2.4.5",
    }


def test_a_pinned_version_uploaded_after_the_cutoff_stays_visible() -> None:
    cutoff = datetime(2012, 6, 1, tzinfo=UTC)
    late = datetime(2014, 5, 1, tzinfo=UTC)
    early = datetime(2011, 1, 1, tzinfo=UTC)
    files = [
        timetravel.IndexFile("CherryPy-2.2.0.tar.gz", "https://f/1", {}, uploaded=early),
        timetravel.IndexFile("CherryPy-3.2.0.tar.gz", "https://f/2", {}, uploaded=late),
        timetravel.IndexFile("CherryPy-3.2.2.tar.gz", "https://f/3", {}, uploaded=late),
    ]
    names = [f.filename for f in timetravel.visible_files(files, cutoff, "3.2.0").files]
    assert names == ["CherryPy-2.2.0.tar.gz", "CherryPy-3.2.0.tar.gz"]
    unpinned = timetravel.visible_files(files, cutoff, None)
    assert [f.filename for f in unpinned.files] == ["CherryPy-2.2.0.tar.gz"]
    assert unpinned.guess is None


def _redis_files() -> list[IndexFile]:
    """redis-py as PyPI lists it: 2.7 uploaded on its release day, the older releases all on the
    day they were moved onto PyPI, months later."""
    moved = datetime(2013, 6, 25, tzinfo=UTC)
    names = {"2.4.5": moved, "2.4.13": moved, "2.6.2": moved}
    names |= {
        "2.7.0": datetime(2012, 10, 8, tzinfo=UTC),
        "2.7.1": datetime(2012, 10, 8, 9, tzinfo=UTC),
    }
    names |= {"2.7.2": datetime(2012, 11, 7, tzinfo=UTC)}
    return [
        IndexFile(f"redis-{version}.tar.gz", f"https://f/{version}", {}, uploaded=moment)
        for version, moment in names.items()
    ]


def test_a_version_is_dated_no_later_than_the_first_upload_of_a_higher_one() -> None:
    dates = timetravel.release_dates(_redis_files())
    assert dates[timetravel.Version("2.4.13")] == datetime(2012, 10, 8, tzinfo=UTC)
    assert dates[timetravel.Version("2.7.2")] == datetime(2012, 11, 7, tzinfo=UTC)


def test_versions_dated_by_a_higher_release_are_shown_after_it() -> None:
    visible = timetravel.visible_files(_redis_files(), datetime(2012, 11, 1, tzinfo=UTC), None)
    versions = [timetravel.file_version(f.filename) for f in visible.files]
    assert versions == ["2.4.5", "2.4.13", "2.6.2", "2.7.0", "2.7.1"]
    assert visible.guess is None


def test_a_project_with_no_release_dated_before_the_cutoff_offers_those_below_its_first() -> None:
    visible = timetravel.visible_files(_redis_files(), CUTOFF, None)
    versions = [timetravel.file_version(f.filename) for f in visible.files]
    assert versions == ["2.4.5", "2.4.13", "2.6.2"]
    assert visible.guess is not None
    assert "2.7.0" in visible.guess
    assert "up to 2.6.2" in visible.guess


def test_with_nothing_below_the_first_upload_its_day_is_offered() -> None:
    files = [f for f in _redis_files() if f.filename.startswith("redis-2.7")]
    visible = timetravel.visible_files(files, CUTOFF, None)
    versions = [timetravel.file_version(f.filename) for f in visible.files]
    assert versions == ["2.7.0", "2.7.1"]
    assert visible.guess is not None
    assert "2012-10-08" in visible.guess


def test_a_project_with_no_files_is_no_guess() -> None:
    visible = timetravel.visible_files([], CUTOFF, None)
    assert visible == timetravel.Visible([], None)


def _via_proxy(proxy: str, url: str) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy}))
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_an_old_setup_py_download_from_pypis_retired_host_is_served_from_the_index(
    index: TimeTravelIndex,
) -> None:
    _FakeUpstream.files = {"setuptools-0.6c11.tar.gz": b"the 2009 tarball"}
    old_url = "http://pypi.python.org/packages/source/s/setuptools/setuptools-0.6c11.tar.gz"

    assert _via_proxy(index.proxy_url, old_url) == (HTTPStatus.OK, b"the 2009 tarball")
    # the index itself still answers through the proxy setting (pip's own requests)
    status, page = _via_proxy(index.proxy_url, index.url + "werkzeug/")
    assert status == HTTPStatus.OK
    assert b"Werkzeug-0.8.3.tar.gz" in page


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/packages/source/s/setuptools/setuptools-0.6c11.tar.gz",
        "http://pypi.python.org/simple/setuptools/",
        "http://pypi.python.org/packages/source/s/setuptools/../../../etc/passwd",
        "http://pypi.python.org/packages/source/s/setuptools/setuptools-9.9.tar.gz",
    ],
)
def test_the_proxy_passes_on_nothing_else(index: TimeTravelIndex, url: str) -> None:
    _FakeUpstream.files = {"setuptools-0.6c11.tar.gz": b"the 2009 tarball"}
    status, _ = _via_proxy(index.proxy_url, url)
    assert status in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND)


@pytest.mark.parametrize(
    ("filename", "version"),
    [
        ("CherryPy-3.2.0.tar.gz", "3.2.0"),
        ("celery-3.1.26-1.tar.gz", "3.1.26-1"),
        ("zope.interface-3.8.0.tar.gz", "3.8.0"),
        ("Werkzeug-1.0.1-py2.py3-none-any.whl", "1.0.1"),
        ("README", None),
    ],
)
def test_the_version_of_a_file_with_dashes_or_none(filename: str, version: str | None) -> None:
    assert timetravel.file_version(filename) == version


def test_a_post_release_uploaded_late_is_dated_by_its_own_upload() -> None:
    files = [
        IndexFile(
            "celery-3.0.15.tar.gz", "https://f/1", {}, uploaded=datetime(2013, 2, 1, tzinfo=UTC)
        ),
        IndexFile(
            "celery-3.1.26-1.tar.gz", "https://f/2", {}, uploaded=datetime(2018, 3, 1, tzinfo=UTC)
        ),
        IndexFile(
            "celery-4.0.0.tar.gz", "https://f/3", {}, uploaded=datetime(2016, 11, 4, tzinfo=UTC)
        ),
    ]
    visible = timetravel.visible_files(files, datetime(2013, 3, 21, tzinfo=UTC), None)
    assert [f.filename for f in visible.files] == ["celery-3.0.15.tar.gz"]

"""generate never writes or deletes outside its output, whatever the application tree holds.

A cloned tree can hold links (`.dotcloud/build -> ~`), an approot inside the output, a state
directory inside the application: each is refused (exit 2, one line naming the path) or kept out
of the build contexts, and a sentinel file outside the application keeps its checksum.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path, PurePosixPath

import pytest

from dotcloud_emulator.cli.main import main
from dotcloud_emulator.render.files import CodeSnapshot, File, write_files

from .refusals import refused

PYTHON_APP = "www:\n  type: python\n"


@pytest.fixture
def appdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / "wsgi.py").write_text("application = None\n")
    (app / "dotcloud.yml").write_text(PYTHON_APP)
    monkeypatch.chdir(app)
    return app


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the application holding a sentinel file."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "sentinel").write_text("keep me\n")
    return folder


def checksums(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def generated(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status = main(argv)
    _, err = capsys.readouterr()
    assert status == 0, err


LINKS = {
    "build root, absolute": (".dotcloud/build", True),
    "build root, relative": (".dotcloud/build", False),
    "gateway root": (".dotcloud/gateway", True),
    "the .dotcloud folder": (".dotcloud", True),
    "a service's code": (".dotcloud/build/www/code", True),
    "a service's platform folder": (".dotcloud/build/www/platform", False),
}


@pytest.mark.parametrize("case", LINKS)
def test_a_link_in_the_output_is_refused(
    case: str, appdir: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    relative, absolute = LINKS[case]
    link = appdir / relative
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside if absolute else Path(os.path.relpath(outside, link.parent)))
    before = checksums(outside)
    line = refused(["generate"], capsys)
    assert line == (
        f"error: {relative}: a symbolic link where generate writes its output; refusing to "
        "write through it (remove the link)"
    )
    assert checksums(outside) == before
    assert not (appdir / "docker-compose.yml").exists()


def test_a_link_in_the_output_is_refused_after_a_first_generate(
    appdir: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generated(["generate"], capsys)
    code = appdir / ".dotcloud/build/www/code"
    for path in sorted(code.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    code.rmdir()
    code.symlink_to(outside)
    before = checksums(outside)
    assert "error: .dotcloud/build/www/code: a symbolic link" in refused(["generate"], capsys)
    assert checksums(outside) == before


def test_the_pruner_removes_a_stale_link_without_following_it(
    appdir: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = appdir / ".dotcloud/build/old"
    stale.parent.mkdir(parents=True)
    stale.symlink_to(outside)
    before = checksums(outside)
    generated(["generate"], capsys)
    assert not stale.is_symlink()
    assert checksums(outside) == before


def test_a_link_to_a_file_is_replaced_not_followed(
    appdir: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generated(["generate"], capsys)
    compose = appdir / "docker-compose.yml"
    text = compose.read_text()
    compose.unlink()
    compose.symlink_to(outside / "sentinel")
    before = checksums(outside)
    generated(["generate"], capsys)
    assert checksums(outside) == before
    assert not compose.is_symlink()
    assert compose.read_text() == text


def test_a_snapshot_folder_reached_through_a_link_is_copied_as_a_folder(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "real").mkdir(parents=True)
    (app / "real" / "redis.conf").write_text("# mine\n")
    (app / "db").symlink_to(app / "real")  # absolute: a copied link would lead back here
    before = checksums(app / "real")
    snapshot = CodeSnapshot(app, PurePosixPath("code"), include=PurePosixPath("db"))
    write_files(tmp_path / "out", [snapshot])
    write_files(tmp_path / "out", [snapshot])
    copied = tmp_path / "out" / "code" / "db"
    assert copied.is_dir()
    assert not copied.is_symlink()
    assert (copied / "redis.conf").read_text() == "# mine\n"
    assert checksums(app / "real") == before


@pytest.mark.parametrize("approot", [".dotcloud/build", ".dotcloud/build/db", ".dotcloud/gateway"])
def test_an_approot_inside_the_output_is_refused(
    approot: str, appdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (appdir / approot).mkdir(parents=True)
    (appdir / "dotcloud.yml").write_text(f"db:\n  type: redis\n  approot: {approot}\n")
    line = refused(["generate"], capsys)
    root = approot.split("/")[0] + "/" + approot.split("/")[1]
    assert line == (
        f'error: service db: approot "{approot}" is inside generate\'s output '
        f"({appdir.resolve() / root}), which no build context may hold: choose another approot"
    )
    assert not (appdir / "docker-compose.yml").exists()
    assert [p.name for p in (appdir / ".dotcloud").rglob("*")] == approot.split("/")[1:]


def test_the_output_inside_a_data_approot_is_not_copied_into_itself(
    appdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (appdir / "db").mkdir()
    (appdir / "dotcloud.yml").write_text("db:\n  type: redis\n  approot: db\n")
    generated(["generate", "-o", "db"], capsys)
    generated(["generate", "-o", "db"], capsys)
    copy = appdir / "db/.dotcloud/build/db/code/db"
    assert sorted(p.name for p in copy.iterdir()) == [".dotcloud"]
    assert list((copy / ".dotcloud").iterdir()) == []


def test_a_state_directory_inside_the_application_stays_out_of_the_build_contexts(
    appdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (appdir / "dotcloud.yml").write_text(PYTHON_APP + "db:\n  type: redis\n")
    monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", str(appdir / ".state"))
    generated(["generate"], capsys)
    assert (appdir / ".state/apps/app/state.json").is_file()
    contexts = appdir / ".dotcloud/build"
    leaked = [p for p in contexts.rglob("*") if p.name in ("state.json", "dotcloud_profile")]
    assert leaked == []


def test_an_approot_inside_the_state_directory_is_refused(
    appdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (appdir / ".state").mkdir()
    monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", str(appdir / ".state"))
    (appdir / "dotcloud.yml").write_text("db:\n  type: redis\n  approot: .state\n")
    line = refused(["generate"], capsys)
    assert line.startswith('error: service db: approot ".state" is inside the state directory')
    assert list((appdir / ".state").iterdir()) == []


def test_a_state_directory_inside_the_output_is_refused(
    appdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = appdir / ".dotcloud/build/state"
    monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", str(home))
    line = refused(["generate"], capsys)
    assert line.startswith(f"error: {home}: the state directory is inside ")
    assert not home.exists()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_shared_state_home_keeps_its_mode(
    appdir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "shared"
    home.mkdir()
    home.chmod(0o1777)
    monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", str(home))
    generated(["generate"], capsys)
    assert mode(home) == 0o1777
    assert mode(home / "apps") == 0o700
    assert mode(home / "apps/app") == 0o700


def test_a_new_state_home_is_private(
    appdir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "new" / "home"
    monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", str(home))
    generated(["generate"], capsys)
    assert mode(home) == 0o700


def test_a_link_below_the_state_home_is_refused(
    appdir: Path,
    tmp_path: Path,
    outside: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "shared"
    home.mkdir()
    (home / "apps").symlink_to(outside)
    monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", str(home))
    before = checksums(outside)
    line = refused(["generate"], capsys)
    assert line == (
        f"error: {home / 'apps'}: is a symbolic link, where the state directory keeps secrets; "
        "move it away"
    )
    assert checksums(outside) == before
    assert mode(outside) != 0o700


# --- what every build context shares is stored once ------------------------------------------


def test_snapshots_of_the_same_tree_share_their_files(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "wsgi.py").write_text("application = None\n")
    snapshots = [CodeSnapshot(app, PurePosixPath(f"{name}/code")) for name in ("www", "api")]
    out = tmp_path / "out"
    write_files(out, snapshots)
    www, api = out / "www/code/wsgi.py", out / "api/code/wsgi.py"
    assert www.stat().st_ino == api.stat().st_ino
    (app / "wsgi.py").write_text("application = 'changed'\n")
    write_files(out, snapshots)
    assert www.read_text() == api.read_text() == "application = 'changed'\n"
    assert www.stat().st_ino == api.stat().st_ino


def test_a_large_rendered_file_is_stored_once(tmp_path: Path) -> None:
    bundle = "-----BEGIN CERTIFICATE-----\n" + "A" * 64 * 1024 + "\n"
    paths = [PurePosixPath(f"{name}/ca-bundle.crt") for name in ("www", "api")]
    write_files(tmp_path, [File(path, bundle) for path in paths])
    www, api = (tmp_path / path for path in paths)
    assert www.stat().st_ino == api.stat().st_ino
    write_files(tmp_path, [File(paths[0], bundle, 0o600), File(paths[1], bundle)])
    assert stat.S_IMODE(www.stat().st_mode) == 0o600
    assert stat.S_IMODE(api.stat().st_mode) == 0o644
    write_files(tmp_path, [File(paths[0], "new\n"), File(paths[1], bundle)])
    assert www.read_text() == "new\n"
    assert api.read_text() == bundle


def test_generate_stores_the_shared_code_once(
    appdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bundle = tmp_path / "ca.crt"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n" + "A" * 64 * 1024 + "\n")
    monkeypatch.setenv("DOTCLOUD_CA_BUNDLE", str(bundle))
    (appdir / "dotcloud.yml").write_text(PYTHON_APP + "api:\n  type: python\n")
    generated(["generate"], capsys)
    build = appdir / ".dotcloud/build"
    for name in ("code/wsgi.py", "ca-bundle.crt"):
        assert (build / "www" / name).stat().st_ino == (build / "api" / name).stat().st_ino

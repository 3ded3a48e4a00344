"""The one writer: change-only writes, stale-file removal, the code snapshot; and YAML output."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest
import yaml

from dotcloud_emulator.render.files import CodeSnapshot, File, write_files
from dotcloud_emulator.yamlout import dump_yaml

BUILD = PurePosixPath(".dotcloud/build")


def file(path: str, content: str, mode: int = 0o644) -> File:
    return File(PurePosixPath(path), content, mode)


def test_files_are_written_with_their_mode(tmp_path: Path) -> None:
    write_files(tmp_path, [file("a/b.txt", "hello\n"), file("run", "#!/bin/sh\n", 0o755)])
    assert (tmp_path / "a/b.txt").read_text() == "hello\n"
    assert (tmp_path / "run").stat().st_mode & 0o777 == 0o755


def test_an_unchanged_file_keeps_its_mtime(tmp_path: Path) -> None:
    write_files(tmp_path, [file("x", "same")])
    os.utime(tmp_path / "x", ns=(1_000_000_000, 1_000_000_000))
    write_files(tmp_path, [file("x", "same")])
    assert (tmp_path / "x").stat().st_mtime_ns == 1_000_000_000
    write_files(tmp_path, [file("x", "changed")])
    assert (tmp_path / "x").read_text() == "changed"
    assert (tmp_path / "x").stat().st_mtime_ns != 1_000_000_000


def test_stale_files_under_pruned_folders_go_away(tmp_path: Path) -> None:
    keep = file(".dotcloud/build/www/Dockerfile", "FROM x\n")
    write_files(tmp_path, [keep, file(".dotcloud/build/old/Dockerfile", "FROM y\n")], prune=[BUILD])
    (tmp_path / "outside.txt").write_text("mine")
    write_files(tmp_path, [keep], prune=[BUILD])
    assert (tmp_path / ".dotcloud/build/www/Dockerfile").is_file()
    assert not (tmp_path / ".dotcloud/build/old").exists()
    assert (tmp_path / "outside.txt").read_text() == "mine"


def test_paths_must_stay_inside_the_output(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="inside the output"):
        write_files(tmp_path, [file("../escape", "x")])


def make_app(root: Path) -> None:
    for relative, content in {
        "wsgi.py": "application = None\n",
        "pkg/mod.py": "x = 1\n",
        "pkg/mod.pyc": "compiled",
        "pkg/__pycache__/mod.cpython-311.pyc": "compiled",
        ".git/HEAD": "ref\n",
        ".dotcloud/build/www/Dockerfile": "old build\n",
        ".dotcloud/config": "{}\n",
        "docker-compose.yml": "generated\n",
        "sub/docker-compose.yml": "the user's own\n",
        "secret.key": "private\n",
        "logs/today.log": "log\n",
        ".dotcloudignore": "# not uploaded\n*.key\nlogs/\n",
    }.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    (root / "postinstall").write_text("#!/bin/sh\n")
    (root / "postinstall").chmod(0o755)
    (root / "link").symlink_to("wsgi.py")


def snapshot_files(dest: Path) -> set[str]:
    return {
        path.relative_to(dest).as_posix()
        for path in dest.rglob("*")
        if path.is_file() or path.is_symlink()
    }


def test_the_snapshot_copies_what_a_push_uploaded(tmp_path: Path) -> None:
    app, out = tmp_path / "app", tmp_path / "out"
    make_app(app)
    write_files(out, [CodeSnapshot(app, PurePosixPath(".dotcloud/build/www/code"))])
    dest = out / ".dotcloud/build/www/code"
    assert snapshot_files(dest) == {
        "wsgi.py",
        "pkg/mod.py",
        ".dotcloud/config",
        ".dotcloudignore",
        "sub/docker-compose.yml",
        "postinstall",
        "link",
    }
    assert (dest / "postinstall").stat().st_mode & 0o777 == 0o755
    assert os.readlink(dest / "link") == "wsgi.py"


def test_the_snapshot_follows_changes_and_deletions(tmp_path: Path) -> None:
    app, out = tmp_path / "app", tmp_path / "out"
    make_app(app)
    snapshot = CodeSnapshot(app, PurePosixPath("code"))
    write_files(out, [snapshot])
    (app / "wsgi.py").write_text("application = 'new'\n")
    (app / "pkg/mod.py").unlink()
    write_files(out, [snapshot])
    assert (out / "code/wsgi.py").read_text() == "application = 'new'\n"
    assert not (out / "code/pkg/mod.py").exists()


def test_the_snapshot_can_hold_one_subtree(tmp_path: Path) -> None:
    app, out = tmp_path / "app", tmp_path / "out"
    make_app(app)
    write_files(out, [CodeSnapshot(app, PurePosixPath("code"), include=PurePosixPath("pkg"))])
    assert snapshot_files(out / "code") == {"pkg/mod.py"}


def test_extra_excludes_apply(tmp_path: Path) -> None:
    app, out = tmp_path / "app", tmp_path / "out"
    make_app(app)
    write_files(out, [CodeSnapshot(app, PurePosixPath("code"), exclude=("/pkg",))])
    assert "pkg/mod.py" not in snapshot_files(out / "code")
    assert "wsgi.py" in snapshot_files(out / "code")


@pytest.mark.parametrize(
    "text",
    ["0", "8080", "1e3", "0o17", "0x1F", "1_000", "on", "no", "Yes", "null", "~", "", "1:30"],
)
def test_strings_that_look_like_other_scalars_stay_strings(text: str) -> None:
    dumped = dump_yaml({"value": text})
    assert yaml.safe_load(dumped) == {"value": text}
    assert dumped != f"value: {text}\n"


def test_yaml_is_block_style_in_insertion_order_without_anchors() -> None:
    shared = ["CMD", "check"]
    dumped = dump_yaml({"z": {"test": shared}, "a": {"test": shared, "text": "one\ntwo\n"}})
    assert dumped == (
        "z:\n  test:\n    - CMD\n    - check\n"
        "a:\n  test:\n    - CMD\n    - check\n  text: |\n    one\n    two\n"
    )

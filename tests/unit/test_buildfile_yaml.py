"""YAML-level problems: empty files, syntax, tags, duplicates, alias bombs, encodings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dotcloud_emulator.buildfile.diagnostics import BuildFileError
from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.errors import EXIT_USAGE, UsageError

FIXTURES = Path(__file__).parent / "fixtures" / "buildfiles"
EMPTY = 'dotcloud.yml:1:1: error: "dotcloud.yml" is empty: it must map service names to services'
TAG_RULE = "dotcloud.yml holds plain data only (strings, numbers, booleans, lists and mappings)"


@pytest.fixture
def appdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", str(tmp_path / "home"))
    app = tmp_path / "app"
    (app / "www").mkdir(parents=True)
    monkeypatch.chdir(app)
    return app


def problems_in(content: bytes | str) -> list[str]:
    data = content.encode() if isinstance(content, str) else content
    Path("dotcloud.yml").write_bytes(data)
    with pytest.raises(BuildFileError) as caught:
        load_application(Path("."), "app")
    assert caught.value.exit_code == EXIT_USAGE
    return [found.format() for found in caught.value.diagnostics]


def problems(fixture: str) -> list[str]:
    return problems_in((FIXTURES / f"{fixture}.yml").read_bytes())


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "empty",
            [EMPTY],
        ),
        (
            "comments_only",
            [EMPTY],
        ),
        (
            "not_mapping",
            [
                'dotcloud.yml:1:1: error: "dotcloud.yml" must map service names to services, '
                "found a list"
            ],
        ),
        (
            "empty_mapping",
            ['dotcloud.yml:1:1: error: service(s) dict cannot be empty in "dotcloud.yml"'],
        ),
        (
            "tabs",
            [
                "dotcloud.yml:2:1: error: invalid YAML: found a tab character; indent with spaces, "
                "not tabs"
            ],
        ),
        (
            "syntax_error",
            [
                "dotcloud.yml:3:1: error: invalid YAML: while parsing a flow sequence at line 2, "
                "column 9: expected ',' or ']', but got '<stream end>'"
            ],
        ),
        (
            "duplicate_keys",
            [
                'dotcloud.yml:5:5: error: duplicate key "A" (first defined at line 4)',
                'dotcloud.yml:6:1: error: duplicate key "www" (first defined at line 1)',
            ],
        ),
        (
            "python_tag",
            [
                'dotcloud.yml:4:12: error: tag "!!python/object/apply:os.system" is not allowed: '
                + TAG_RULE,
                'dotcloud.yml:5:12: error: tag "!!python/name:os.getcwd" is not allowed: '
                + TAG_RULE,
            ],
        ),
        (
            "custom_tag",
            [
                f'dotcloud.yml:2:9: error: tag "!vault" is not allowed: {TAG_RULE}',
                f'dotcloud.yml:3:17: error: tag "!!set" is not allowed: {TAG_RULE}',
            ],
        ),
        (
            "non_utf8",
            ["dotcloud.yml:3:15: error: not UTF-8 text: byte 0xe9 cannot be decoded"],
        ),
        (
            "recursive_alias",
            [
                "dotcloud.yml:2:3: error: refusing this document: it is nested more than 64 levels "
                "deep (recursive alias?)"
            ],
        ),
    ],
)
def test_yaml_problem_messages(appdir: Path, fixture: str, expected: list[str]) -> None:
    assert problems(fixture) == expected


def test_python_tags_construct_nothing(appdir: Path) -> None:
    problems("python_tag")
    assert not (appdir / "pwned").exists()


@pytest.mark.timeout(10)
def test_billion_laughs_is_refused(appdir: Path) -> None:
    assert problems("billion_laughs") == [
        "dotcloud.yml:1:7: error: refusing this document: it expands to more than 50000 values "
        "(alias bomb?)"
    ]


@pytest.mark.timeout(10)
def test_merge_key_bomb_is_refused(appdir: Path) -> None:
    text = "m0: &m0 {a: 1}\n" + "".join(
        f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 9)}]}}\n" for i in range(1, 12)
    )
    [message] = problems_in(text)
    assert message.endswith(
        "error: refusing this document: it expands to more than 50000 values (alias bomb?)"
    )


@pytest.mark.timeout(10)
def test_many_collection_aliases_are_refused(appdir: Path) -> None:
    text = "a: &a [1]\nb: [" + ", ".join(["*a"] * 1001) + "]\n"
    [message] = problems_in(text)
    assert message.endswith(
        "error: refusing this document: it has more than 1000 aliases of lists or mappings"
    )


def test_deep_nesting_is_refused(appdir: Path) -> None:
    assert problems_in("www: " + "[" * 5000 + "]" * 5000 + "\n") == [
        "dotcloud.yml:1:69: error: refusing this document: it is nested more than 64 levels deep"
    ]


def test_control_character(appdir: Path) -> None:
    assert problems_in("www:\n  type: py\x07thon\n") == [
        "dotcloud.yml:2:11: error: invalid YAML: character U+0007 is not allowed "
        "(control characters are not text)"
    ]


def test_two_documents(appdir: Path) -> None:
    assert problems_in("a: {type: static}\n---\nb: {type: static}\n") == [
        "dotcloud.yml:2:1: error: invalid YAML: expected a single document in the stream at "
        "line 1, column 1: but found another document"
    ]


def test_unreadable_scalars(appdir: Path) -> None:
    text = f"www:\n  type: static\n  instances: {'9' * 5000}\n  process: 2001-13-45\n"
    assert problems_in(text) == [
        "dotcloud.yml:3:14: error: this number is too long to read",
        "dotcloud.yml:4:12: error: this looks like a date but is not a valid one",
    ]


def test_complex_mapping_key(appdir: Path) -> None:
    assert problems_in("? [a, b]\n: {type: static}\n") == [
        "dotcloud.yml:1:3: error: a mapping key must be a plain value, not a list or mapping"
    ]


def test_merge_keys_are_expanded(appdir: Path) -> None:
    shutil.copy(FIXTURES / "merge.yml", "dotcloud.yml")
    worker = load_application(Path("."), "app").application.service("worker")
    assert (worker.type, worker.instances) == ("python-worker", 2)
    assert dict(worker.environment) == {"LOG_LEVEL": "info", "REGION": "us"}


def test_path_is_shown_as_given(appdir: Path) -> None:
    nested = appdir / "examples" / "x"
    nested.mkdir(parents=True)
    (nested / "dotcloud.yml").write_text("{}\n")
    with pytest.raises(BuildFileError) as caught:
        load_application(Path("examples/x"), "x")
    assert [found.format() for found in caught.value.diagnostics] == [
        'examples/x/dotcloud.yml:1:1: error: service(s) dict cannot be empty in "dotcloud.yml"'
    ]
    assert str(caught.value).splitlines()[0] == "examples/x/dotcloud.yml: 1 error in the build file"


def test_missing_buildfile(appdir: Path) -> None:
    (appdir / "empty").mkdir()
    with pytest.raises(UsageError, match=r"^no dotcloud\.yml \(or Procfile\) in empty$"):
        load_application(Path("empty"), "app")

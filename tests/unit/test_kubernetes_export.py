"""The Kubernetes export of the sample (`tutorial`) and of examples/jobs: golden files, and the
official schemas (`kubernetes-validate --strict`) of two Kubernetes versions.

Set UPDATE_GOLDEN=1 to rewrite tests/fixtures/k8s/ after an intended change (then read the diff).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from kubernetes_validate.utils import latest_version

from tests.unit.kubernetes_support import (
    EXAMPLES,
    GOLDEN,
    VALIDATE,
    assorted,
    example,
    manifests,
    render,
    validate_strictly,
    write,
)


def schema_versions() -> list[str]:
    """The newest version kubernetes-validate bundles, and the one two minors older."""
    major, minor = (int(part) for part in latest_version().split(".")[:2])
    return [f"{major}.{minor}.0", f"{major}.{minor - 2}.0"]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_export_matches_its_golden_files(name: str) -> None:
    files = manifests(render(example(name)))
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        shutil.rmtree(golden, ignore_errors=True)
        write(files, golden)
    expected = sorted(
        path.relative_to(golden).as_posix() for path in golden.rglob("*") if path.is_file()
    )
    assert sorted(file.path.as_posix() for file in files) == expected
    for file in files:
        assert file.content == (golden / file.path).read_text(encoding="utf-8"), file.path


@pytest.mark.parametrize("version", schema_versions())
@pytest.mark.parametrize("name", [*sorted(EXAMPLES), "assorted"])
def test_the_manifests_validate_strictly(name: str, version: str, tmp_path: Path) -> None:
    files = manifests(assorted() if name == "assorted" else render(example(name)))
    result = validate_strictly(files, tmp_path, "--kubernetes-version", version)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_schema_error_is_caught(tmp_path: Path) -> None:
    """The validation above can fail: an unknown field is refused in strict mode."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {clusterIp: None}\n",
        encoding="utf-8",
    )
    result = subprocess.run([*VALIDATE, str(bad)], capture_output=True, text=True, check=False)
    assert result.returncode != 0


KUBECTL = shutil.which("kubectl")


# kubectl is no dependency of the project (no registry package ships it): this check runs where
# it is installed and is reported as skipped elsewhere, CI included.
@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_kustomize_builds_the_base_with_its_secrets(name: str, tmp_path: Path) -> None:
    assert KUBECTL is not None
    write(render(example(name)), tmp_path / "base")
    built = subprocess.run(
        [KUBECTL, "kustomize", str(tmp_path / "base")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    assert "kind: Secret" in built.stdout
    output = tmp_path / "built.yaml"
    output.write_text(built.stdout, encoding="utf-8")
    validated = subprocess.run(
        [*VALIDATE, "--kubernetes-version", schema_versions()[0], str(output)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr

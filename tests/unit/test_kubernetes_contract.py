"""The Kubernetes export keeps the platform's contract: each instance's environment, the names a
user wrote, the images, the domains; and its passwords never reach a file meant to be committed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.cli.main import main
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform.state import StateStore
from dotcloud_emulator.render.files import File
from dotcloud_emulator.render.kubernetes.workloads import ENVIRONMENT_FILES
from tests.unit.kubernetes_support import (
    DOMAIN,
    EXAMPLES,
    example,
    example_state,
    fake_password,
    kustomization,
    of_kind,
    render,
    secrets,
)


def environment(files: list[File], pod: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(secrets(files)[f"secrets/{pod}/environment.json"])
    return loaded


def test_each_replica_gets_its_own_instance_environment() -> None:
    application = example("tutorial")
    files = render(application, example_state(application, scale={"www": 2}))
    first, second = environment(files, "www-0"), environment(files, "www-1")
    assert (first["DOTCLOUD_SERVICE_ID"], second["DOTCLOUD_SERVICE_ID"]) == ("0", "1")
    assert first["DOTCLOUD_SERVICE_NAME"] == "www"
    assert first["DOTCLOUD_WWW_HTTP_HOST_1"] == f"www.tutorial.{DOMAIN}"
    assert first["DOTCLOUD_WWW_HTTP_URL"] == f"http://www.tutorial.{DOMAIN}/"
    assert first["DOTCLOUD_SESSION_REDIS_HOST"] == "session"
    password = fake_password("session")
    assert first["DOTCLOUD_SESSION_REDIS_URL"] == f"redis://root:{password}@session:6379"
    assert environment(files, "session-0")["DOTCLOUD_SERVICE_ID"] == "0"
    (www,) = [s for s in of_kind(files, "StatefulSet") if s["metadata"]["name"] == "www"]
    assert www["spec"]["replicas"] == 2


def test_the_profile_and_yaml_twins_are_in_every_instance() -> None:
    names = set(secrets(render(example("tutorial"))))
    for pod in ("www-0", "session-0"):
        for file in ("environment.json", "environment.yml", "environment.yaml", "dotcloud_profile"):
            assert f"secrets/{pod}/{file}" in names


def underscored(tmp_path: Path, body: str) -> Application:
    (tmp_path / "dotcloud.yml").write_text(body, encoding="utf-8")
    return load_application(tmp_path, "my_app").application


UNDERSCORES = """\
front_end:
  type: python
  ports:
    admin_port: tcp
my_db:
  type: redis
"""


def test_underscores_become_hyphens_and_the_platform_names_stay(tmp_path: Path) -> None:
    application = underscored(tmp_path, UNDERSCORES)
    files = render(application, example_state(application))
    names = {obj["metadata"]["name"] for obj in of_kind(files, "StatefulSet")}
    assert names == {"front-end", "my-db"}
    env = environment(files, "front-end-0")
    assert env["DOTCLOUD_SERVICE_NAME"] == "front_end"
    assert env["DOTCLOUD_MY_DB_REDIS_HOST"] == "my-db"
    assert env["DOTCLOUD_FRONT_END_HTTP_HOST"] == f"front-end.my-app.{DOMAIN}"
    # A custom tcp port is per instance: the pod's own name under its headless Service.
    assert env["DOTCLOUD_FRONT_END_ADMIN_PORT_HOST"] == "front-end-0.front-end"
    (ingress,) = of_kind(files, "Ingress")
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == [f"front-end.my-app.{DOMAIN}"]
    assert kustomization(files)["namespace"] == "dotcloud-my-app"


def test_two_services_one_kubernetes_name_are_refused(tmp_path: Path) -> None:
    application = underscored(tmp_path, "db:\n  type: redis\n_db:\n  type: redis\n")
    with pytest.raises(UsageError) as refused:
        render(application, example_state(application))
    assert refused.value.message == (
        'services "db" and "_db" would both be named db in Kubernetes; rename one in dotcloud.yml'
    )


def test_images_come_from_the_registry_when_one_is_given() -> None:
    files = render(example("tutorial"), registry="registry.example.com:5000/team")
    images = {
        container["image"]
        for sts in of_kind(files, "StatefulSet")
        for container in sts["spec"]["template"]["spec"]["containers"]
    }
    assert images == {
        "registry.example.com:5000/team/dotcloud-tutorial/www:latest",
        "registry.example.com:5000/team/dotcloud-tutorial/session:latest",
    }
    local = render(example("tutorial"))
    assert "image: dotcloud-tutorial/www:latest" in "".join(f.content for f in local)


def test_custom_domains_are_ingress_rules() -> None:
    application = example("tutorial")
    files = render(application, example_state(application, domains={"www": ["shop.example.org"]}))
    (ingress,) = of_kind(files, "Ingress")
    hosts = [rule["host"] for rule in ingress["spec"]["rules"]]
    assert hosts == [f"www.tutorial.{DOMAIN}", "shop.example.org"]


def test_code_services_wait_for_every_data_service() -> None:
    files = render(example("jobs"))
    for sts in of_kind(files, "StatefulSet"):
        pod = sts["spec"]["template"]["spec"]
        if sts["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == "data":
            assert "initContainers" not in pod
            continue
        (wait,) = pod["initContainers"]
        assert wait["command"][4:] == ["queue", "6379", "db", "5432", "mdb", "3306"]


def test_probes_run_the_platform_check() -> None:
    for sts in of_kind(render(example("tutorial")), "StatefulSet"):
        (container,) = sts["spec"]["template"]["spec"]["containers"]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["exec"]["command"] == ["/usr/local/bin/dotcloud-health"]


# --- the command, on disk -------------------------------------------------------------------------


def export(app: str, outdir: Path, *extra: str) -> int:
    return main(["export", "kubernetes", str(EXAMPLES[app]), "-A", app, "-o", str(outdir), *extra])


@pytest.mark.parametrize("app", sorted(EXAMPLES))
def test_no_password_is_written_outside_the_ignored_secrets(
    app: str, tmp_path: Path, private_state_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outdir = tmp_path / "deploy"
    assert export(app, outdir) == 0
    passwords = StateStore(private_state_home).load(app).passwords
    assert passwords
    holding = {
        path.relative_to(outdir).parts[0]
        for path in outdir.rglob("*")
        if path.is_file() and any(p in path.read_text(encoding="utf-8") for p in passwords.values())
    }
    assert holding == {"secrets"}
    assert (outdir / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "/secrets/"
    assert (outdir / "secrets").stat().st_mode & 0o777 == 0o700
    assert all(
        path.stat().st_mode & 0o077 == 0
        for path in (outdir / "secrets").rglob("*")
        if path.is_file()
    )
    assert "kubectl apply -k" in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_commits_the_manifests_and_not_the_secrets(tmp_path: Path) -> None:
    outdir = tmp_path / "deploy"
    assert export("tutorial", outdir) == 0
    subprocess.run(["git", "init", "-q", str(outdir)], check=True)
    subprocess.run(["git", "-C", str(outdir), "add", "-A"], check=True)
    staged = subprocess.run(
        ["git", "-C", str(outdir), "diff", "--cached", "--name-only"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "kustomization.yaml" in staged
    assert not [name for name in staged if name.startswith("secrets/")]


def test_json_lists_what_was_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert export("tutorial", tmp_path / "deploy", "--json") == 0
    written = json.loads(capsys.readouterr().out)
    assert "kustomization.yaml" in written["manifests"]
    assert "secrets/www-0/environment.json" in written["secrets"]


def test_an_export_inside_the_application_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "dotcloud.yml").write_text("www:\n  type: python\n", encoding="utf-8")
    assert main(["export", "kubernetes", str(app), "-o", str(app / "k8s")]) == 2
    assert capsys.readouterr().err == (
        f"error: {app / 'k8s'}: inside the application directory, whose code goes into the "
        "images, and .dotcloudignore does not leave out /k8s/secrets/ (the passwords): add that "
        f"line to {app / '.dotcloudignore'}, or export to a folder outside the application\n"
    )
    assert not (app / "k8s").exists()


def test_an_export_inside_the_application_stays_out_of_its_images(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "dotcloud.yml").write_text("www:\n  type: python\n", encoding="utf-8")
    (app / ".dotcloudignore").write_text("/deploy/k8s/secrets/\n", encoding="utf-8")
    assert main(["export", "kubernetes", str(app), "-o", str(app / "deploy" / "k8s")]) == 0
    assert (app / "deploy" / "k8s" / "secrets" / "www-0" / "environment.json").is_file()
    assert main(["generate", str(app)]) == 0
    code = app / ".dotcloud" / "build" / "www" / "code"
    assert (code / "deploy" / "k8s" / "kustomization.yaml").is_file()
    assert not (code / "deploy" / "k8s" / "secrets").exists()


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--registry", "Registry.example.com"], 'invalid registry "Registry.example.com"'),
        (["--domain", "example..com"], 'invalid domain "example..com"'),
    ],
)
def test_bad_options_are_refused(
    option: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert export("tutorial", tmp_path / "deploy", *option) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "deploy").exists()


def test_registry_image_prefixes_the_local_name() -> None:
    from dotcloud_emulator.platform import naming

    assert naming.registry_image("127.0.0.1:5000/", "tutorial", "www") == (
        "127.0.0.1:5000/dotcloud-tutorial/www:latest"
    )


def test_a_new_export_leaves_nothing_of_an_older_one(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    buildfile = app / "dotcloud.yml"
    buildfile.write_text("www:\n  type: python\n  instances: 2\ndb:\n  type: redis\n", "utf-8")
    outdir = tmp_path / "deploy"
    assert main(["export", "kubernetes", str(app), "-o", str(outdir)]) == 0
    assert (outdir / "ingress.yaml").is_file()
    assert (outdir / "secrets" / "www-1" / "environment.json").is_file()
    buildfile.write_text("worker:\n  type: python-worker\n  process: python w.py\n", "utf-8")
    assert main(["export", "kubernetes", str(app), "-o", str(outdir)]) == 0
    left = sorted(p.relative_to(outdir).as_posix() for p in outdir.rglob("*") if p.is_file())
    assert left == [
        ".gitignore",
        "kustomization.yaml",
        *(f"secrets/worker-0/{name}" for name in sorted(ENVIRONMENT_FILES)),
        "services/worker.yaml",
    ]


def test_a_deployed_application_is_exported_by_its_name(
    tmp_path: Path, private_state_home: Path
) -> None:
    app = tmp_path / "somewhere"
    app.mkdir()
    (app / "dotcloud.yml").write_text("www:\n  type: python\n", encoding="utf-8")
    store = StateStore(private_state_home)
    state = store.load("shop")
    state.appdir = str(app)  # as `up` records it
    store.save(state)
    assert main(["export", "kubernetes", "shop", "-o", str(tmp_path / "deploy")]) == 0
    kustomization = (tmp_path / "deploy" / "kustomization.yaml").read_text(encoding="utf-8")
    assert "namespace: dotcloud-shop" in kustomization


def test_a_scaled_redis_is_a_statefulset_of_a_master_and_replicas_reached_at_its_master() -> None:
    application = example("tutorial")
    files = render(application, example_state(application, scale={"session": 2}))
    (session,) = [s for s in of_kind(files, "StatefulSet") if s["metadata"]["name"] == "session"]
    assert session["spec"]["replicas"] == 2
    assert len(session["spec"]["volumeClaimTemplates"]) == 1  # a volume of its own per pod
    master, replica = environment(files, "session-0"), environment(files, "session-1")
    assert (master["DOTCLOUD_SERVICE_ID"], replica["DOTCLOUD_SERVICE_ID"]) == ("0", "1")
    # The headless Service answers with any ready pod: the master is named by its own pod.
    for env in (master, replica, environment(files, "www-0")):
        assert env["DOTCLOUD_SESSION_REDIS_HOST"] == "session-0.session"
        assert env["DOTCLOUD_SESSION_REDIS_HOST_1"] == "session-1.session"
    assert "session-1/environment.json" in json.dumps(kustomization(files))


def test_an_unscaled_redis_stays_one_pod_reached_at_its_service_name() -> None:
    application = example("tutorial")
    files = render(application, example_state(application, scale={"www": 3}))
    (session,) = [s for s in of_kind(files, "StatefulSet") if s["metadata"]["name"] == "session"]
    assert session["spec"]["replicas"] == 1
    assert environment(files, "www-2")["DOTCLOUD_SESSION_REDIS_HOST"] == "session"

"""Stack fragments: the build tooling layer, Python 2.7's uWSGI and ~/env, the CA bundle."""

from __future__ import annotations

import json

import jinja2
import pytest

from dotcloud_emulator.render.templating import environment, render_template

STORE = "/etc/ssl/certs/ca-certificates.crt"
CA_VARIABLES = [
    "CURL_CA_BUNDLE",
    "GIT_SSL_CAINFO",
    "PIP_CERT",
    "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE",
]


def render_macro(template: str, macro: str, *args: object) -> str:
    module = environment().get_template(template).make_module()
    return str(getattr(module, macro)(*args))


def installed_packages(tooling: str) -> list[str]:
    install = next(line for line in tooling.splitlines() if "apt-get install" in line)
    return install.split("--force-unsafe-io ")[1].rstrip(" \\").split()


@pytest.mark.parametrize("distribution", ["bookworm", "bullseye"])
def test_tooling_has_the_platforms_build_tools(distribution: str) -> None:
    packages = installed_packages(render_template("stacks/tooling.j2", distribution=distribution))
    for package in (
        "build-essential",
        "libpq-dev",
        "postgresql-client",
        "default-libmysqlclient-dev",
        "default-mysql-client",
        "libxml2-dev",
        "libxslt1-dev",
        "libjpeg-dev",
        "zlib1g-dev",
        "libffi-dev",
        "libssl-dev",
        "git",
        "mercurial",
        "curl",
        "wget",
        "virtualenv",
    ):
        assert package in packages
    assert packages == sorted(packages)


def test_tooling_is_one_layer_whatever_the_service() -> None:
    # Only the distribution is a variable: every service of a stack renders the same text.
    bullseye = render_template("stacks/tooling.j2", distribution="bullseye")
    assert bullseye == render_template(
        "stacks/tooling.j2", distribution="bullseye", service="other", app="x"
    )
    assert [line.split()[0] for line in bullseye.splitlines() if not line.startswith(" ")] == [
        "COPY",
        "RUN",
        "ENV",
    ]


def test_tooling_needs_its_distribution() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render_template("stacks/tooling.j2")


def test_bullseye_tooling_has_python_27_a_working_pip_and_the_shims() -> None:
    tooling = render_template("stacks/tooling.j2", distribution="bullseye")
    packages = installed_packages(tooling)
    assert {"python2.7", "python2.7-dev", "libpython2.7-dev", "python-is-python2"} <= set(packages)
    assert tooling.endswith("\nENV VIRTUALENV_PYTHON=python2.7\n")
    assert "python-pip-whl=20.3.4-4+deb11u1" in packages
    assert "python3-pip=20.3.4-4+deb11u1" in packages
    assert "apt-mark hold python-pip-whl python3-pip" in tooling
    assert "COPY platform/shims/ /usr/local/lib/dotcloud/shims/\n" in tooling
    assert "ln -s /usr/local/lib/dotcloud/shims/pg_config /usr/local/bin/pg_config" in tooling
    assert 'for compiler in cc gcc "$(gcc -dumpmachine)-gcc"' in tooling


def test_bookworm_tooling_has_python_3_headers_and_no_shims() -> None:
    tooling = render_template("stacks/tooling.j2", distribution="bookworm")
    assert {"python3", "python3-dev", "python3-venv"} <= set(installed_packages(tooling))
    assert "shims" not in tooling
    assert "python2.7" not in tooling


def test_trust_stage_appends_the_bundle_to_the_system_store() -> None:
    assert render_macro("stacks/build-ca.j2", "trust_stage", "tooling") == (
        "FROM tooling AS trust\n"
        "COPY ca-bundle.crt /tmp/ca.crt\n"
        f"RUN {{ echo; cat /tmp/ca.crt; }} >> {STORE}"
    )


def test_trust_in_stage_points_every_tool_at_the_store() -> None:
    text = render_macro("stacks/build-ca.j2", "trust_in_stage")
    copy, env = text.split("\n")
    assert copy == f"COPY --from=trust {STORE} {STORE}"
    assert env == "ENV " + " ".join(f"{name}={STORE}" for name in CA_VARIABLES)


def test_run_trusting_mounts_the_store_for_one_command() -> None:
    argv = ["/bin/sh", "-lc", """echo "$HOME" 'quoted'"""]
    line = render_macro("stacks/build-ca.j2", "run_trusting", argv)
    mount = f"RUN --mount=type=bind,from=trust,source={STORE},target={STORE} "
    assert line.startswith(mount)
    assert json.loads(line.removeprefix(mount)) == [
        "/usr/bin/env",
        *(f"{name}={STORE}" for name in CA_VARIABLES),
        *argv,
    ]


def test_uwsgi_for_python_27_is_built_once_in_a_stage_of_its_own() -> None:
    stage = render_macro("stacks/python27/uwsgi.j2", "build_stage", "tooling", "2.0.31")
    assert stage.splitlines()[0] == "FROM tooling AS uwsgi"
    assert "COPY --from=trust" in stage
    assert "virtualenv -p python2.7 /opt/uwsgi" in stage
    assert "/opt/uwsgi/bin/pip install uWSGI==2.0.31" in stage
    assert render_macro("stacks/python27/uwsgi.j2", "install") == (
        "COPY --from=uwsgi /opt/uwsgi/bin/uwsgi /usr/local/bin/uwsgi"
    )

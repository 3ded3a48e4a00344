"""The gateway: routes per HTTP service, default server, headers; its image files."""

from __future__ import annotations

from pathlib import Path

import pytest

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState
from dotcloud_emulator.render.gateway import (
    full_rotation,
    render_gateway_image,
    render_gateway_routes,
)

REPO = Path(__file__).resolve().parents[2]


def app(root: Path) -> Application:
    services = (
        Service("session", "redis"),
        Service("www", "python"),
        Service("site", "static"),
        Service("api", "python-worker", ports={"web": "http"}),  # type: ignore[arg-type]
    )
    return Application("shop", root, root / "dotcloud.yml", services)


def routes(root: Path, **changes: object) -> str:
    state = AppState(app="shop", created_at=0.0)
    for key, value in changes.items():
        setattr(state, key, value)
    rendered = render_gateway_routes(app(root), state, Settings(root))
    assert str(rendered.path) == ".dotcloud/gateway/conf.d/routes.conf"
    return rendered.content


def test_one_upstream_per_web_service_listing_its_instances(tmp_path: Path) -> None:
    text = routes(tmp_path, scale={"www": 3})
    assert (
        "upstream service_www {\n"
        "    server www-0:8080 max_fails=0;\n"
        "    server www-1:8080 max_fails=0;\n"
        "    server www-2:8080 max_fails=0;\n"
        "    keepalive 16;\n}"
    ) in text
    assert "server site-0:8080 max_fails=0;" in text
    assert "server api-0:42800 max_fails=0;" in text  # its `http` port
    assert "session" not in text


def test_host_names_and_custom_domains(tmp_path: Path) -> None:
    text = routes(tmp_path, domains={"site": ["www.example.com", "example.com"]})
    assert "server_name www.shop.localhost localhost 127.0.0.1;" in text
    assert "server_name site.shop.localhost www.example.com example.com;" in text


def test_the_first_web_service_serves_the_plain_address_and_other_hosts_get_404(
    tmp_path: Path,
) -> None:
    text = routes(tmp_path)
    assert text.count("default_server") == 1
    assert text.count("localhost 127.0.0.1;") == 1
    catch_all = text[text.index("listen 8080 default_server;") :]
    assert catch_all.splitlines()[1].strip() == "server_name _;"
    assert 'return 404 "No service of this application is routed for this host name.\\n";' in (
        catch_all
    )


def test_a_rotation_leaves_drained_instances_out(tmp_path: Path) -> None:
    state = AppState(app="shop", created_at=0.0, scale={"www": 3})
    rotation = {"www": [2, 0], "site": [0], "api": [0]}
    text = render_gateway_routes(app(tmp_path), state, Settings(tmp_path), rotation).content
    assert (
        "upstream service_www {\n"
        "    server www-0:8080 max_fails=0;\n"
        "    server www-2:8080 max_fails=0;\n"
        "    keepalive 16;\n}"
    ) in text


def test_a_service_with_no_instance_in_rotation_answers_503(tmp_path: Path) -> None:
    state = AppState(app="shop", created_at=0.0)
    rotation = {"www": [0], "site": [], "api": [0]}
    text = render_gateway_routes(app(tmp_path), state, Settings(tmp_path), rotation).content
    assert "upstream service_site" not in text
    site_block = text[text.index("server_name site.shop.localhost;") :]
    assert site_block.splitlines()[3].strip() == "return 503;"


def test_full_rotation_counts_scaled_instances(tmp_path: Path) -> None:
    state = AppState(app="shop", created_at=0.0, scale={"www": 2})
    assert full_rotation(app(tmp_path), state) == {"www": [0, 1], "site": [0], "api": [0]}


def test_forwarding_headers_name_the_published_port(tmp_path: Path) -> None:
    text = routes(tmp_path, gateway_port=8123)
    for line in (
        "proxy_set_header Host $http_host;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header X-Forwarded-Port 8123;",
        "proxy_next_upstream error timeout http_502 http_503 http_504;",
        "client_max_body_size 100m;",
        "proxy_http_version 1.1;",
    ):
        assert line in text


def test_a_domain_that_would_change_the_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot be written into an nginx configuration"):
        routes(tmp_path, domains={"www": ["evil.com; include /etc/passwd"]})


def test_the_gateway_image_runs_nginx_unprivileged(tmp_path: Path) -> None:
    files = {str(item.path): item for item in render_gateway_image(Settings(tmp_path))}
    dockerfile = files[".dotcloud/gateway/Dockerfile"].content
    assert dockerfile.startswith("# The HTTP gateway")
    assert "FROM debian:bookworm-slim\n" in dockerfile
    assert "USER www-data" in dockerfile
    assert files[".dotcloud/gateway/dotcloud-health"].mode == 0o755
    assert (
        "include /var/lib/nginx/gateway/routes/*.conf;"
        in files[".dotcloud/gateway/nginx.conf"].content
    )


def test_the_base_image_setting_reaches_the_gateway(tmp_path: Path) -> None:
    settings = Settings(tmp_path, base_image="debian:trixie-slim")
    dockerfile = render_gateway_image(settings)[0].content
    assert "FROM debian:trixie-slim\n" in dockerfile


def test_the_repository_nginx_folder_matches_the_packaged_gateway(tmp_path: Path) -> None:
    for item in render_gateway_image(Settings(tmp_path)):
        copy = REPO / "nginx" / item.path.name
        assert copy.read_text(encoding="utf-8") == item.content, (
            f"nginx/{item.path.name} differs from render/templates/gateway: copy it over"
        )

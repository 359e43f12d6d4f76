"""docker-compose.yml cannot run on machines without a Docker engine, so it is checked against the local
setup instead: the same servers, ports, credentials and settings, and no AGPL or SSPL images."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"vault": 8101, "signature": 8102, "submission": 8103, "feedback": 8104, "notify": 8105}
FORBIDDEN_IMAGES = re.compile(r"^(minio/minio|mongo|bitnami/mongodb|grafana/|mongodb/)")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def local_defaults() -> dict[str, str]:
    text = (ROOT / "deploy/local/env.sh").read_text()
    return dict(re.findall(r"^(\w+)=\$\{\w+:-([^}]*)\}", text, flags=re.M))


def published_ports(service: dict[str, Any]) -> set[int]:
    return {int(str(p).rsplit(":", 2)[-1]) for p in service.get("ports", [])}


def test_servers_match_the_local_setup(compose: dict[str, Any]) -> None:
    local = local_defaults()
    services = compose["services"]
    assert published_ports(services["kafka"]) == {int(local["KAFKA_PORT"])}
    assert published_ports(services["ferretdb"]) == {int(local["FERRETDB_PORT"])}
    assert published_ports(services["seaweedfs"]) == {int(local["S3_PORT"])}
    assert published_ports(services["idp"]) == {int(local["IDP_PORT"])}
    assert str(services["idp"]["environment"]["KHO_IDP_PORT"]) == local["IDP_PORT"]
    assert services["kafka"]["image"].startswith("apache/kafka:" + local["KAFKA_VERSION"].split(".")[0])
    for name in ("kafka", "ferretdb", "seaweedfs", "postgres", "idp"):
        assert "healthcheck" in services[name], name
    s3 = json.loads((ROOT / "deploy/compose/s3.json").read_text())
    creds = s3["identities"][0]["credentials"][0]
    assert creds == {"accessKey": local["S3_ACCESS_KEY"], "secretKey": local["S3_SECRET_KEY"]}


def test_every_service_is_built_from_its_own_dockerfile_with_its_port(compose: dict[str, Any]) -> None:
    services = compose["services"]
    scripts = (ROOT / "scripts/services.sh").read_text()
    for name, port in SERVICES.items():
        svc = services[name]
        assert svc["build"]["dockerfile"] == f"services/{name}/Dockerfile"
        dockerfile = (ROOT / svc["build"]["dockerfile"]).read_text()
        assert f"kho-{name}" in dockerfile and f"kho_{name}" in dockerfile
        assert f"EXPOSE {port}" in dockerfile
        assert published_ports(svc) == {port}
        assert str(svc["environment"]["KHO_HTTP_PORT"]) == str(port)
        assert f"[{name}]={port}" in scripts  # the local run script uses the same port
        settings_cls = next(
            getattr(module, attr)
            for module in [importlib.import_module(f"kho_{name}.settings")]
            for attr in dir(module)
            if attr.endswith("Settings") and attr != "PlatformSettings"
        )
        assert settings_cls().http_port == port
        assert "healthcheck" in svc
        assert set(svc["depends_on"]) == {"kafka", "ferretdb", "seaweedfs"}


def test_service_environment_names_real_settings(compose: dict[str, Any]) -> None:
    local = local_defaults()
    for name in SERVICES:
        env = compose["services"][name]["environment"]
        module = importlib.import_module(f"kho_{name}.settings")
        settings_cls = next(
            getattr(module, a) for a in dir(module) if a.endswith("Settings") and a != "PlatformSettings"
        )
        fields = set(settings_cls.model_fields)
        for key in env:
            assert key.startswith("KHO_"), key
            field = key.removeprefix("KHO_").lower()
            # Inter-service URLs are read by the services that call others; every other variable is a setting.
            if field.endswith("_url") and field not in fields and field != "mongo_url":
                continue
            assert field in fields, f"{name}: {key} is not a setting of {settings_cls.__name__}"
        assert env["KHO_S3_ACCESS_KEY"] == local["S3_ACCESS_KEY"]
        assert env["KHO_S3_SECRET_KEY"] == local["S3_SECRET_KEY"]
        assert env["KHO_S3_ENDPOINT"].endswith(":" + local["S3_PORT"])
        assert env["KHO_KAFKA_BOOTSTRAP"].endswith(":" + local["KAFKA_PORT"])
        assert f":{local['FERRETDB_PORT']}/" in env["KHO_MONGO_URL"]
        assert env["KHO_OIDC_ISSUER"] == f"http://127.0.0.1:{local['IDP_PORT']}"
        assert env["KHO_OIDC_AUDIENCE"] == settings_cls().oidc_audience


def test_no_agpl_or_sspl_images_and_named_volumes(compose: dict[str, Any]) -> None:
    for name, svc in compose["services"].items():
        if "image" in svc:
            assert not FORBIDDEN_IMAGES.match(svc["image"]), f"{name} uses a forbidden image {svc['image']}"
    volumes = set(compose["volumes"])
    for name in ("kafka", "postgres", "seaweedfs"):
        mounts = compose["services"][name]["volumes"]
        assert any(str(m).split(":")[0] in volumes for m in mounts), name

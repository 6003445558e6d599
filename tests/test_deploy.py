"""What deploy/ ships for production, checked where Docker and a cluster are not available."""

import re
from pathlib import Path

import pytest
import yaml

from gongjian_activities.settings import ActivitySettings
from gongjian_evaluation.settings import EvaluationSettings
from gongjian_kit.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
SERVICES = ["organizations", "activities", "evaluation"]
# What any service reads (the kit's settings), and what the activities service reads besides.
SETTINGS = (
    {name.upper() for name in ServiceSettings.model_fields}
    | {name.upper() for name in ActivitySettings.model_fields}
    | {name.upper() for name in EvaluationSettings.model_fields}
)


def documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def by_kind(path: Path) -> dict[str, dict]:
    return {d["kind"]: d for d in documents(path)}


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_scales_on_its_own(service):
    manifests = by_kind(DEPLOY / "k8s" / f"{service}.yaml")
    deployment, hpa = manifests["Deployment"], manifests["HorizontalPodAutoscaler"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"] == service
    assert hpa["spec"]["minReplicas"] >= 2
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert manifests["Service"]["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    # Every variable the container gets is one the service reads.
    names = {e["name"] for e in container["env"]}
    assert names <= SETTINGS, names - SETTINGS
    assert {"DATABASE_URL", "KAFKA_BOOTSTRAP", "ENVIRONMENT"} <= names


def test_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    present = {p.name for p in (DEPLOY / "k8s").glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present


def test_subgraphs_are_reachable_from_the_gateway_only():
    policy = by_kind(DEPLOY / "k8s" / "gateway.yaml")["NetworkPolicy"]
    guarded = policy["spec"]["podSelector"]["matchExpressions"][0]["values"]
    assert sorted(guarded) == sorted(SERVICES)


def test_compose_builds_every_service_with_real_kafka_and_postgres():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert services["kafka"]["image"].startswith("apache/kafka")
    assert services["postgres"]["image"].startswith("postgres")
    for service in SERVICES:
        build = services[service]["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).exists()
        assert build["args"]["SERVICE"] == service
        env = services[service]["environment"]
        assert set(env) <= SETTINGS
        assert env["DATABASE_URL"].endswith(f"/gongjian_{service}")
    init = (DEPLOY / "postgres-init.sql").read_text()
    assert all(f"CREATE DATABASE gongjian_{s};" in init for s in SERVICES)


def test_images_copy_what_the_lockfile_pins_and_run_unprivileged():
    dockerfile = (DEPLOY / "docker" / "service.Dockerfile").read_text()
    assert "uv sync --frozen --no-dev" in dockerfile
    assert re.search(r"^USER 10001$", dockerfile, re.M)
    for service in SERVICES:  # the image runs `python -m gongjian_<service>`
        assert (
            ROOT / "services" / service / "src" / f"gongjian_{service}" / "__main__.py"
        ).exists()
    for member in ["libs/kit", *[f"services/{s}" for s in SERVICES], "deploy"]:
        assert f"COPY {member}/pyproject.toml" in dockerfile, member
    gateway = (DEPLOY / "docker" / "gateway.Dockerfile").read_text()
    assert "npm ci" in gateway
    assert "supergraph.graphql" in gateway


PERSONAL_DATA = ["PERSONAL_DATA_KEY", "PERSONAL_DATA_KEY_VERSION", "PERSONAL_DATA_HMAC_KEY"]


def test_k8s_gives_organizations_its_personal_data_keys_from_a_secret():
    container = by_kind(DEPLOY / "k8s" / "organizations.yaml")["Deployment"]["spec"]["template"][
        "spec"
    ]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    for name in [*PERSONAL_DATA, "PERSONAL_DATA_OLD_KEYS"]:
        assert "value" not in env[name], f"{name} must not be written in the manifest"
        ref = env[name]["valueFrom"]["secretKeyRef"]
        assert ref["name"] == "gongjian-organizations"
        assert ref["key"] == name.lower()
        # Only the old keys (needed during a rotation) may be absent from the Secret.
        assert ref.get("optional", False) is (name == "PERSONAL_DATA_OLD_KEYS")
    # No manifest carries a Secret (it is created out of band, as config.yaml says).
    kinds = {d["kind"] for p in (DEPLOY / "k8s").glob("*.yaml") for d in documents(p)}
    assert "Secret" not in kinds
    assert "personal_data_key" in (DEPLOY / "k8s" / "config.yaml").read_text()


def test_compose_refuses_to_start_organizations_without_its_personal_data_keys():
    env = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]["organizations"][
        "environment"
    ]
    for name in PERSONAL_DATA:
        assert env[name] == f"${{{name}:?set {name}}}", env[name]
    assert env["PERSONAL_DATA_OLD_KEYS"] == "${PERSONAL_DATA_OLD_KEYS:-}"


@pytest.mark.parametrize("service", SERVICES)
def test_subgraphs_get_the_gateway_secret_and_a_metrics_port_of_their_own(service):
    deployment = by_kind(DEPLOY / "k8s" / f"{service}.yaml")["Deployment"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert env["GATEWAY_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "gongjian-gateway"
    assert env["ENVIRONMENT"]["value"] == "production"
    metrics = env["METRICS_PORT"]["value"]
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == metrics
    assert int(metrics) in {p["containerPort"] for p in container["ports"]}
    gateway = by_kind(DEPLOY / "k8s" / "gateway.yaml")
    gateway_env = {
        e["name"] for e in gateway["Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert "GATEWAY_SECRET" in gateway_env
    # The subgraphs' service port is open to the gateway only; metrics to monitoring only.
    rules = gateway["NetworkPolicy"]["spec"]["ingress"]
    assert {tuple(p["port"] for p in r["ports"]) for r in rules} == {(8080,), (int(metrics),)}


def test_compose_refuses_to_start_without_the_gateway_secret():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for name in [*SERVICES, "gateway"]:
        assert compose["services"][name]["environment"]["GATEWAY_SECRET"].startswith(
            "${GATEWAY_SECRET:?"
        )

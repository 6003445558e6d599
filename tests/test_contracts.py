"""The API contracts: each subgraph's committed SDL, the composed supergraph, event schemas."""

import importlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ["organizations", "activities", "evaluation"]


@pytest.mark.parametrize("service", SERVICES)
def test_committed_sdl_matches_the_code(service):
    schema = importlib.import_module(f"gongjian_{service}.graphql.schema").schema
    committed = (ROOT / "services" / service / "schema.graphql").read_text()
    assert schema.as_str().strip() == committed.strip(), (
        f"services/{service}/schema.graphql is stale: run `make compose` and commit it"
    )


def test_committed_supergraph_is_composed_from_the_committed_sdl():
    node = shutil.which("node")
    assert node, "node is needed to compose the supergraph"
    result = subprocess.run(
        [node, "compose.mjs", "--check"],
        cwd=ROOT / "gateway",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_event_schemas_are_valid_and_carry_no_personal_data(service):
    directory = ROOT / "services" / service / "src" / f"gongjian_{service}" / "event_schemas"
    schemas = sorted(directory.glob("*.json"))
    assert schemas
    for path in schemas:
        schema = json.loads(path.read_text())
        Draft202012Validator.check_schema(schema)
        assert path.stem.startswith(f"gongjian.{service}."), path.name
        assert path.stem.endswith(".v1"), path.name
        assert schema.get("additionalProperties") is False, path.name
        properties = json.dumps(schema.get("properties", {})).lower()
        for personal in ("phone", "idnumber", "residentid", "birth"):
            assert personal not in properties, f"{path.name} carries {personal}"
        if ".person." in path.name:
            assert '"name"' not in properties, f"{path.name} carries a person's name"


def test_committed_asyncapi_document_is_generated_from_the_schemas():
    from gongjian_deploy.asyncapi import render  # noqa: PLC0415

    committed = (ROOT / "docs" / "asyncapi.json").read_text()
    assert committed == render(), "docs/asyncapi.json is stale: run `make compose` and commit it"
    document = json.loads(committed)
    stats = document["channels"]["gongjian.district-stats.v1"]
    assert "No personal data" in stats["description"]

from pathlib import Path

from gongjian_organizations.graphql.schema import schema


def test_committed_sdl_matches_the_code():
    committed = (Path(__file__).parents[1] / "schema.graphql").read_text()
    assert schema.as_str().strip() == committed.strip(), (
        "schema.graphql is stale: run `make compose` and commit it"
    )

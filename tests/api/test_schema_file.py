"""schema.graphql is the API's contract in review: it must match the code exactly."""

from __future__ import annotations

from api.schema import schema
from tests.conftest import REPOSITORY_ROOT


def test_committed_schema_matches_the_code() -> None:
    committed = (REPOSITORY_ROOT / "schema.graphql").read_text()
    assert committed.strip() == schema.as_str().strip(), (
        "schema.graphql is stale: run `make schema` and commit the result"
    )


def test_the_api_follows_the_naming_and_error_conventions() -> None:
    text = schema.as_str()
    assert "scalar Decimal" in text
    assert "interface UserError {\n  code: String!\n  message: String!\n}" in text
    for union_line in (line for line in text.splitlines() if line.startswith("union ")):
        assert "Error" in union_line, f"a result union without error members: {union_line}"

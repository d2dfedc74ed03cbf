"""The OpenAPI schema describes every operation usefully for a generated client."""

from __future__ import annotations

import json

from ninja.responses import NinjaJSONEncoder

from grassroots.api.root import api

LISTS = {
    "/api/orgs",
    "/api/orgs/{org_slug}/units",
    "/api/orgs/{org_slug}/units/{unit_slug}/events",
    "/api/orgs/{org_slug}/units/{unit_slug}/members",
    "/api/orgs/{org_slug}/people",
    "/api/orgs/{org_slug}/people/duplicates",
    "/api/orgs/{org_slug}/people/{person_id}/memberships",
    "/api/orgs/{org_slug}/people/{person_id}/consents",
    "/api/orgs/{org_slug}/people/{person_id}/completions",
    "/api/orgs/{org_slug}/units/{unit_slug}/posts",
    "/api/orgs/{org_slug}/audit",
    "/api/orgs/{org_slug}/imports",
    "/api/orgs/{org_slug}/units/{unit_slug}/meetings",
    "/api/orgs/{org_slug}/meetings/{meeting_id}/attendance",
    "/api/orgs/{org_slug}/people/{person_id}/subscriptions",
    "/api/orgs/{org_slug}/publications/{publication_slug}/subscriptions",
    "/api/orgs/{org_slug}/publications/{publication_slug}/feed-tokens",
    "/api/orgs/{org_slug}/publications",
    "/api/orgs/{org_slug}/publications/{publication_slug}/issues",
    "/api/orgs/{org_slug}/directives",
    "/api/orgs/{org_slug}/directives/{directive_id}/assignments",
    "/api/orgs/{org_slug}/assignments",
    "/api/orgs/{org_slug}/conferences",
}


def _operations():
    schema = json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder))  # as /api/openapi.json serves it
    return schema, [(path, method, op) for path, methods in schema["paths"].items() for method, op in methods.items()]


def test_operation_ids_are_unique_endpoint_names():
    _schema, operations = _operations()
    ids = [op["operationId"] for _path, _method, op in operations]
    assert len(ids) == len(set(ids)) == 146
    assert {"found_unit", "get_readiness", "get_health", "transfer_member", "change_status", "assign_post"} <= set(ids)


# The host's check-in at the door: the signed host link in the path is the authority, as on its
# page (tests/meetings/test_checkin.py checks its window, regeneration and that it reaches one meeting).
HOST_LINK = "/api/checkin/{token}"


def test_every_operation_requires_a_token_or_a_session():
    schema, operations = _operations()
    assert set(schema["components"]["securitySchemes"]) == {"TokenAuth", "SignedInSession"}
    host = [(path, method) for path, method, _op in operations if path.startswith(HOST_LINK)]
    assert len(host) == 6
    for path, _method, op in operations:
        if path.startswith(HOST_LINK):
            assert "security" not in op and "404" in op["responses"]
            continue
        assert op["security"] == [{"TokenAuth": []}, {"SignedInSession": []}]
        assert {"401", "404"} <= set(op["responses"])


def test_lists_are_paginated_by_limit_and_offset():
    _schema, operations = _operations()
    for path, method, op in operations:
        parameters = {parameter["name"] for parameter in op.get("parameters", [])}
        if method == "get" and path in LISTS:
            assert {"limit", "offset"} <= parameters, path
            assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].startswith(
                "#/components/schemas/Paged"
            )
        else:
            assert "limit" not in parameters, path


def test_writes_document_their_refusals():
    _schema, operations = _operations()
    for path, method, op in operations:
        if method == "post":
            assert {"409", "422"} <= set(op["responses"]), path
            refusal = op["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
            assert refusal == "#/components/schemas/RefusalOut"


def test_schema_names_are_unique():
    """OpenAPI names a component after its class: two schemas of one name would be documented as
    one (a body's rules answered by another's), as a motion's status body once replaced a
    person's and an assignment's."""
    from collections import Counter

    from ninja import Schema

    _operations()  # every router imported
    seen, stack = [], [Schema]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("grassroots.") and sub.__qualname__ == sub.__name__:  # not a paginator's Input
                seen.append(sub)
    names = Counter(cls.__name__ for cls in set(seen))
    assert [name for name, count in names.items() if count > 1] == []

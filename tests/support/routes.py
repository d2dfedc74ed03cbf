"""The one list of routes every access test reads: all URL patterns of the project, from
Django's URL resolver (pages), and every operation of the API, from its OpenAPI document.

A route added anywhere shows up here, so a test that compares its cases with these lists
fails until the new route has its rows.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

from grassroots.api.root import api

ADMIN_PREFIX = "admin:"


def web_routes() -> dict[str, set[str]]:
    """Every named route of the site outside Django's admin and the API, with the URL parameters it takes."""
    found: dict[str, set[str]] = {}

    def walk(patterns, namespace="", parameters=frozenset()):
        for pattern in patterns:
            taking = parameters | set(pattern.pattern.converters)
            if isinstance(pattern, URLResolver):
                space = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, space, taking)
            elif isinstance(pattern, URLPattern) and pattern.name:
                found[f"{namespace}{pattern.name}"] = taking

    walk(get_resolver().url_patterns)
    return {name: pattern for name, pattern in found.items() if not name.startswith((ADMIN_PREFIX, "api:"))}


def api_operations() -> list[tuple[str, str]]:
    """Every operation of the API as (method, path under /api)."""
    schema = api.get_openapi_schema()
    return [(method.upper(), path.removeprefix("/api")) for path, ops in schema["paths"].items() for method in ops]

"""The REST API: one NinjaAPI with session and bearer-token authentication.

Every error is JSON: {"detail": message} plus "reasons" and "field" when an action refused.
Routers live in each app's api.py and are added here.

The schema (/api/openapi.json) and the docs (/api/docs) need a signed-in session or a usable
bearer token like every endpoint: the code is public, but an installation need not announce
its member database to anyone who asks. Anonymous callers get 401 on the schema and are sent
to the login page from the docs.
"""

from __future__ import annotations

from ninja import NinjaAPI

from grassroots.api.auth import SignedInSession, TokenAuth, docs_page
from grassroots.api.errors import add_error_handlers
from grassroots.api.parser import JsonParser
from grassroots.audit.api import router as audit_router
from grassroots.bulletin.api import router as bulletin_router
from grassroots.conferences.api import router as conferences_router
from grassroots.directives.api import router as directives_router
from grassroots.education.api import router as education_router
from grassroots.health.api import router as health_router
from grassroots.imports.api import router as imports_router
from grassroots.meetings.api import host_router
from grassroots.meetings.api import router as meetings_router
from grassroots.organizations.api import router as organizations_router
from grassroots.people.api import router as people_router


class GrassrootsAPI(NinjaAPI):
    """The NinjaAPI whose operation ids are the endpoint names (`found_unit`, `join_unit`).

    They are unique across the routers (the OpenAPI test checks it), and a generated client
    exposes them as its method names.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._schemas: dict[str, dict] = {}

    def get_openapi_operation_id(self, operation) -> str:
        return operation.view_func.__name__

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None):
        """The OpenAPI schema (a dict), built once per path prefix for the life of the process.

        The routes are fixed when the module loads, and building the schema takes 0.6-1.3 s
        (measured on 2026-12-01): django-ninja would build it again for every request to
        /api/openapi.json, which the docs page makes each time it opens.
        """
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        built = self._schemas.get(path_prefix)
        if built is None:
            built = self._schemas[path_prefix] = super().get_openapi_schema(path_prefix=path_prefix)
        return built


api = GrassrootsAPI(
    title="Grassroots API",
    version="1",
    description="Organizations, units and their founding rules, people and memberships.",
    auth=[TokenAuth(), SignedInSession(csrf=True)],
    urls_namespace="api",
    docs_decorator=docs_page,
    parser=JsonParser(),
)


add_error_handlers(api)
api.add_router("/orgs", organizations_router)
api.add_router("/orgs", people_router)
api.add_router("/orgs", audit_router)
api.add_router("/orgs", imports_router)
api.add_router("/orgs", bulletin_router)
api.add_router("/orgs", meetings_router)
api.add_router("/orgs", education_router)
api.add_router("/orgs", directives_router)
api.add_router("/orgs", health_router)
api.add_router("/orgs", conferences_router)
api.add_router("/checkin", host_router)

"""The REST API: one NinjaAPI with session and bearer-token authentication.

Every error is JSON: {"detail": message} plus "reasons" and "field" when an action refused.
Routers live in each app's api.py and are added here.

The schema (/api/openapi.json) and the docs (/api/docs) need a signed-in session or a usable
bearer token like every endpoint: the code is public, but an installation need not announce
its member database to anyone who asks. Anonymous callers get 401 on the schema and are sent
to the login page from the docs.
"""

from __future__ import annotations

import logging
from functools import wraps

from csp.decorators import csp_update
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth

from grassroots.access import OutOfScope
from grassroots.accounts.middleware import two_factor_redirect
from grassroots.accounts.models import ApiToken, token_digest
from grassroots.accounts.two_factor import two_factor_satisfied
from grassroots.audit.actions import record_denied_access
from grassroots.audit.api import router as audit_router
from grassroots.errors import ActionRefused
from grassroots.imports.api import router as imports_router
from grassroots.middleware import too_large
from grassroots.organizations.api import router as organizations_router
from grassroots.people.api import router as people_router


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`: a token that is not revoked, not expired, of an active user."""

    def authenticate(self, request: HttpRequest, token: str):
        record = ApiToken.objects.usable().select_related("user").filter(digest=token_digest(token)).first()
        if record is None:
            return None
        # The token reaches its own organization only (see grassroots.access.grants).
        record.user.token_organization_id = record.organization_id
        request.user = record.user
        return record.user


class SignedInSession(SessionAuth):
    """The signed-in web session; its unsafe requests (POST...) must carry the CSRF token.

    CSRF is checked only when the session holds a signed-in user: a request with no
    credentials, or with a revoked or expired token, gets 401 rather than a CSRF 403.
    A user who needs a second factor counts as signed in only once their session is verified
    with it; until then the API answers 401, as to anyone else without credentials.
    """

    def __call__(self, request: HttpRequest):
        if not session_may_call(request):
            return None
        return super().__call__(request)


def session_may_call(request: HttpRequest) -> bool:
    """A signed-in session that has its second factor, when its user needs one."""
    return request.user.is_authenticated and two_factor_satisfied(request.user)


logger = logging.getLogger("grassroots.api")
UNAUTHENTICATED = "authentication required: a session or a bearer token"


def signed_in(view):
    """Guard the schema and the docs: a usable bearer token, or a signed-in (and verified) session.

    The docs page sends a browser to sign in, or to its second factor; the schema answers 401.
    """

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs):
        if not (TokenAuth()(request) or session_may_call(request)):
            if request.resolver_match and request.resolver_match.url_name == "openapi-view":
                if request.user.is_authenticated:
                    return two_factor_redirect(request)
                return redirect_to_login(request.get_full_path())
            return JsonResponse({"detail": UNAUTHENTICATED}, status=401)
        return view(request, *args, **kwargs)

    return guarded


# Swagger UI (ninja's own static files, with no inline script) draws its icons as data: images;
# this relaxes only the docs page and the schema. Checked in Chromium by tests/browser.
SWAGGER_UI_POLICY = {"img-src": ["data:"]}


def docs_page(view):
    """The schema and docs views: signed in as every endpoint, with the policy Swagger UI needs."""
    return csp_update(SWAGGER_UI_POLICY)(signed_in(view))


class GrassrootsAPI(NinjaAPI):
    """The NinjaAPI whose operation ids are the endpoint names (`found_unit`, `join_unit`).

    They are unique across the routers (the OpenAPI test checks it), and a generated client
    exposes them as its method names.
    """

    def get_openapi_operation_id(self, operation) -> str:
        return operation.view_func.__name__


class UnencodableText(ValueError):
    """A JSON body holds text no database can store (a lone surrogate such as "\\ud800")."""

    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


def _unencodable(value, where: str = "") -> str | None:
    """The dotted name of the first field whose key or text cannot be encoded as UTF-8, or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where or "body"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            found = _unencodable(key, name) or _unencodable(item, name)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _unencodable(item, f"{where}.{index}" if where else str(index))
            if found:
                return found
    return None


class JsonParser(Parser):
    """ninja's JSON parser, refusing text that cannot be encoded (answered 422 naming the field)."""

    def parse_body(self, request: HttpRequest):
        data = super().parse_body(request)
        field = _unencodable(data)
        if field is not None:
            raise UnencodableText(field)
        return data


api = GrassrootsAPI(
    title="Grassroots API",
    version="1",
    description="Organizations, units and their founding rules, people and memberships.",
    auth=[TokenAuth(), SignedInSession(csrf=True)],
    urls_namespace="api",
    docs_decorator=docs_page,
    parser=JsonParser(),
)


@api.exception_handler(ActionRefused)
def refused(request: HttpRequest, error: ActionRefused):
    return api.create_response(
        request, {"detail": error.full_message, "reasons": error.reasons, "field": error.field}, status=409
    )


@api.exception_handler(Exception)
def unexpected(request: HttpRequest, error: Exception):
    # A bug: logged with its traceback for the operator, answered as JSON like every other error.
    logger.exception("unexpected error in %s %s", request.method, request.path)
    return api.create_response(request, {"detail": "internal error: the operator has been told"}, status=500)


@api.exception_handler(OutOfScope)
def out_of_scope(request: HttpRequest, error: OutOfScope):
    if error.organization is not None:
        what = f"{request.method} {request.path}: {error.message}"
        record_denied_access(user=request.user, organization=error.organization, unit=error.unit, what=what)
    return api.create_response(request, {"detail": error.message}, status=403)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, error: Http404):
    return api.create_response(request, {"detail": str(error) or "not found"}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, error: AuthenticationError):
    return api.create_response(request, {"detail": UNAUTHENTICATED}, status=401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, error: HttpError):
    # ninja answers a body it cannot parse with 400; like every other invalid input, it is a 422 here.
    if isinstance(error.__cause__, UnencodableText):
        field = error.__cause__.field
        detail = f"{field}: text holds a character that cannot be stored (a lone surrogate)"
        return api.create_response(request, {"detail": detail, "field": field, "errors": []}, status=422)
    if error.status_code == 400:
        return api.create_response(request, {"detail": "body: not valid JSON", "errors": []}, status=422)
    return api.create_response(request, {"detail": str(error)}, status=error.status_code)


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, error: RequestDataTooBig):
    # The middleware answers first; this covers a body read past it all the same.
    return too_large(request)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, error: ValidationError):
    messages = []
    for item in error.errors:
        loc = item.get("loc", [])
        where = ".".join(str(part) for part in loc if part not in ("body", "payload", "query"))
        # A whole body that is missing has no key to name: say it is the body.
        where = where or ("body" if "body" in loc else "")
        messages.append(f"{where}: {item.get('msg')}" if where else str(item.get("msg")))
    return api.create_response(request, {"detail": "; ".join(messages), "errors": error.errors}, status=422)


api.add_router("/orgs", organizations_router)
api.add_router("/orgs", people_router)
api.add_router("/orgs", audit_router)
api.add_router("/orgs", imports_router)

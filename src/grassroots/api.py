"""The REST API: one NinjaAPI with session and bearer-token authentication.

Every error is JSON: {"detail": message} plus "reasons" and "field" when an action refused.
Routers live in each app's api.py and are added here.

The schema (/api/openapi.json) and the docs (/api/docs) need a signed-in session or a usable
bearer token like every endpoint: the code is public, but an installation need not announce
its member database to anyone who asks. Anonymous callers get 401 on the schema and are sent
to the login page from the docs.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from grassroots.accounts.models import ApiToken, token_digest
from grassroots.errors import ActionRefused
from grassroots.organizations.api import router as organizations_router
from grassroots.people.api import router as people_router


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`: a token that is not revoked, not expired, of an active user."""

    def authenticate(self, request: HttpRequest, token: str):
        record = ApiToken.objects.usable().select_related("user").filter(digest=token_digest(token)).first()
        if record is None:
            return None
        request.user = record.user
        return record.user


class SignedInSession(SessionAuth):
    """The signed-in web session; its unsafe requests (POST...) must carry the CSRF token.

    CSRF is checked only when the session holds a signed-in user: a request with no
    credentials, or with a revoked or expired token, gets 401 rather than a CSRF 403.
    """

    def __call__(self, request: HttpRequest):
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


UNAUTHENTICATED = "authentication required: a session or a bearer token"


def signed_in(view):
    """Guard the schema and the docs: a signed-in session or a usable bearer token."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs):
        if not (TokenAuth()(request) or request.user.is_authenticated):
            if request.resolver_match and request.resolver_match.url_name == "openapi-view":
                return redirect_to_login(request.get_full_path())
            return JsonResponse({"detail": UNAUTHENTICATED}, status=401)
        return view(request, *args, **kwargs)

    return guarded


class GrassrootsAPI(NinjaAPI):
    """The NinjaAPI whose operation ids are the endpoint names (`found_unit`, `join_unit`).

    They are unique across the routers (the OpenAPI test checks it), and a generated client
    exposes them as its method names.
    """

    def get_openapi_operation_id(self, operation) -> str:
        return operation.view_func.__name__


api = GrassrootsAPI(
    title="Grassroots API",
    version="1",
    description="Organizations, units and their founding rules, people and memberships.",
    auth=[TokenAuth(), SignedInSession(csrf=True)],
    urls_namespace="api",
    docs_decorator=signed_in,
)


@api.exception_handler(ActionRefused)
def refused(request: HttpRequest, error: ActionRefused):
    return api.create_response(
        request, {"detail": error.full_message, "reasons": error.reasons, "field": error.field}, status=409
    )


@api.exception_handler(Http404)
def not_found(request: HttpRequest, error: Http404):
    return api.create_response(request, {"detail": str(error) or "not found"}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, error: AuthenticationError):
    return api.create_response(request, {"detail": UNAUTHENTICATED}, status=401)


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

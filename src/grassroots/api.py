"""The REST API: one NinjaAPI with session and bearer-token authentication.

Every error is JSON: {"detail": message} plus "reasons" and "field" when an action refused.
Routers live in each app's api.py and are added here.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from grassroots.accounts.models import ApiToken, token_digest
from grassroots.errors import ActionRefused


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`: a token that is not revoked, not expired, of an active user."""

    def authenticate(self, request: HttpRequest, token: str):
        record = ApiToken.objects.usable().select_related("user").filter(digest=token_digest(token)).first()
        if record is None:
            return None
        request.user = record.user
        return record.user


api = NinjaAPI(
    title="Grassroots API",
    version="1",
    description="Organizations, units and their founding rules, people and memberships.",
    auth=[TokenAuth(), SessionAuth(csrf=True)],
    urls_namespace="api",
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
    return api.create_response(request, {"detail": "authentication required: a session or a bearer token"}, status=401)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, error: ValidationError):
    messages = []
    for item in error.errors:
        where = ".".join(str(part) for part in item.get("loc", []) if part not in ("body", "payload", "query"))
        messages.append(f"{where}: {item.get('msg')}" if where else str(item.get("msg")))
    return api.create_response(request, {"detail": "; ".join(messages), "errors": error.errors}, status=422)

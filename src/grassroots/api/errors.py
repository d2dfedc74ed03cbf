"""Every error of the API is JSON: {"detail": message} plus "reasons" and "field" when an action
refused; the handlers are added to the root API by `add_error_handlers`.
"""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from grassroots.access import OutOfScope
from grassroots.api.auth import UNAUTHENTICATED
from grassroots.audit.actions import record_denied_access
from grassroots.errors import ActionRefused

logger = logging.getLogger("grassroots.api")


def add_error_handlers(api: NinjaAPI) -> None:
    """Answer every error of `api` as JSON."""

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
        if error.status_code == 400:
            return api.create_response(request, {"detail": "body: not valid JSON", "errors": []}, status=422)
        return api.create_response(request, {"detail": str(error)}, status=error.status_code)

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

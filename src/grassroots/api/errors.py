"""Every error of the API is JSON: {"detail": message} plus "reasons" and "field" when an action
refused; the handlers are added to the root API by `add_error_handlers`.
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from grassroots.access import OutOfScope
from grassroots.api.auth import UNAUTHENTICATED
from grassroots.api.parser import UnencodableText
from grassroots.audit.actions import record_refusal
from grassroots.errors import ActionRefused, InvalidFields
from grassroots.middleware import busy, database_busy, too_large

logger = logging.getLogger("grassroots.api")


def add_error_handlers(api: NinjaAPI) -> None:
    """Answer every error of `api` as JSON."""

    @api.exception_handler(ActionRefused)
    def refused(request: HttpRequest, error: ActionRefused):
        return api.create_response(
            request, {"detail": error.full_message, "reasons": error.reasons, "field": error.field}, status=409
        )

    @api.exception_handler(InvalidFields)
    def invalid_fields(request: HttpRequest, error: InvalidFields):
        # Values the schema allows that the rules refuse, field by field: 409 like any refusal of
        # a rule (422 is the schema's own refusal), with one entry per field, all at once.
        errors = [
            {"loc": ["body", field], "msg": message, "type": "value_error"} for field, message in error.errors.items()
        ]
        reasons = [entry["msg"] for entry in errors]
        body = {"detail": error.full_message, "reasons": reasons, "field": error.field, "errors": errors}
        return api.create_response(request, body, status=409)

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, error: Exception):
        if database_busy(error):  # SQLite's write lock held past the busy timeout: 503, try again
            return busy(request)
        # A bug: logged with its traceback for the operator, answered as JSON like every other error.
        logger.exception("unexpected error in %s %s", request.method, request.path)
        return api.create_response(request, {"detail": "internal error: the operator has been told"}, status=500)

    @api.exception_handler(OutOfScope)
    def out_of_scope(request: HttpRequest, error: OutOfScope):
        record_refusal(user=request.user, refusal=error, request=request)
        return api.create_response(request, {"detail": error.message}, status=403)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, error: Http404):
        record_refusal(user=request.user, refusal=error, request=request)  # when out of scope (NotVisible)
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
            loc = list(item.get("loc", []))
            # ninja's location starts with where the value came from and its parameter's name
            # ("body", "payload", ...): drop those, not a field that happens to be called `body`.
            parts = loc[1:] if loc and loc[0] in ("body", "query") else loc
            parts = parts[1:] if parts[:1] == ["payload"] else parts
            where = ".".join(str(part) for part in parts)
            # A whole body that is missing has no key to name: say it is the body.
            where = where or ("body" if "body" in loc else "")
            messages.append(f"{where}: {item.get('msg')}" if where else str(item.get("msg")))
        return api.create_response(request, {"detail": "; ".join(messages), "errors": error.errors}, status=422)


def require_choice(parameter: str, value: str | None, choices) -> None:
    """Refuse a query `parameter` whose `value` (None or "" pass) is not one of `choices`: a 422
    naming it, for choices that differ from one organization to another (a constitution's unit
    kinds or member statuses), which the schema therefore cannot list."""
    if value and value not in choices:
        reason = f"'{value}' is not one of {', '.join(choices)}"
        raise ValidationError([{"loc": ["query", parameter], "msg": reason, "type": "value_error"}])

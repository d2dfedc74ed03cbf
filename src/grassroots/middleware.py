"""Guards that apply to every request, pages and API alike."""

from __future__ import annotations

import re
import sys
from io import BytesIO

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotFound, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.views import defaults


class RefuseNulCharacters:
    """Answer a request no handler could take with a clear 4xx, never a server error.

    - A NUL character in the parameters (or a form that cannot be read): no person types one;
      PostgreSQL can neither store nor compare text that holds one, so it would otherwise
      surface as a server error deep in a query. The API answers 422 like any other invalid
      input; pages answer 400.
    - A NUL character in the path: the API's path parameters (an organization's or a unit's
      slug) are any text between slashes, so one reached a query; no slug holds one, so the
      answer is 404, as for any unknown slug. (Pages' `slug` converters never matched it.)
    - A body over Django's limit (`DATA_UPLOAD_MAX_MEMORY_SIZE`, files of a multipart upload
      aside), or over the route's own limit in `GRASSROOTS_BODY_LIMITS` (a report's base64 files):
      413 naming the limit, before any view reads it.
    - A query parameter given more than once to the API: every API parameter is a single value
      (the OpenAPI document declares no list), and django-ninja would silently keep the last
      one, so the answer is 422 naming the parameter.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        api = request.path.startswith("/api/")
        if "\x00" in request.path:
            if api:
                return JsonResponse({"detail": "not found"}, status=404)
            return HttpResponseNotFound("not found")
        try:
            if request.method in BODY_METHODS and not (request.content_type or "").startswith("multipart/"):
                _read_body(request, body_limit(request.path))
            refused = _holds_nul(request.GET) or (_is_form(request) and _holds_nul(request.POST))
            message = "parameters must not contain NUL characters"
        except RequestDataTooBig:
            return too_large(request)
        except MultiPartParserError:
            refused, message = True, "body: not a readable form"
        repeated = api and not refused and _repeated(request.GET)
        if repeated:
            refused, message = True, f"query: '{repeated}' is given more than once; it takes one value"
        if refused:
            if api:
                return JsonResponse({"detail": message, "errors": []}, status=422)
            return HttpResponseBadRequest(message)
        return self.get_response(request)


BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def body_limit(path: str) -> int | None:
    """The largest body, in bytes, a request to `path` may carry: the route's own limit from
    `GRASSROOTS_BODY_LIMITS`, else Django's `DATA_UPLOAD_MAX_MEMORY_SIZE` (None: no limit)."""
    for pattern, limit in settings.GRASSROOTS_BODY_LIMITS:
        if re.fullmatch(pattern, path):
            return limit
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _read_body(request: HttpRequest, limit: int | None) -> None:
    """Read the body now, within `limit`, or raise RequestDataTooBig. Under Django's own limit
    Django reads it; a route with a limit of its own is read here and kept as Django keeps it."""
    if limit is None or limit == settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        request.body  # noqa: B018 -- Django reads it and enforces its limit
        return
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
        raise RequestDataTooBig(f"body over {limit} bytes")
    body = request.read(limit + 1)
    if len(body) > limit:
        raise RequestDataTooBig(f"body over {limit} bytes")
    request._body = body  # what `request.body` returns from now on
    request._stream = BytesIO(body)


def too_large(request: HttpRequest) -> HttpResponse:
    """413 for a body over the limit (the route's own, else Django's): JSON on the API, a line
    of text on pages."""
    limit = body_limit(request.path)
    message = f"body: larger than the limit of {limit} bytes" if limit else "body: too large"
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "errors": []}, status=413)
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


def _is_form(request: HttpRequest) -> bool:
    return request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    )


def _holds_nul(parameters: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in parameters.lists())


def _repeated(parameters: QueryDict) -> str:
    """The first query parameter that holds more than one value, or ''."""
    return next((key for key, values in parameters.lists() if len(values) > 1), "")


# What a request that met a busy SQLite database is told, and when to try again (seconds).
DATABASE_BUSY = "the database is busy with another write; try again in a moment"
RETRY_AFTER_SECONDS = 5


def database_busy(error: BaseException) -> bool:
    """Whether `error` is SQLite's "database is locked": another connection held the one write
    lock for longer than the busy timeout (settings: `timeout`). Any other error is a bug."""
    return isinstance(error, OperationalError) and connection.vendor == "sqlite" and "database is locked" in str(error)


def busy(request: HttpRequest) -> HttpResponse:
    """503 with `Retry-After` for a database busy with another write: JSON in the API's error
    shape (`{"detail", "errors"}`) under /api/, a line of text on pages. Nothing was written: the
    request's transaction is rolled back before the error reaches here."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": DATABASE_BUSY, "errors": []}, status=503)
    else:
        response = HttpResponse(f"{DATABASE_BUSY[0].upper()}{DATABASE_BUSY[1:]}.", status=503)
        response["Content-Type"] = "text/plain; charset=utf-8"
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class AnswerBusyDatabase:
    """A page or endpoint whose write met SQLite's "database is locked" (a long write held the
    lock past the busy timeout) answers 503 with `Retry-After`, not a server error; the API's
    own handlers answer the same (grassroots.api.errors)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return busy(request) if database_busy(exception) else None


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 page (`handler500`), except for a busy SQLite database met outside any view
    (a middleware's write, the session saved after the response): 503 with `Retry-After`, as
    `AnswerBusyDatabase` answers for views."""
    error = sys.exc_info()[1]
    if error is not None and database_busy(error):
        return busy(request)
    return defaults.server_error(request)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 page (`handler404`), except under /api/: there a path no route answers gets
    the API's JSON error, {"detail": ...}, like every other error of the API."""
    if request.path == "/api" or request.path.startswith("/api/"):
        return JsonResponse({"detail": f"Not found: no API endpoint at {request.path}"}, status=404)
    return defaults.page_not_found(request, exception)

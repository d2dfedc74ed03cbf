"""Guards that apply to every request, pages and API alike."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBadRequest, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError


class RefuseNulCharacters:
    """Answer a request whose parameters hold a NUL character (or whose form cannot be read) with a
    clear error.

    No person types one; PostgreSQL can neither store nor compare text that holds one, so it
    would otherwise surface as a server error deep in a query. The API answers 422 like any
    other invalid input; pages answer 400.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        try:
            refused = _holds_nul(request.GET) or (_is_form(request) and _holds_nul(request.POST))
            message = "parameters must not contain NUL characters"
        except MultiPartParserError:
            refused, message = True, "body: not a readable form"
        if refused:
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "errors": []}, status=422)
            return HttpResponseBadRequest(message)
        return self.get_response(request)


def _is_form(request: HttpRequest) -> bool:
    return request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    )


def _holds_nul(parameters: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in parameters.lists())

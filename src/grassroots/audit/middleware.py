"""Audit every refusal of scope on the web pages: a write the action refused with `OutOfScope`
(403) and a lookup of a record out of the user's scope, `NotVisible` (404).

An interface: it sits above the actions, so `grassroots.access` and the selectors stay free of
writes. The API records the same refusals in its error handlers (`grassroots.api.errors`).
"""

from django.http import HttpRequest

from .actions import record_refusal


class AuditDeniedAccess:
    """Writes an `access.denied` record for each such refusal; Django renders the 403 or 404."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        record_refusal(user=request.user, refusal=exception, request=request)
        return None

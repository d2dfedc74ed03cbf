"""Audit every denied write on the web pages: the action refused it with `OutOfScope` (403)."""

from django.http import HttpRequest

from grassroots.audit.actions import record_denied_access

from . import OutOfScope


class AuditDeniedAccess:
    """Writes an `access.denied` record for each 403 from the scope check; Django renders the 403."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, OutOfScope) and exception.organization is not None:
            record_denied_access(
                user=request.user,
                organization=exception.organization,
                unit=exception.unit,
                what=f"{request.method} {request.path}: {exception.message}",
            )
        return None

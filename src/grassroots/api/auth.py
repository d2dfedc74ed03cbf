"""Who may call the API: a bearer token or a signed-in (and verified) session; the schema and
the docs are guarded the same way.
"""

from __future__ import annotations

from functools import wraps

from csp.decorators import csp_update
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, JsonResponse
from ninja.security import HttpBearer, SessionAuth

from grassroots.accounts.middleware import two_factor_redirect
from grassroots.accounts.models import ApiToken, token_digest
from grassroots.accounts.two_factor import two_factor_satisfied


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

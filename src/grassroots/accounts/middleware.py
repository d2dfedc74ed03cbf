"""Holding back a signed-in user who needs a second factor until their session has one."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from .two_factor import confirmed_device, two_factor_satisfied

# Pages an unverified session may still open: signing in and out, and the two-factor pages.
# The API is left to its own authentication, which answers 401 rather than redirecting.
OPEN_PAGES = {"login", "logout", "two_factor_setup", "two_factor_verify"}
OPEN_NAMESPACES = {"api"}


def two_factor_redirect(request: HttpRequest) -> HttpResponse:
    """Send the user to set up an authenticator, or to enter its code, and then back here."""
    name = "two_factor_verify" if confirmed_device(request.user) else "two_factor_setup"
    url = reverse(name)
    if request.method in ("GET", "HEAD"):
        url += "?" + urlencode({"next": request.get_full_path()})
    if request.headers.get("HX-Request") == "true":
        # htmx would swap the page into a fragment: have it load the page whole instead.
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


class RequireTwoFactor:
    """Every page but the open ones needs a verified session from a user who `needs_two_factor`.

    Installed after django-otp's OTPMiddleware, which sets `request.user.is_verified()`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        match = request.resolver_match
        if match.url_name in OPEN_PAGES or OPEN_NAMESPACES.intersection(match.namespaces):
            return None
        if not request.user.is_authenticated or two_factor_satisfied(request.user):
            return None
        return two_factor_redirect(request)

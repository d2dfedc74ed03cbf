"""The Django admin for superusers only, and only in a session verified with a second factor."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_otp.admin import OTPAdminSite


class GrassrootsAdminSite(OTPAdminSite):
    """django-otp's admin site (a verified session is required) restricted to superusers.

    It has no sign-in page of its own: the admin's login sends people to the site's one, so
    there is a single sign-in with one lockout and one two-factor step.
    """

    def __init__(self, name: str = "admin"):
        super().__init__(name)

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and request.user.is_superuser

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if request.user.is_authenticated:
            if self.has_permission(request):
                return super().login(request, extra_context)  # redirects to the index
            raise PermissionDenied("The admin is for superusers.")
        return redirect_to_login(request.GET.get("next") or reverse("admin:index", current_app=self.name))

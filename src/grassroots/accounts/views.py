"""Account pages: setting up and entering a second factor, the sign-in lockout, and API tokens.

The two-factor pages are open to a signed-in session that is not verified yet (the
RequireTwoFactor middleware lets them through); each checks for itself what it allows: setting
up only while the user has no authenticator, replacing one only from a verified session.
"""

from __future__ import annotations

from base64 import b32encode

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from grassroots.errors import ActionRefused
from grassroots.organizations.selectors import organizations_visible_to
from grassroots.web import refusal_message

from . import selectors
from .actions import create_api_token, revoke_api_token
from .forms import CodeForm, TokenForm
from .two_factor import check_code, confirm_device, confirmed_device, needs_two_factor, pending_device


def _next_url(request: HttpRequest) -> str:
    """Where to go once done: the `next` the page was given when it is on this site, else home."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, request: HttpRequest) -> str:
    url = reverse(name)
    return f"{url}?{request.GET.urlencode()}" if request.GET.get("next") else url


def qr_code_svg(text: str) -> SafeString:
    """`text` as a QR code in inline SVG, made here: the secret never leaves the server."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    # The markup is qrcode's own (numbers and a path), so it is safe to place in the page.
    return mark_safe(svg.replace("<svg ", '<svg role="img" aria-label="QR code for your authenticator app" ', 1))


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _enrol(request: HttpRequest, *, replacing: bool) -> HttpResponse:
    """Show a new authenticator's secret and confirm it with its first code, then verify the session."""
    device = pending_device(request.user)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        try:
            confirm_device(device=device, code=form.cleaned_data["code"], by=request.user)
        except ActionRefused as refusal:
            form.refuse(refusal)
        else:
            _verified(request, device)
            messages.success(request, "Your authenticator app is set up: sign-ins now ask for its code.")
            return redirect(_next_url(request))
    context = {
        "form": form,
        "replacing": replacing,
        "qr_code": qr_code_svg(device.config_url),
        "config_url": device.config_url,
        "secret": _grouped(b32encode(device.bin_key).decode()),
    }
    return render(request, "accounts/two_factor_setup.html", context)


def _verified(request: HttpRequest, device: TOTPDevice) -> None:
    """Mark the session verified by `device`, under a new session key (the session gained rights)."""
    django_otp.login(request, device)
    request.session.cycle_key()


@never_cache
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """First sign-in of someone who needs a second factor: set up the authenticator app."""
    if confirmed_device(request.user):
        # Replacing an authenticator needs the current one: a password alone must not do it.
        return redirect(_with_next("two_factor_verify", request))
    return _enrol(request, replacing=False)


@never_cache
@login_required
def two_factor_replace(request: HttpRequest) -> HttpResponse:
    """A new phone or app: set up a new authenticator from a verified session; the old one stops working."""
    if not confirmed_device(request.user):
        return redirect("two_factor_setup")
    if not request.user.is_verified():
        return redirect(f"{reverse('two_factor_verify')}?next={reverse('two_factor_replace')}")
    return _enrol(request, replacing=True)


@never_cache
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Enter the code from the authenticator app to verify this session."""
    device = confirmed_device(request.user)
    if device is None:
        return redirect(_with_next("two_factor_setup", request))
    if request.user.is_verified():
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if form.is_valid():
        try:
            check_code(device=device, code=form.cleaned_data["code"])
        except ActionRefused as refusal:
            form.refuse(refusal)
        else:
            _verified(request, device)
            return redirect(_next_url(request))
    return render(request, "accounts/two_factor_verify.html", {"form": form})


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """What django-axes answers once a username is locked out from an address: a page, or JSON to a script."""
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    detail = (
        f"This account is locked for {minutes} minutes after too many failed sign-ins from this address. "
        "Try again later, or ask an administrator to unlock it."
    )
    if request.headers.get("X-Requested-With") == "XMLHttpRequest" or not request.accepts("text/html"):
        return JsonResponse({"detail": detail, "cooloff_minutes": minutes}, status=429)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)


@never_cache
@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """The user's API tokens, and a form for a new one, which is shown once, right after it is made."""
    organizations = organizations_visible_to(request.user)
    form = TokenForm(request.POST or None, organizations=organizations)
    created = None
    if form.is_valid():
        try:
            created = create_api_token(
                user=request.user,
                by=request.user,
                days=form.cleaned_data["days"],
                name=form.cleaned_data["name"],
                organization=form.cleaned_data["organization"],
            )
        except ActionRefused as refusal:
            form.refuse(refusal)
        else:
            form = TokenForm(organizations=organizations)
    context = {
        "tokens": selectors.tokens_of(request.user),
        "form": form,
        "organizations": organizations,
        "created": created[0] if created else None,
        "token": created[1] if created else None,
        "needs_two_factor": needs_two_factor(request.user),
    }
    return render(request, "accounts/tokens.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own tokens; someone else's is a 404."""
    token = selectors.token_of(request.user, pk)
    try:
        revoke_api_token(token=token, by=request.user)
    except ActionRefused as refusal:
        messages.error(request, refusal_message(refusal))
    else:
        messages.success(request, format_html("Token {}… is revoked: it no longer works.", token.prefix))
    return redirect("tokens")

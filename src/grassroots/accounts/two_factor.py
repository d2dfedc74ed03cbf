"""Two-factor sign-in: who needs it, enrolling an authenticator app, and checking its codes.

Anyone who can see other people's data signs in with a password and a code from an
authenticator app (TOTP, django-otp). `needs_two_factor` is the one place that says who that is.
A session counts as verified once a code has been accepted in it (`request.user.is_verified()`).
"""

from __future__ import annotations

from django.db import transaction
from django_otp import devices_for_user
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_totp.models import TOTPDevice

from grassroots.audit.actions import write_audit_record
from grassroots.errors import ActionRefused

DEVICE_NAME = "Authenticator app"


def needs_two_factor(user) -> bool:
    """True for whoever can see other people's data: superusers, staff, and anyone with an account
    in an organization (administrator, officer or member)."""
    from .models import Account

    return bool(user.is_superuser or user.is_staff or Account.objects.filter(user=user).exists())


def two_factor_satisfied(user) -> bool:
    """Whether this signed-in user may go on: they need no second factor, or their session has one."""
    is_verified = getattr(user, "is_verified", None)  # set by django-otp's middleware
    if is_verified and is_verified():
        return True  # asked first: it needs no query of its own once the session's device is loaded
    return not needs_two_factor(user)


def confirmed_device(user) -> TOTPDevice | None:
    """The user's authenticator, once its first code has been accepted."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user) -> TOTPDevice:
    """The authenticator being set up: a new secret, kept until its first code confirms it.

    Reloading the setup page shows the same secret, so a code already scanned stays good.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def check_code(*, device: TOTPDevice, code: str) -> None:
    """Refuse a code the device does not accept, or any code while it is throttled after wrong ones.

    Each wrong code doubles the wait before the next try (django-otp's throttling); a code is
    accepted once only.
    """
    allowed, details = device.verify_is_allowed()
    if not allowed and details and details.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
        raise ActionRefused("Too many wrong codes: wait a minute, then enter the newest code.", field="code")
    if not device.verify_token(code):
        raise ActionRefused(
            "That code is not right. Enter the 6 digits your app shows now; check that your phone's clock is right.",
            field="code",
        )


def confirm_device(*, device: TOTPDevice, code: str, by) -> TOTPDevice:
    """Confirm a new authenticator with its first code; it replaces any the user had before.

    Until a code is accepted nothing changes: the old authenticator (if any) still works.
    """
    check_code(device=device, code=code)
    with transaction.atomic():
        replaced = [old for old in devices_for_user(device.user) if old.pk != device.pk]
        for old in replaced:
            old.delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        write_audit_record(
            by=by,
            action="two_factor.replace" if replaced else "two_factor.confirm",
            target=device.user,
        )
    return device

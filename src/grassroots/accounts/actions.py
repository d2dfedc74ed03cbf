"""Creating and revoking API tokens and demo accounts."""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from grassroots.audit.actions import Actor, write_audit_record
from grassroots.errors import ActionRefused

from .models import ApiToken, token_digest


def create_api_token(*, user, by: Actor, days: int = 90, name: str = "") -> tuple[ApiToken, str]:
    """Issue a bearer token for `user`; returns the record and the token, which is never stored."""
    if not 1 <= days <= 366:
        raise ActionRefused("days: a token lives between 1 and 366 days", field="days")
    token = "gr_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        record = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=token[:10],
            digest=token_digest(token),
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        write_audit_record(by=by, action="token.create", target=record, changes={"user": [None, user.get_username()]})
    return record, token


def revoke_api_token(*, token: ApiToken, by: Actor) -> ApiToken:
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        write_audit_record(by=by, action="token.revoke", target=token)
    return token


def ensure_staff_user(*, username: str, password: str, by: Actor):
    """Create (or reset) a staff account, as the demo does for its printed login."""
    User = get_user_model()
    with transaction.atomic():
        user, created = User.objects.get_or_create(username=username, defaults={"email": username})
        user.is_staff = True
        user.is_active = True
        user.set_password(password)
        user.save()
        write_audit_record(by=by, action="user.create" if created else "user.reset", target=user)
    return user

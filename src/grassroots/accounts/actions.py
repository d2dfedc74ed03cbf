"""Accounts in organizations, API tokens, and the audit of signing in."""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from grassroots.access import OutOfScope, is_operator
from grassroots.audit.actions import Actor, write_audit_record
from grassroots.errors import ActionRefused

from .models import Account, ApiToken, token_digest


def create_account(
    *,
    email: str,
    organization,
    by: Actor,
    person=None,
    is_admin: bool = False,
    password: str | None = None,
) -> Account:
    """Give a user (created if new, named by email) a place in an organization.

    The account's rights come from the organization: administrator, or the posts and membership
    of `person`. Only the installation's operator creates accounts; a user without a password
    cannot sign in until one is set.
    """
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ActionRefused(f"email: '{email}' is not a valid email address", field="email") from None
    if not is_operator(by):
        raise OutOfScope("only the installation's operator creates accounts", organization=organization)
    if person is not None and person.organization_id != organization.pk:
        raise ActionRefused("person: belongs to another organization", field="person")
    User = get_user_model()
    with transaction.atomic():
        user, created = User.objects.get_or_create(username=email, defaults={"email": email})
        if password:
            user.set_password(password)
            user.save(update_fields=["password"])
        elif created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        account, _ = Account.objects.update_or_create(
            user=user, organization=organization, defaults={"person": person, "is_admin": is_admin}
        )
        write_audit_record(
            by=by,
            action="account.create",
            target=account,
            organization=organization,
            changes={
                "user": [None, email],
                "is_admin": [None, is_admin],
                "person": [None, person.pk if person else None],
            },
        )
    return account


def create_api_token(*, user, organization, by: Actor, days: int = 90, name: str = "") -> tuple[ApiToken, str]:
    """Issue a bearer token for `user` in one organization; returns the record and the token,
    which is shown once and stored only as its SHA-256 digest."""
    if not 1 <= days <= 366:
        raise ActionRefused("days: a token lives between 1 and 366 days", field="days")
    if not is_operator(by) and by != user:
        raise OutOfScope("a token is issued to its own user", organization=organization)
    if not is_operator(user) and not Account.objects.filter(user=user, organization=organization).exists():
        raise ActionRefused(f"{user.get_username()} has no account in {organization.slug}", field="organization")
    token = "gr_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        record = ApiToken.objects.create(
            user=user,
            organization=organization,
            name=name,
            prefix=token[:10],
            digest=token_digest(token),
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        write_audit_record(
            by=by,
            action="token.create",
            target=record,
            organization=organization,
            changes={"user": [None, user.get_username()], "expires_at": [None, record.expires_at.isoformat()]},
        )
    return record, token


def revoke_api_token(*, token: ApiToken, by: Actor) -> ApiToken:
    """Revoke a token at once; only its own user or the operator may."""
    if not is_operator(by) and by != token.user:
        raise OutOfScope("only the token's own user revokes it", organization=token.organization)
    if token.revoked_at is not None:
        raise ActionRefused(f"token {token.prefix}… is already revoked")
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        write_audit_record(by=by, action="token.revoke", target=token, organization=token.organization)
    return token


def record_sign_in(*, user, succeeded: bool, username: str = "") -> None:
    """Audit a sign-in or a failed one, once in each organization the user has an account in."""
    User = get_user_model()
    if user is None:
        user = User.objects.filter(username=username).first()
    label = user.get_username() if user is not None else username[:150]
    organizations = (
        list(Account.objects.filter(user=user).values_list("organization_id", flat=True)) if user else []
    ) or [None]
    from grassroots.audit.models import AuditRecord

    AuditRecord.objects.bulk_create(
        AuditRecord(
            organization_id=organization_id,
            actor=user if succeeded else None,
            actor_label=label,
            action="auth.sign_in" if succeeded else "auth.sign_in_failed",
            target_type="auth.user",
            target_id=str(user.pk) if user else "",
            target_label=label,
        )
        for organization_id in organizations
    )

"""Signed one-click unsubscribe tokens, per person and list (a publication): no login needed,
nothing to store, and a token made for one list does not work for another."""

from __future__ import annotations

import functools

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "grassroots.outbox.unsubscribe"


def unsubscribe_token(*, person_id: int, list_key: str) -> str:
    return signing.Signer(salt=SALT).sign_object({"p": person_id, "l": list_key}, compress=False)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """The person and list a token was made for, or None for a token that is not ours."""
    try:
        value = signing.Signer(salt=SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("p"), int) or not isinstance(value.get("l"), str):
        return None
    return value["p"], value["l"]


def absolute(path: str) -> str:
    return settings.GRASSROOTS_BASE_URL.rstrip("/") + path


def unsubscribe_url(*, person_id: int, list_key: str) -> str:
    # Reversed once per process and filled in per recipient: a worker makes one per message.
    return _unsubscribe_prefix() + unsubscribe_token(person_id=person_id, list_key=list_key) + "/"


@functools.cache
def _unsubscribe_base(base_url: str) -> str:
    return base_url.rstrip("/") + reverse("unsubscribe", kwargs={"token": "T"}).removesuffix("T/")


def _unsubscribe_prefix() -> str:
    return _unsubscribe_base(settings.GRASSROOTS_BASE_URL)


def mail_domain() -> str:
    """The domain of Message-IDs, List-Ids and tag URIs: GRASSROOTS_MAIL_DOMAIN, or the sender's."""
    return settings.GRASSROOTS_MAIL_DOMAIN or settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"


def unsubscribe_mailto(*, person_id: int, list_key: str) -> str:
    address = settings.GRASSROOTS_UNSUBSCRIBE_ADDRESS or settings.DEFAULT_FROM_EMAIL
    return f"mailto:{address}?subject=unsubscribe%20{unsubscribe_token(person_id=person_id, list_key=list_key)}"

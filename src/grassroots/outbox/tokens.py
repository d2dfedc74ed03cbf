"""Signed one-click unsubscribe tokens, per person and list (a publication): no login needed,
nothing to store, and a token made for one list does not work for another."""

from __future__ import annotations

import re

from django.conf import settings
from django.core import signing

SALT = "grassroots.outbox.unsubscribe"
# A signed token as it appears in a text: its value (URL-safe base64 of JSON) and signature, joined by ':'.
TOKEN = re.compile(r"[A-Za-z0-9_-]{8,}:[A-Za-z0-9_-]{20,}")
# Where the one-click unsubscribe page lives (grassroots/urls.py routes it from this).
UNSUBSCRIBE_PATH = "unsubscribe/"


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
    return _unsubscribe_prefix() + unsubscribe_token(person_id=person_id, list_key=list_key) + "/"


def _unsubscribe_prefix() -> str:
    # The path is written here, and the URL configuration takes it from here: a worker that
    # reversed it would import every route of the installation (seconds) before its first message.
    return settings.GRASSROOTS_BASE_URL.rstrip("/") + "/" + UNSUBSCRIBE_PATH


def mail_domain() -> str:
    """The domain of Message-IDs, List-Ids and tag URIs: GRASSROOTS_MAIL_DOMAIN, or the sender's."""
    return settings.GRASSROOTS_MAIL_DOMAIN or settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"


def _mailto(token: str) -> str:
    address = settings.GRASSROOTS_UNSUBSCRIBE_ADDRESS or settings.DEFAULT_FROM_EMAIL
    return f"mailto:{address}?subject=unsubscribe%20{token}"


def unsubscribe_links(*, person_id: int, list_key: str) -> tuple[str, str]:
    """A recipient's https and mailto unsubscribe addresses, from one signed token (a worker makes
    them for every message: signing once, not twice)."""
    token = unsubscribe_token(person_id=person_id, list_key=list_key)
    return _unsubscribe_prefix() + token + "/", _mailto(token)

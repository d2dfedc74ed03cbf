"""Reads about a user's own account: their API tokens."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from .models import ApiToken


def tokens_of(user) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first, usable or not."""
    return ApiToken.objects.filter(user=user).select_related("organization").order_by("-created_at", "-pk")


def token_of(user, pk: int) -> ApiToken:
    """One of the user's own tokens; anyone else's is a 404, as if it did not exist."""
    token = tokens_of(user).filter(pk=pk).first()
    if token is None:
        raise Http404("no such token")
    return token

"""Secret calendar feed addresses: created, listed and revoked by their owner, audited. The
address holds a random secret; only its SHA-256 digest is kept."""

from __future__ import annotations

import hashlib
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from grassroots.access import OutOfScope, Right, grants_for
from grassroots.audit.actions import write_audit_record
from grassroots.errors import ActionRefused
from grassroots.organizations.models import Organization, Unit

from ..models import FeedToken, MeetingEvent


def feed_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_feed(*, owner, organization: Organization, scope: str, unit: Unit | None = None) -> tuple[FeedToken, str]:
    """A new secret feed address for `owner`: a unit's meetings (a unit they may see), a unit's
    whole subtree (for its officers: those who manage it), or their own meetings (a person of the
    organization). Returns the feed and its secret, shown once."""
    if scope not in FeedToken.Scope.values:
        raise ActionRefused(f"scope: '{scope}' is not one of {', '.join(FeedToken.Scope.values)}", field="scope")
    grants = grants_for(owner, organization.pk)
    if scope == FeedToken.Scope.MINE:
        unit = None
        if grants.person_id is None:
            raise ActionRefused("scope: you are no person of this organization, so you have no meetings", field="scope")
    else:
        if unit is None or unit.organization_id != organization.pk:
            raise ActionRefused("unit: a unit's feed needs the unit", field="unit")
        right = Right.MANAGE_UNITS if scope == FeedToken.Scope.SUBTREE else Right.VIEW_UNITS
        visible = grants.everything or grants.allows(right, unit.path)
        if right == Right.VIEW_UNITS and grants.member_unit_path == unit.path:
            visible = True
        if not visible:
            raise OutOfScope(f"you may not follow the meetings of {unit.name}", organization=organization, unit=unit)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        feed = FeedToken.objects.create(
            owner=owner, organization=organization, scope=scope, unit=unit, digest=feed_digest(secret)
        )
        write_audit_record(
            by=owner,
            action="meeting.feed.create",
            target=feed,
            organization=organization,
            unit=unit,
            changes={"scope": [None, scope], "unit": [None, unit.slug if unit else None]},
        )
    return feed, secret


def revoke_feed(*, feed: FeedToken, by) -> FeedToken:
    """End a feed address: its next request answers 404. Only its owner revokes it."""
    if feed.owner_id != getattr(by, "pk", None):
        raise OutOfScope("only its owner revokes a feed", organization=feed.organization)
    with transaction.atomic():
        if feed.revoked_at is None:
            feed.revoked_at = timezone.now()
            feed.save(update_fields=["revoked_at"])
            write_audit_record(
                by=by,
                action="meeting.feed.revoke",
                target=feed,
                organization=feed.organization,
                unit=feed.unit,
                changes={"revoked": [None, True]},
            )
    return feed


def keep_events(written: dict[int, tuple[str, bytes]]) -> None:
    """Keep the VEVENTs a feed request wrote (meeting id: digest and bytes) for every later
    request in any process: one upsert, in meeting order (two feeds keeping the same meetings at
    once take their rows in the same order). Not audited: a copy of what the meetings say, which
    anyone may write again. A meeting deleted meanwhile keeps nothing, and nothing else fails."""
    if not written:
        return
    rows = [MeetingEvent(meeting_id=pk, digest=digest, ical=body) for pk, (digest, body) in sorted(written.items())]
    try:
        with transaction.atomic():
            MeetingEvent.objects.bulk_create(
                rows, update_conflicts=True, unique_fields=["meeting"], update_fields=["digest", "ical"]
            )
    except IntegrityError:
        pass  # a meeting went away while its feed was written: the next request keeps the others


def keep_feed_body(*, feed: FeedToken, etag: str, body: bytes) -> None:
    """Keep a feed's body under its ETag (one `UPDATE`), for its next request in any process.
    Not audited, like `keep_events`: the body follows from the meetings and the owner's rights."""
    FeedToken.objects.filter(pk=feed.pk).update(kept_etag=etag, kept_body=body)

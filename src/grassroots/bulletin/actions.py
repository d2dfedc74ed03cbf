"""Writes of the bulletin: publications, issues with their articles, sending an issue through the
outbox, and subscriptions (double opt-in, one-click unsubscribe). Each checks the actor's right,
changes, and writes its audit record in one transaction.

Publishing is managing: an organization's publication needs the right over the whole organization
(its administrators), a unit's publication the right to manage that unit's subtree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from grassroots.access import Right, authorize, grants_for, is_operator
from grassroots.audit.actions import write_audit_record
from grassroots.errors import ActionRefused, control_character
from grassroots.organizations.models import Organization, Unit
from grassroots.outbox import actions as outbox
from grassroots.outbox.models import UNSUBSCRIBE_MARK, Mailing
from grassroots.outbox.selectors import delivery_counts, variants_queued
from grassroots.outbox.tokens import mail_domain
from grassroots.people import actions as people_actions
from grassroots.people.models import Consent, Person
from grassroots.people.normalize import is_email, normal_email, normal_text

from .models import Article, FeedToken, Issue, Publication, Subscription
from .rendering import article_html, mail_parts, subject_of
from .selectors import (
    all_statuses,
    audience_of,
    editions_of,
    issue_audience,
    list_recipient,
    subscription_of,
)

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
CONSENT_PURPOSE = "email bulletins"


def authorize_publishing(by, publication: Publication) -> None:
    """Refuse (403) whoever may not publish in the publication's place."""
    authorize(by, Right.MANAGE_UNITS, publication.unit, organization=publication.organization)


def _text(
    field: str,
    value: str,
    limit: int,
    *,
    required: bool = True,
    part: tuple[str, str] | None = None,
    lines: bool = False,
) -> str:
    """The text stripped; refused when empty (if required), longer than `limit`, or, unless
    `lines`, holding a line break or control character (a title is one line). `part` names
    the article it belongs to: its words ("article 2 ('Rent')") and its key ("articles.1"), so
    the refusal reads "article 2 ('Rent'): give its body" with the field "articles.1.body"."""
    value = (value or "").strip()
    name = f"{part[1]}.{field}" if part else field
    where = f"{part[0]}: its {field}" if part else field
    if required and not value:
        raise ActionRefused(f"{part[0]}: give its {field}" if part else f"{field}: give a {field}", field=name)
    if len(value) > limit:
        raise ActionRefused(f"{where}: at most {limit} characters, not {len(value)}", field=name)
    bad = None if lines else control_character(value)
    if bad is not None:
        raise ActionRefused(
            f"{where}: one line, without line breaks or control characters (found U+{ord(bad):04X})", field=name
        )
    return value


def add_publication(
    *,
    organization: Organization,
    name: str,
    by,
    unit: Unit | None = None,
    colour: str = "#8b1e1e",
    footer: str = "",
) -> Publication:
    """Start a publication of the organization or of one of its units."""
    name = _text("name", name, 200)
    if not COLOUR.match(colour or ""):
        raise ActionRefused(f"colour: '{colour}' is not a colour written #rrggbb", field="colour")
    if unit is not None and unit.organization_id != organization.pk:
        raise ActionRefused("unit: not a unit of this organization", field="unit")
    slug = slugify(name)[:80] or "bulletin"
    with transaction.atomic():
        authorize(by, Right.MANAGE_UNITS, unit, organization=organization)
        if Publication.objects.filter(organization=organization, slug=slug).exists():
            raise ActionRefused(f"name: {organization.name} already has a publication called '{slug}'", field="name")
        publication = Publication.objects.create(
            organization=organization, unit=unit, name=name, slug=slug, colour=colour, footer=footer.strip()
        )
        write_audit_record(
            by=by,
            action="bulletin.publication.add",
            target=publication,
            organization=organization,
            unit=unit,
            changes={"name": [None, name], "unit": [None, unit.name if unit else None]},
        )
    return publication


def add_issue(
    *,
    publication: Publication,
    title: str,
    by,
    on: dt.date | None = None,
    articles: list[dict] | None = None,
) -> Issue:
    """Draft the next issue of a publication, with its articles (title, body in Markdown, author,
    visibility: public, members, or subtree with a unit of the organization; for a unit's
    publication, that unit or one below it, as its audience is). Refused, naming the article and
    `visibility_unit`, otherwise, and for a unit given with another visibility."""
    title = _text("title", title, 200)
    checked = [_checked_article(index, article, publication) for index, article in enumerate(articles or [], 1)]
    rendered = [article_html(fields["body"]) for fields in checked]  # before the transaction: see _body_html
    with transaction.atomic():
        authorize_publishing(by, publication)
        number = (publication.issues.aggregate(last=Max("number"))["last"] or 0) + 1
        issue = Issue.objects.create(
            publication=publication, number=number, title=title, date=on or timezone.localdate()
        )
        Article.objects.bulk_create(
            Article(issue=issue, position=i, body_html=html, **fields)
            for i, (fields, html) in enumerate(zip(checked, rendered, strict=True), 1)
        )
        write_audit_record(
            by=by,
            action="bulletin.issue.add",
            target=issue,
            organization=publication.organization,
            unit=publication.unit,
            changes={"title": [None, title], "articles": [None, len(checked)]},
        )
    return issue


def _checked_article(index: int, article: dict, publication: Publication) -> dict:
    title = (article.get("title") or "").strip()
    where = f"article {index} ('{title[:60]}')" if title else f"article {index}"
    part = (where, f"articles.{index - 1}")
    visibility = article.get("visibility") or Article.Visibility.MEMBERS
    if visibility not in Article.Visibility.values:
        raise ActionRefused(
            f"{where}: visibility '{visibility}' is not one of {', '.join(Article.Visibility.values)}",
            field="visibility",
        )
    unit = article.get("visibility_unit")
    if visibility == Article.Visibility.SUBTREE:
        if unit is None or unit.organization_id != publication.organization_id:
            raise ActionRefused(f"{where}: a subtree article needs a unit of the organization", field="visibility_unit")
        home = publication.unit
        if home is not None and not unit.path.startswith(home.path):
            raise ActionRefused(
                f"{where}: unit '{unit.slug}' ({unit.name}) lies outside {home.name}, whose publication this is:"
                f" a subtree article is for {home.name} or a unit below it",
                field="visibility_unit",
            )
    elif unit is not None:
        raise ActionRefused(
            f"{where}: unit is only for a subtree article (this one's visibility is '{visibility}')",
            field="visibility_unit",
        )
    return {
        "title": _text("title", article.get("title", ""), 200, part=part),
        "author": _text("author", article.get("author", ""), 200, required=False, part=part),
        "body": _text("body", article.get("body", ""), 200_000, part=part, lines=True),
        "visibility": visibility,
        "visibility_unit": unit,
    }


MAX_ARTICLES = 100
EDITABLE = (Issue.Status.DRAFT, Issue.Status.SCHEDULED)


def _editable(issue: Issue) -> None:
    """Refuse to change the articles of an issue being sent or sent (its mail is written)."""
    if issue.status not in EDITABLE:
        raise ActionRefused(f"{issue.label} is {issue.status}: its articles can only be changed before it is sent")


def _renumber(issue: Issue, ordered: list[Article]) -> None:
    """Give the issue's articles the positions 1..n in the order given, in one UPDATE."""
    for position, article in enumerate(ordered, 1):
        article.position = position
    Article.objects.bulk_update(ordered, ["position"])


def _body_html(body: str) -> str:
    """The body, stripped as `_checked_article` keeps it, rendered to the HTML stored with it.
    Called before the action's transaction: a long body takes a second or more to render, and on
    SQLite the transaction holds the database's write lock from its first statement."""
    return article_html((body or "").strip())


def _article_record(by, issue: Issue, target: Article, action: str, changes: dict) -> None:
    publication = issue.publication
    write_audit_record(
        by=by,
        action=action,
        target=target,
        organization=publication.organization,
        unit=publication.unit,
        changes=changes,
    )


def add_article(
    *,
    issue: Issue,
    by,
    title: str,
    body: str,
    author: str = "",
    visibility: str = Article.Visibility.MEMBERS,
    visibility_unit: Unit | None = None,
    position: int | None = None,
) -> Article:
    """Add an article to a draft or scheduled issue, at `position` (1 is first; default: last),
    with its visibility checked as `add_issue` checks it (a subtree article needs a unit of the
    publication's place). Refused, naming the article and its field, otherwise; at most
    MAX_ARTICLES articles."""
    publication = issue.publication
    html = _body_html(body)
    with transaction.atomic():
        authorize_publishing(by, publication)
        issue = Issue.objects.select_for_update().select_related("publication").get(pk=issue.pk)
        _editable(issue)
        ordered = list(issue.articles.all())
        if len(ordered) >= MAX_ARTICLES:
            raise ActionRefused(f"{issue.label} has {MAX_ARTICLES} articles, the most an issue holds", field="articles")
        index = len(ordered) + 1 if position is None else min(max(position, 1), len(ordered) + 1)
        fields = _checked_article(
            index,
            {
                "title": title,
                "body": body,
                "author": author,
                "visibility": visibility,
                "visibility_unit": visibility_unit,
            },
            publication,
        )
        article = Article.objects.create(issue=issue, position=index, body_html=html, **fields)
        ordered.insert(index - 1, article)
        _renumber(issue, ordered)
        _article_record(
            by, issue, article, "bulletin.article.add", {"title": [None, fields["title"]], "position": [None, index]}
        )
    return article


def edit_article(
    *,
    article: Article,
    by,
    title: str | None = None,
    body: str | None = None,
    author: str | None = None,
    visibility: str | None = None,
    visibility_unit: Unit | None = None,
    position: int | None = None,
) -> Article:
    """Change an article of a draft or scheduled issue: the fields given (None keeps one; the
    unit is kept only while the visibility is), and its place with `position` (1 is first; beyond
    the last: last). Checked as `add_article` checks a new one; a changed body is rendered again."""
    issue = article.issue
    publication = issue.publication
    html = _body_html(body) if body is not None and body.strip() != article.body else None
    with transaction.atomic():
        authorize_publishing(by, publication)
        issue = Issue.objects.select_for_update().select_related("publication").get(pk=issue.pk)
        _editable(issue)
        ordered = list(issue.articles.select_related("visibility_unit"))
        current = next((a for a in ordered if a.pk == article.pk), None)
        if current is None:
            raise ActionRefused(f"{issue.label} has no such article any more", field="article")
        index = ordered.index(current) + 1
        same_visibility = visibility is None or visibility == current.visibility
        fields = _checked_article(
            index,
            {
                "title": current.title if title is None else title,
                "body": current.body if body is None else body,
                "author": current.author if author is None else author,
                "visibility": current.visibility if visibility is None else visibility,
                "visibility_unit": visibility_unit or (current.visibility_unit if same_visibility else None),
            },
            publication,
        )
        changes = {
            name: [
                getattr(current, name) if name != "visibility_unit" else _slug(current.visibility_unit),
                value if name != "visibility_unit" else _slug(value),
            ]
            for name, value in fields.items()
            if (getattr(current, name) if name != "visibility_unit" else current.visibility_unit) != value
        }
        saved = list(fields)
        if fields["body"] != current.body:
            # Rendered above, unless the caller's copy of the article was older than the row.
            current.body_html = html if html is not None else article_html(fields["body"])
            saved.append("body_html")
        for name, value in fields.items():
            setattr(current, name, value)
        current.save(update_fields=saved)
        if position is not None:
            target = min(max(position, 1), len(ordered))
            if target != index:
                ordered.remove(current)
                ordered.insert(target - 1, current)
                _renumber(issue, ordered)
                changes["position"] = [index, target]
        if changes:
            _article_record(by, issue, current, "bulletin.article.edit", changes)
    return current


def _slug(unit: Unit | None) -> str | None:
    return unit.slug if unit is not None else None


def remove_article(*, article: Article, by) -> None:
    """Remove an article from a draft or scheduled issue; the others close up behind it."""
    issue = article.issue
    with transaction.atomic():
        authorize_publishing(by, issue.publication)
        issue = Issue.objects.select_for_update().select_related("publication").get(pk=issue.pk)
        _editable(issue)
        ordered = [a for a in issue.articles.all() if a.pk != article.pk]
        _article_record(by, issue, article, "bulletin.article.remove", {"title": [article.title, None]})
        Article.objects.filter(pk=article.pk, issue=issue).delete()
        _renumber(issue, ordered)


def check_audience(publication: Publication, unit: Unit | None, statuses: list[str]) -> Unit | None:
    """Refuse statuses the constitution does not name, and a subtree outside the publication's;
    return the audience's root (the unit, or the publication's own)."""
    known = all_statuses(publication.organization)
    for status in statuses:
        if status not in known:
            raise ActionRefused(f"status: '{status}' is not a member status ({', '.join(known)})", field="status")
    root = unit or publication.unit
    if unit is not None and publication.unit is not None and not unit.path.startswith(publication.unit.path):
        raise ActionRefused(
            f"unit: {unit.name} is outside {publication.unit.name}, whose publication this is", field="unit"
        )
    return root


def _confirmed_audience(by, issue, root, statuses, confirm: int) -> int:
    """Inside the send's transaction: the right to publish there, and the exact recipient count the
    caller typed (refused, naming `confirm`, otherwise). Returns the count."""
    publication = issue.publication
    authorize_publishing(by, publication)
    authorize(by, Right.MANAGE_UNITS, root, organization=publication.organization)
    count = issue_audience(issue=issue, unit=root, statuses=statuses).recipients
    _refuse_unconfirmed(count, confirm)
    return count


def _refuse_unconfirmed(count: int, confirm: int) -> None:
    if confirm != count:
        raise ActionRefused(
            f"confirm: the issue would go to {count} recipients; confirm with that number, not {confirm}",
            field="confirm",
        )


def send_issue(
    *, issue: Issue, by, confirm: int, unit: Unit | None = None, statuses: list[str] | None = None
) -> Mailing:
    """Send a draft issue to its audience through the outbox: one delivery row per recipient,
    written at once. `confirm` must be the exact number of recipients (shown before sending),
    checked against the rows written (refused, naming `confirm`, and nothing kept otherwise);
    sending to the whole organization needs the right over the whole organization."""
    publication = issue.publication
    statuses = list(statuses or [])
    root = check_audience(publication, unit, statuses)
    if issue.status not in (Issue.Status.DRAFT, Issue.Status.SCHEDULED):
        raise ActionRefused(f"{issue.label} is {issue.status}: only a draft or scheduled issue can be sent")
    articles = list(issue.articles.select_related("visibility_unit"))
    if not articles:
        raise ActionRefused(f"{issue.label} has no article to send")
    with transaction.atomic():
        authorize_publishing(by, publication)
        authorize(by, Right.MANAGE_UNITS, root, organization=publication.organization)
        editions = editions_of(publication=publication, articles=articles, root=root)
        domain = publication.organization.slug
        mailing = outbox.queue_mailing(
            organization=publication.organization,
            source=f"bulletin.issue:{issue.pk}",
            subject=subject_of(issue),
            text_body="",
            html_body="",
            recipients=audience_of(publication=publication, unit=root, statuses=statuses),
            variant=editions.variant,
            skip_reason=editions.skip_reason,
            list_id=f"{publication.name} <{publication.slug}.{domain}.{mail_domain()}>",
            list_key=publication.list_key,
            label=issue.label,
            by=by,
        )
        # The audience is read once, by the INSERT: the rows it wrote with an address and
        # something to read are the recipients, and they must be the number confirmed (refused
        # otherwise, and every row with it), so what was confirmed is exactly what is sent, with
        # no second count to race. Each edition present is rendered once, with only its articles.
        variants = variants_queued(mailing)
        count = sum(variants.values())
        _refuse_unconfirmed(count, confirm)
        parts = {}
        for variant in variants:
            _, text, html = mail_parts(
                issue=issue, articles=editions.articles_of(variant), unsubscribe_url=UNSUBSCRIBE_MARK
            )
            parts[variant] = (text, html)
        outbox.add_editions(mailing=mailing, editions=parts)
        issue.mailing = mailing
        issue.status = Issue.Status.SENDING
        issue.audience_unit = root
        issue.audience_statuses = statuses
        issue.save(update_fields=["mailing", "status", "audience_unit", "audience_statuses"])
        write_audit_record(
            by=by,
            action="bulletin.issue.send",
            target=issue,
            organization=publication.organization,
            unit=publication.unit,
            changes={"status": ["draft", "sending"], "recipients": [None, count]},
        )
    return mailing


def schedule_issue(
    *,
    issue: Issue,
    at: dt.datetime,
    by,
    confirm: int,
    unit: Unit | None = None,
    statuses: list[str] | None = None,
) -> Issue:
    """Schedule a draft issue to be sent at `at` (an aware time in the future) to the audience,
    confirmed now by its exact count as a send is; at that time it goes to the audience as it is then."""
    publication = issue.publication
    statuses = list(statuses or [])
    root = check_audience(publication, unit, statuses)
    if at.tzinfo is None:
        raise ActionRefused("at: give the time with its zone", field="at")
    if at <= timezone.now():
        raise ActionRefused(f"at: {at.isoformat()} has passed; send the issue now instead", field="at")
    if issue.status != Issue.Status.DRAFT:
        raise ActionRefused(f"{issue.label} is {issue.status}: only a draft can be scheduled")
    if not issue.articles.exists():
        raise ActionRefused(f"{issue.label} has no article to send")
    with transaction.atomic():
        count = _confirmed_audience(by, issue, root, statuses, confirm)
        issue.status, issue.scheduled_for = Issue.Status.SCHEDULED, at
        issue.audience_unit, issue.audience_statuses = root, statuses
        issue.save(update_fields=["status", "scheduled_for", "audience_unit", "audience_statuses"])
        write_audit_record(
            by=by,
            action="bulletin.issue.schedule",
            target=issue,
            organization=publication.organization,
            unit=publication.unit,
            changes={"status": ["draft", "scheduled"], "at": [None, at.isoformat()], "recipients": [None, count]},
        )
    return issue


def send_scheduled_issue(*, issue: Issue, now: dt.datetime | None = None) -> Mailing | None:
    """Send a scheduled issue whose time has come, to its audience as it is now (None when it is
    not scheduled any more, or not yet due)."""
    now = now or timezone.now()
    if issue.status != Issue.Status.SCHEDULED or issue.scheduled_for is None or issue.scheduled_for > now:
        return None
    audience = {"unit": issue.audience_unit, "statuses": issue.audience_statuses}
    count = issue_audience(issue=issue, **audience).recipients
    return send_issue(issue=issue, by="schedule", confirm=count, **audience)


def pause_issue(*, issue: Issue, by) -> Issue:
    """Pause the sending of an issue: no new row is handed out; nothing is lost. Refused for an
    issue not being sent, and for one whose every message went (nothing is left to pause)."""
    authorize_publishing(by, issue.publication)
    if issue.mailing is None:
        raise ActionRefused(f"{issue.label} is not being sent")
    if issue.status == Issue.Status.SENT:
        raise ActionRefused(f"{issue.label} was sent completely: there is nothing left to pause")
    outbox.pause_mailing(mailing=issue.mailing, by=by)
    return issue


def resume_issue(*, issue: Issue, by) -> Issue:
    """Resume a paused issue from where it stopped."""
    authorize_publishing(by, issue.publication)
    if issue.mailing is None:
        raise ActionRefused(f"{issue.label} is not being sent")
    if issue.status == Issue.Status.SENT:
        raise ActionRefused(f"{issue.label} was sent completely: there is nothing left to resume")
    outbox.resume_mailing(mailing=issue.mailing, by=by)
    return issue


def close_sent_issue(sender, *, mailing: Mailing, **kwargs) -> None:
    """Mark the issue of a finished mailing sent (the outbox announces it when no row is queued or sending)."""
    issue = Issue.objects.filter(mailing=mailing).select_related("publication").first()
    if issue is None or issue.status == Issue.Status.SENT:
        return
    issue.status, issue.sent_at = Issue.Status.SENT, timezone.now()
    issue.save(update_fields=["status", "sent_at"])
    counts = delivery_counts(mailing)
    outcome = f"{counts['sent']} sent, {counts['failed']} failed"
    if counts["skipped"]:
        outcome += f", {counts['skipped']} skipped"
    write_audit_record(
        by="system",
        action="bulletin.issue.sent",
        target=issue,
        organization=issue.publication.organization,
        unit=issue.publication.unit,
        changes={"status": ["sending", "sent"], "deliveries": [None, outcome]},
    )


def unsubscribe_on_complaint(sender, *, delivery, **kwargs) -> None:
    """The outbox received a complaint about a delivery: unsubscribe its person from its publication."""
    found = list_recipient(delivery.person_id, delivery.mailing.list_key)
    if found is not None:
        unsubscribe(person=found[1], publication=found[0], by="complaint", source="complaint")


def unsubscribe_by_mail(sender, *, person_id: int, list_key: str, source: str, **kwargs) -> str | None:
    """The outbox read a message to the List-Unsubscribe mailto address: unsubscribe the person its
    token names from the publication. "unsubscribed" when it acted, "unchanged" when they already
    were, None when the token is not for one of our publications."""
    found = list_recipient(person_id, list_key)
    if found is None:
        return None
    publication, person = found
    before = subscription_of(person, publication)
    if before is not None and before.state == Subscription.State.UNSUBSCRIBED:
        return "unchanged"
    unsubscribe(person=person, publication=publication, by="unsubscribe mail", source=source)
    return "unsubscribed"


def feed_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_feed_token(*, publication: Publication, by) -> tuple[FeedToken, str]:
    """Make the secret address of `by`'s members' feed of a publication (shown once, stored as its
    digest); any earlier one of theirs for it is revoked. Only for someone of the organization."""
    if is_operator(by) or grants_for(by, publication.organization_id).is_empty:
        raise ActionRefused("a members' feed is for someone who belongs to the organization")
    secret = secrets.token_urlsafe(24)
    now = timezone.now()
    with transaction.atomic():
        FeedToken.objects.filter(publication=publication, user=by, revoked_at__isnull=True).update(revoked_at=now)
        token = FeedToken.objects.create(publication=publication, user=by, digest=feed_digest(secret), created_at=now)
        write_audit_record(
            by=by, action="bulletin.feed_token.create", target=token, organization=publication.organization
        )
    return token, secret


def revoke_feed_token(*, token: FeedToken, by) -> FeedToken:
    """Revoke exactly this members' feed address of `by`'s (found with `selectors.feed_token_of`,
    which answers 404 for anyone else's): it answers nothing from now on. Revoking it again
    changes nothing (its first revocation time is kept, no second audit record)."""
    if token.user_id != getattr(by, "pk", None):
        raise ActionRefused("token: only the person who made a members' feed address revokes it", field="token")
    if token.revoked_at is not None:
        return token
    with transaction.atomic():
        token.revoked_at = timezone.now()
        FeedToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=token.revoked_at)
        write_audit_record(
            by=by, action="bulletin.feed_token.revoke", target=token, organization=token.publication.organization
        )
    return token


def subscribe(*, person: Person, publication: Publication, by, source: str = "web") -> Subscription:
    """Ask to receive a publication (a supporter): unconfirmed until the person confirms. Who had
    unsubscribed stays unsubscribed (kept `unsubscribed_at`) until they confirm themselves."""
    if person.organization_id != publication.organization_id:
        raise ActionRefused("person: not a person of this publication's organization", field="person")
    with transaction.atomic():
        # A person may subscribe themselves (source "self"); anyone else needs the right to change their record.
        if source != "self" or is_operator(by) or grants_for(by, publication.organization_id).person_id != person.pk:
            authorize(by, Right.EDIT_PEOPLE, _unit_of(person), organization=publication.organization)
        subscription, created = Subscription.objects.get_or_create(
            person=person,
            publication=publication,
            defaults={"state": Subscription.State.UNCONFIRMED, "source": source[:40], "created_at": timezone.now()},
        )
        if not created and subscription.state != Subscription.State.CONFIRMED:
            # `unsubscribed_at` stays until they confirm: who unsubscribed gets nothing on anyone's request.
            subscription.state, subscription.source = Subscription.State.UNCONFIRMED, source[:40]
            subscription.save(update_fields=["state", "source"])
        write_audit_record(
            by=by,
            action="bulletin.subscribe",
            target=subscription,
            organization=publication.organization,
            unit=_unit_of(person),
            changes={"state": [None, subscription.state]},
        )
    return subscription


def request_subscription(
    *,
    publication: Publication,
    name: str,
    email: str,
    consent_version: str,
    confirm_url: Callable[[Subscription], str],
    by="public form",
    now: dt.datetime | None = None,
) -> Subscription | None:
    """The public subscribe form: anyone asks for a publication to be mailed to an address, ticking
    the consent text of `consent_version` (the publication's current one). The person with that
    address is used (or a new one recorded, with no unit: a supporter by subscription alone), the
    subscription is unconfirmed until they follow the link mailed through the outbox.

    What the caller sees never depends on whether the address is known: nothing is mailed (None)
    to an address already confirmed, nor twice within GRASSROOTS_CONFIRM_COOLDOWN_SECONDS; more
    than GRASSROOTS_CONFIRMATIONS_PER_HOUR confirmation mails an hour in the organization are refused."""
    now = now or timezone.now()
    organization = publication.organization
    name = _text("name", normal_text(name), 200)
    address = normal_email(email)
    if not is_email(address) or len(address) > 254:
        raise ActionRefused("email: give the address to send the bulletin to", field="email")
    if consent_version != publication.consent_version:
        raise ActionRefused(
            f"consent: the consent text changed (now version {publication.consent_version}); read it and tick it again",
            field="consent",
        )
    source = "web form"
    with transaction.atomic():
        recent = Mailing.objects.filter(
            organization=organization,
            source__startswith="bulletin.confirm:",
            created_at__gte=now - dt.timedelta(hours=1),
        ).count()
        if recent >= settings.GRASSROOTS_CONFIRMATIONS_PER_HOUR:
            raise ActionRefused("too many subscriptions were asked for in the last hour: try again later")
        person = (
            Person.objects.filter(organization=organization, email=address, erased_at__isnull=True)
            .order_by("pk")
            .first()
        )
        if person is None:
            person = people_actions.add_person(
                organization=organization, name=name, email=address, by=by, allow_duplicate=True
            )
        subscription = Subscription.objects.select_for_update().filter(person=person, publication=publication).first()
        if subscription is not None and subscription.state == Subscription.State.CONFIRMED:
            return None
        cooldown = now - dt.timedelta(seconds=settings.GRASSROOTS_CONFIRM_COOLDOWN_SECONDS)
        if (
            subscription is not None
            and subscription.state == Subscription.State.UNCONFIRMED
            and Mailing.objects.filter(
                source__startswith=f"bulletin.confirm:{subscription.pk}:", created_at__gte=cooldown
            ).exists()
        ):
            return None
        before = subscription.state if subscription is not None else None
        if subscription is None:
            subscription = Subscription(person=person, publication=publication, created_at=now)
        subscription.state, subscription.source = Subscription.State.UNCONFIRMED, source
        # `unsubscribed_at` stays until they confirm: a stranger typing a member's address into
        # the form does not undo their unsubscribing (`selectors.audience_of`).
        subscription.consent_version = consent_version
        subscription.save()
        write_audit_record(
            by=by,
            action="bulletin.subscribe",
            target=subscription,
            organization=organization,
            unit=_unit_of(person),
            changes={
                "state": [before, subscription.state],
                "source": [None, source],
                "consent_version": [None, consent_version],
            },
        )
        ask_for_confirmation(subscription=subscription, confirm_url=confirm_url(subscription), by=by)
    return subscription


def change_subscription(
    *, person: Person, publication: Publication, state: str, by, confirm_url: Callable[[Subscription], str]
) -> Subscription:
    """An organizer changes a person's subscription: "unconfirmed" subscribes them and mails the
    link that confirms it (double opt-in: nobody is confirmed for someone else), "unsubscribed"
    unsubscribes them (idempotent). Needs the right to change the person's record."""
    if person.organization_id != publication.organization_id:
        raise ActionRefused("person: not a person of this publication's organization", field="person")
    if state == Subscription.State.UNSUBSCRIBED:
        with transaction.atomic():
            authorize(by, Right.EDIT_PEOPLE, _unit_of(person), organization=publication.organization)
            return unsubscribe(person=person, publication=publication, by=by, source="organizer")
    if state != Subscription.State.UNCONFIRMED:
        raise ActionRefused(
            f"state: '{state}' cannot be set; set unconfirmed (a confirmation link is mailed) or unsubscribed",
            field="state",
        )
    with transaction.atomic():
        subscription = subscribe(person=person, publication=publication, by=by, source="organizer")
        if subscription.state == Subscription.State.UNCONFIRMED:
            ask_for_confirmation(subscription=subscription, confirm_url=confirm_url(subscription), by=by)
    return subscription


def ask_for_confirmation(*, subscription: Subscription, confirm_url: str, by) -> Mailing:
    """Mail the person the link that confirms their subscription (the double opt-in), through the
    outbox like every message; the subscription stays unconfirmed until they follow it."""
    if subscription.state != Subscription.State.UNCONFIRMED:
        raise ActionRefused(f"the subscription is {subscription.state}: there is nothing to confirm")
    person, publication = subscription.person, subscription.publication
    if not person.email:
        raise ActionRefused(f"{person.name} has no email address to confirm with", field="person")
    text = (
        f"Someone asked for {publication.name} to be sent to {person.email}.\n\n"
        f"To confirm, open this address and press the button (consent text version {publication.consent_version}):\n"
        f"{confirm_url}\n\nIf it was not you, ignore this message: nothing will be sent.\n\n{publication.footer}\n"
    )
    return outbox.queue_mailing(
        organization=publication.organization,
        source=f"bulletin.confirm:{subscription.pk}:{timezone.now().timestamp():.0f}",
        subject=f"Confirm your subscription to {publication.name}",
        text_body=text,
        html_body="",
        recipients=Person.objects.filter(pk=person.pk),
        by=by,
    )


def confirm_subscription(*, subscription: Subscription, by) -> Subscription:
    """The second step of the double opt-in: the person confirms, and their consent to email
    bulletins is recorded once, as a consent record of the people app (not a copy of it)."""
    if subscription.state == Subscription.State.CONFIRMED:
        return subscription
    publication, person = subscription.publication, subscription.person
    now = timezone.now()
    with transaction.atomic():
        # A consent the person already gave to email bulletins under this version is used, not duplicated.
        consent = Consent.objects.filter(
            person=person,
            purpose=CONSENT_PURPOSE,
            policy_version=publication.consent_version,
            withdrawn_at__isnull=True,
        ).first()
        given = consent is None
        if consent is None:
            consent = Consent.objects.create(
                person=person, purpose=CONSENT_PURPOSE, policy_version=publication.consent_version, given_at=now
            )
        subscription.state, subscription.confirmed_at, subscription.unsubscribed_at = "confirmed", now, None
        subscription.consent, subscription.consent_version = consent, publication.consent_version
        subscription.save()
        unit = _unit_of(person)
        if given:
            write_audit_record(
                by=by,
                action="consent.give",
                target=consent,
                organization=publication.organization,
                unit=unit,
                changes={"purpose": [None, CONSENT_PURPOSE], "policy_version": [None, consent.policy_version]},
            )
        write_audit_record(
            by=by,
            action="bulletin.subscribe.confirm",
            target=subscription,
            organization=publication.organization,
            unit=unit,
            changes={"state": ["unconfirmed", "confirmed"]},
        )
    return subscription


def unsubscribe(*, person: Person, publication: Publication, by, source: str = "one-click") -> Subscription:
    """Stop sending the publication to the person; idempotent (a second unsubscribe changes
    nothing and writes nothing). Their membership and its status are not touched; a consent given
    for the subscription is withdrawn."""
    now = timezone.now()
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(person=person, publication=publication).first()
        if subscription is not None and subscription.state == Subscription.State.UNSUBSCRIBED:
            return subscription
        if subscription is None:
            subscription = Subscription(person=person, publication=publication, source=source[:40], created_at=now)
        before = subscription.state or None
        subscription.state, subscription.unsubscribed_at = Subscription.State.UNSUBSCRIBED, now
        subscription.save()
        if subscription.consent_id:
            Consent.objects.filter(pk=subscription.consent_id, withdrawn_at__isnull=True).update(withdrawn_at=now)
        write_audit_record(
            by=by,
            action="bulletin.unsubscribe",
            target=subscription,
            organization=publication.organization,
            unit=_unit_of(person),
            changes={"state": [before, "unsubscribed"], "source": [None, source]},
        )
    return subscription


def _unit_of(person: Person) -> Unit | None:
    return (
        Unit.objects.filter(organization_id=person.organization_id, path=person.unit_path).first()
        if person.unit_path
        else None
    )

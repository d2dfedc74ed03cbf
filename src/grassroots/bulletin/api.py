"""REST endpoints of the bulletin: publications, issues with their articles, the audience count,
send and the delivery status. Reading publications needs a grant in the organization; drafting,
counting and sending need the right to publish there (the whole organization for its own
publication, the unit's subtree for a unit's). The public archive and the Atom feed are pages."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Status
from pydantic import Field

from grassroots.api.pagination import paginated
from grassroots.api.schemas import NO_NUL, QUERY_ERRORS, READ_ERRORS, WRITE_ERRORS, Text
from grassroots.errors import ActionRefused
from grassroots.organizations.api import referenced_unit
from grassroots.organizations.selectors import organization_for
from grassroots.outbox.jobs import start_delivery
from grassroots.outbox.selectors import delivery_counts, stall_reason
from grassroots.outbox.tokens import absolute
from grassroots.people.selectors import person_for

from . import actions
from .models import Issue, Publication
from .schemas import (
    ArticleAddIn,
    ArticleEditIn,
    ArticleOut,
    AudienceOut,
    FeedTokenOut,
    IssueDetailOut,
    IssueIn,
    IssueOut,
    NewFeedTokenOut,
    PublicationIn,
    PublicationOut,
    SendIn,
    StatusOut,
    SubscriptionIn,
    SubscriptionOut,
)
from .selectors import (
    article_of,
    articles_visible_to,
    confirmation_token,
    feed_token_of,
    feed_tokens_of,
    issue_for,
    issues_visible_to,
    may_publish,
    publication_for,
    publications_visible_to,
    subscriptions_visible_to,
)
from .selectors import (
    issue_audience as audience_count,
)

router = Router(tags=["bulletin"])
# An issue's number as the database can hold it (a larger one is a 422, not a server error).
IssueNumber = Annotated[int, Field(ge=1, le=2**31 - 1)]
# A row id in a path: a positive 64-bit integer (a larger one is a 422, not a driver's overflow).
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]


def caller(request: HttpRequest) -> Any:
    """Who is calling: the user django-ninja's authentication put on the request."""
    return request.auth  # type: ignore[attr-defined]


def _publication(request: HttpRequest, org_slug: str, publication_slug: str) -> Publication:
    return publication_for(caller(request), organization_for(caller(request), org_slug), publication_slug)


def _issue(
    request: HttpRequest, org_slug: str, publication_slug: str, number: IssueNumber, *, read: bool = False
) -> Issue:
    """The issue as the caller may see it (404 as absent otherwise); unless only `read`, the
    caller must also be allowed to publish it (403 for a sent issue they may only read)."""
    publication = _publication(request, org_slug, publication_slug)
    issue = issue_for(caller(request), publication, number)
    if not read:
        actions.authorize_publishing(caller(request), publication)
    return issue


@router.get(
    "/{org_slug}/publications", response={200: list[PublicationOut], **READ_ERRORS}, summary="List publications"
)
@paginated
def list_publications(request: HttpRequest, org_slug: str):
    """The organization's publications (its own and its units'), by name: a page
    `{"items": [...], "count": n}` of `limit` (default 100, at most 500) from `offset`, as every list."""
    return publications_visible_to(caller(request), organization_for(caller(request), org_slug)).order_by("name", "pk")


@router.post("/{org_slug}/publications", response={201: PublicationOut, **WRITE_ERRORS}, summary="Start a publication")
def add_publication(request: HttpRequest, org_slug: str, payload: PublicationIn):
    organization = organization_for(caller(request), org_slug)
    publication = actions.add_publication(
        organization=organization,
        name=payload.name,
        unit=referenced_unit(request, organization, payload.unit, field="unit"),
        colour=payload.colour,
        footer=payload.footer,
        by=caller(request),
    )
    return Status(201, publication)


@router.get(
    "/{org_slug}/publications/{publication_slug}/issues",
    response={200: list[IssueOut], **READ_ERRORS},
    summary="List a publication's issues",
)
@paginated
def list_issues(request: HttpRequest, org_slug: str, publication_slug: str):
    """The publication's issues, the latest first: a page `{"items": [...], "count": n}` as every list.
    Drafts and scheduled issues are listed only to who may publish the publication; anyone else
    sees the published ones, as the archive shows them."""
    return issues_visible_to(caller(request), _publication(request, org_slug, publication_slug))


@router.post(
    "/{org_slug}/publications/{publication_slug}/issues",
    response={201: IssueDetailOut, **WRITE_ERRORS},
    summary="Draft an issue",
)
def add_issue(request: HttpRequest, org_slug: str, publication_slug: str, payload: IssueIn):
    """Draft the next issue with its articles (Markdown bodies)."""
    publication = _publication(request, org_slug, publication_slug)
    organization = publication.organization
    articles = [
        {
            "title": article.title,
            "author": article.author,
            "body": article.body,
            "visibility": article.visibility,
            "visibility_unit": referenced_unit(request, organization, article.unit, field="unit"),
        }
        for article in payload.articles
    ]
    try:
        issue = actions.add_issue(
            publication=publication, title=payload.title, on=payload.date, articles=articles, by=caller(request)
        )
    except ActionRefused as refusal:
        raise _subtree_unit_field(refusal) from None
    return Status(201, issue)


@router.get(
    "/{org_slug}/publications/{publication_slug}/issues/{number}",
    response={200: IssueDetailOut, **WRITE_ERRORS},
    summary="One issue with its articles",
)
def get_issue(request: HttpRequest, org_slug: str, publication_slug: str, number: IssueNumber):
    """Any issue for who may publish it; a sent one, with the articles the caller may read (as
    the archive shows them), for anyone else in the organization; 404 otherwise."""
    issue = _issue(request, org_slug, publication_slug, number, read=True)
    if not may_publish(caller(request), issue.publication):
        issue.shown_articles = articles_visible_to(caller(request), issue)  # type: ignore[attr-defined]
    return issue


@router.get(
    "/{org_slug}/publications/{publication_slug}/issues/{number}/audience",
    response={200: AudienceOut, **WRITE_ERRORS},
    summary="Count an issue's recipients",
)
def issue_audience(
    request: HttpRequest,
    org_slug: str,
    publication_slug: str,
    number: IssueNumber,
    unit: Text = "",
    statuses: str = Query(
        "",
        pattern=NO_NUL,
        description="Member statuses, comma-separated (the send's `statuses`); default: the counted ones.",
    ),
    status: str = Query(
        "", pattern=NO_NUL, deprecated=True, description="The older name of `statuses` (the statuses under both count)."
    ),
):
    """The exact number of recipients for the subtree `unit` (default: the publication's) and the
    member `statuses` (comma-separated, the send's `statuses`; `status` is the older name of the
    same, and the statuses given under both names count; default: the counted member statuses),
    with the people of that audience who would get nothing (no article of the issue is for them)
    and the confirmed subscribers without membership (reached only by the publication's whole place)."""
    issue = _issue(request, org_slug, publication_slug, number)
    publication = issue.publication
    named = f"{statuses},{status}".split(",")
    chosen = list(dict.fromkeys(name.strip() for name in named if name.strip()))
    root = referenced_unit(request, publication.organization, unit or None, field="unit")
    actions.check_audience(publication, root, chosen)
    return vars(audience_count(issue=issue, unit=root, statuses=chosen))


@router.post(
    "/{org_slug}/publications/{publication_slug}/issues/{number}/send",
    response={200: StatusOut, **WRITE_ERRORS},
    summary="Send an issue",
)
def send_issue(request: HttpRequest, org_slug: str, publication_slug: str, number: IssueNumber, payload: SendIn):
    """Queue the issue for its audience; `confirm` must be the exact recipient count."""
    issue = _issue(request, org_slug, publication_slug, number)
    unit = referenced_unit(request, issue.publication.organization, payload.unit, field="unit")
    mailing = actions.send_issue(
        issue=issue, by=caller(request), confirm=payload.confirm, unit=unit, statuses=payload.statuses
    )
    start_delivery()
    return {"status": issue.status, "deliveries": delivery_counts(mailing)}


@router.get(
    "/{org_slug}/publications/{publication_slug}/issues/{number}/status",
    response={200: StatusOut, **WRITE_ERRORS},
    summary="An issue's delivery status",
)
def issue_status(request: HttpRequest, org_slug: str, publication_slug: str, number: IssueNumber):
    """The issue's status, its delivery rows per status, and why the send is not moving when it
    seems stuck (`reason`: paused, no worker, the last failure with its address; empty otherwise)."""
    return _status(_issue(request, org_slug, publication_slug, number))


def _article_fields(request: HttpRequest, issue: Issue, payload: ArticleAddIn | ArticleEditIn) -> dict:
    """An article body's fields as the article actions take them (None: not given)."""
    return {
        "title": payload.title,
        "body": payload.body,
        "author": payload.author,
        "visibility": payload.visibility,
        "visibility_unit": referenced_unit(request, issue.publication.organization, payload.unit, field="unit"),
        "position": payload.position,
    }


def _status(issue: Issue) -> dict:
    return {"status": issue.status, "deliveries": delivery_counts(issue.mailing), "reason": stall_reason(issue.mailing)}


def _subtree_unit_field(refusal: ActionRefused) -> ActionRefused:
    if refusal.field and refusal.field.endswith("visibility_unit"):
        refusal.field = "unit"  # an article's subtree unit is `unit` in this API's body
    return refusal


@router.post(
    "/{org_slug}/publications/{publication_slug}/issues/{number}/articles",
    response={201: ArticleOut, **WRITE_ERRORS},
    summary="Add an article to an issue",
)
def add_article(request: HttpRequest, org_slug: str, publication_slug: str, number: IssueNumber, payload: ArticleAddIn):
    """Add an article (Markdown body; visibility public, members, or subtree with `unit`, a unit
    of the publication's place) to a draft or scheduled issue, at `position` (default: last).
    Refused (409, naming the article and `field`) for bad input or an issue being sent."""
    issue = _issue(request, org_slug, publication_slug, number)
    try:
        article = actions.add_article(issue=issue, by=caller(request), **_article_fields(request, issue, payload))
    except ActionRefused as refusal:
        raise _subtree_unit_field(refusal) from None
    return Status(201, article)


@router.post(
    "/{org_slug}/publications/{publication_slug}/issues/{number}/articles/{article_id}/edit",
    response={200: ArticleOut, **WRITE_ERRORS},
    summary="Change or move an article",
)
def edit_article(
    request: HttpRequest,
    org_slug: str,
    publication_slug: str,
    number: IssueNumber,
    article_id: RowId,
    payload: ArticleEditIn,
):
    """Change the fields given of the issue's article `article_id` (404 for one not of this
    issue), and move it to `position`; only before the issue is sent (409 otherwise)."""
    issue = _issue(request, org_slug, publication_slug, number)
    article = article_of(issue, article_id)
    try:
        return actions.edit_article(article=article, by=caller(request), **_article_fields(request, issue, payload))
    except ActionRefused as refusal:
        raise _subtree_unit_field(refusal) from None


@router.post(
    "/{org_slug}/publications/{publication_slug}/issues/{number}/articles/{article_id}/remove",
    response={200: list[ArticleOut], **WRITE_ERRORS},
    summary="Remove an article",
)
def remove_article(request: HttpRequest, org_slug: str, publication_slug: str, number: IssueNumber, article_id: RowId):
    """Remove the issue's article `article_id` (404 for one not of this issue) before the issue
    is sent; answers the articles left, in order."""
    issue = _issue(request, org_slug, publication_slug, number)
    actions.remove_article(article=article_of(issue, article_id), by=caller(request))
    return list(issue.articles.select_related("visibility_unit"))


@router.post(
    "/{org_slug}/publications/{publication_slug}/issues/{number}/pause",
    response={200: StatusOut, **WRITE_ERRORS},
    summary="Pause an issue's sending",
)
def pause_issue(request: HttpRequest, org_slug: str, publication_slug: str, number: IssueNumber):
    """Stop handing out the issue's messages (nothing is lost). 409 for an issue not being sent,
    sent completely, or already paused."""
    issue = _issue(request, org_slug, publication_slug, number)
    actions.pause_issue(issue=issue, by=caller(request))
    return _status(issue)


@router.post(
    "/{org_slug}/publications/{publication_slug}/issues/{number}/resume",
    response={200: StatusOut, **WRITE_ERRORS},
    summary="Resume an issue's sending",
)
def resume_issue(request: HttpRequest, org_slug: str, publication_slug: str, number: IssueNumber):
    """Resume a paused issue from where it stopped. 409 for an issue not being sent, sent
    completely, or not paused."""
    issue = _issue(request, org_slug, publication_slug, number)
    actions.resume_issue(issue=issue, by=caller(request))
    start_delivery()
    return _status(issue)


def _confirm_url(subscription) -> str:
    return absolute(reverse("subscription_confirm", args=[confirmation_token(subscription)]))


@router.get(
    "/{org_slug}/people/{person_id}/subscriptions",
    response={200: list[SubscriptionOut], **QUERY_ERRORS},
    summary="A person's subscriptions",
)
@paginated
def person_subscriptions(request: HttpRequest, org_slug: str, person_id: int):
    """The person's subscriptions to the organization's publications, with source, consent version and dates."""
    person = person_for(caller(request), organization_for(caller(request), org_slug), person_id)
    return person.subscriptions.select_related("publication", "person").order_by("pk")


@router.post(
    "/{org_slug}/people/{person_id}/subscriptions",
    response={200: SubscriptionOut, **WRITE_ERRORS},
    summary="Subscribe or unsubscribe a person",
)
def change_subscription(request: HttpRequest, org_slug: str, person_id: int, payload: SubscriptionIn):
    """`unconfirmed` subscribes the person and mails them the link that confirms it (only they can
    confirm); `unsubscribed` stops sending it (again: nothing changes). A membership is never touched."""
    organization = organization_for(caller(request), org_slug)
    person = person_for(caller(request), organization, person_id)
    publication = publication_for(caller(request), organization, payload.publication)
    subscription = actions.change_subscription(
        person=person, publication=publication, state=payload.state, by=caller(request), confirm_url=_confirm_url
    )
    if payload.state == "unconfirmed":
        start_delivery()
    return subscription


@router.get(
    "/{org_slug}/publications/{publication_slug}/subscriptions",
    response={200: list[SubscriptionOut], **QUERY_ERRORS},
    summary="A publication's subscriptions",
)
@paginated
def publication_subscriptions(request: HttpRequest, org_slug: str, publication_slug: str):
    """The publication's subscriptions of the people the caller may see (an officer: their subtree's)."""
    return subscriptions_visible_to(caller(request), _publication(request, org_slug, publication_slug))


@router.get(
    "/{org_slug}/publications/{publication_slug}/feed-tokens",
    response={200: list[FeedTokenOut], **QUERY_ERRORS},
    summary="Your members' feed addresses",
)
@paginated
def list_feed_tokens(request: HttpRequest, org_slug: str, publication_slug: str):
    """The members' feed addresses the caller made for the publication (live and revoked; never the secret)."""
    return feed_tokens_of(caller(request), _publication(request, org_slug, publication_slug))


@router.post(
    "/{org_slug}/publications/{publication_slug}/feed-tokens",
    response={201: NewFeedTokenOut, **WRITE_ERRORS},
    summary="Make your members' feed address",
)
def create_feed_token(request: HttpRequest, org_slug: str, publication_slug: str):
    """A new secret address of the caller's members' feed (any earlier one is revoked); its `url`
    is shown this once and stored only as a digest."""
    publication = _publication(request, org_slug, publication_slug)
    token, secret = actions.create_feed_token(publication=publication, by=caller(request))
    url = absolute(reverse("bulletin_members_feed", args=[publication.organization.slug, publication.slug, secret]))
    return Status(201, {"id": token.pk, "created_at": token.created_at, "revoked_at": None, "url": url})


@router.post(
    "/{org_slug}/publications/{publication_slug}/feed-tokens/{token_id}/revoke",
    response={200: FeedTokenOut, **WRITE_ERRORS},
    summary="Revoke one of your members' feed addresses",
)
def revoke_feed_token(request: HttpRequest, org_slug: str, publication_slug: str, token_id: RowId):
    """Revoke exactly the caller's members' feed address `token_id` of the publication (404 for an
    id that is not one of theirs there): it answers nothing from now on. Idempotent: revoking it
    again answers the same `revoked_at`."""
    publication = _publication(request, org_slug, publication_slug)
    token = feed_token_of(caller(request), publication, token_id)
    return actions.revoke_feed_token(token=token, by=caller(request))

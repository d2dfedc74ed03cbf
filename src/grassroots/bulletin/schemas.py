"""Request and response bodies of the bulletin API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from grassroots.api.schemas import Body, IsoDate


class PublicationIn(Body):
    name: str = Field(min_length=1, max_length=200)
    unit: str | None = Field(default=None, max_length=80, description="Slug of the unit it belongs to.")
    colour: str = Field(default="#8b1e1e", pattern=r"^#[0-9a-fA-F]{6}$")
    footer: str = Field(default="", max_length=2000)


class PublicationOut(Schema):
    id: int
    name: str
    slug: str
    unit: str | None = Field(None, description="Slug of its unit; null for the organization's own.")
    colour: str
    footer: str

    @staticmethod
    def resolve_unit(publication) -> str | None:
        return publication.unit.slug if publication.unit_id else None


class ArticleIn(Body):
    title: str = Field(min_length=1, max_length=200)
    author: str = Field(default="", max_length=200)
    body: str = Field(min_length=1, max_length=200_000, description="Markdown.")
    visibility: Literal["public", "members", "subtree"] = "members"
    unit: str | None = Field(default=None, max_length=80, description="For a subtree article: the unit's slug.")


class ArticleEditIn(Body):
    """The fields to change (omitted: kept); `position` moves the article (1 is first)."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    author: str | None = Field(default=None, max_length=200)
    body: str | None = Field(default=None, min_length=1, max_length=200_000, description="Markdown.")
    visibility: Literal["public", "members", "subtree"] | None = None
    unit: str | None = Field(default=None, max_length=80, description="For a subtree article: the unit's slug.")
    position: int | None = Field(default=None, ge=1, le=100, description="Its place in the issue, 1 first.")


class ArticleAddIn(ArticleIn):
    position: int | None = Field(default=None, ge=1, le=100, description="Its place (1 first); default: last.")


class ArticleOut(Schema):
    id: int
    position: int
    title: str
    author: str
    body: str
    visibility: str
    unit: str | None = None

    @staticmethod
    def resolve_unit(article) -> str | None:
        return article.visibility_unit.slug if article.visibility_unit_id else None


class IssueIn(Body):
    title: str = Field(min_length=1, max_length=200)
    date: IsoDate | None = None
    articles: list[ArticleIn] = Field(min_length=1, max_length=100)


class IssueOut(Schema):
    id: int
    number: int
    title: str
    date: dt.date
    status: str


class IssueDetailOut(IssueOut):
    articles: list[ArticleOut]

    @staticmethod
    def resolve_articles(issue) -> list:
        shown = getattr(issue, "shown_articles", None)  # a reader's: those they may read
        return shown if shown is not None else list(issue.articles.select_related("visibility_unit"))


class AudienceOut(Schema):
    recipients: int = Field(description="Messages a send writes: the number to confirm it with.")
    nothing_to_read: int = Field(
        description="People of the audience who get no message: no article of the issue is for them (skipped rows)."
    )
    without_membership: int = Field(
        description="Confirmed subscribers with no membership among the audience (counted above)."
    )


class SendIn(Body):
    confirm: int = Field(ge=0, le=2**31, description="The exact number of recipients, as the audience count gave it.")
    unit: str | None = Field(default=None, max_length=80)
    statuses: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Member statuses (the audience count's `statuses`); default: the counted ones.",
    )


class StatusOut(Schema):
    status: str
    deliveries: dict[str, int]
    reason: str = Field(
        default="", description="Why a send is not moving (paused, no worker, the last failure); empty otherwise."
    )


class SubscriptionOut(Schema):
    id: int
    person: int = Field(description="The person's id.")
    person_name: str
    publication: str = Field(description="The publication's slug.")
    state: str = Field(description="unconfirmed, confirmed or unsubscribed.")
    source: str
    consent_version: str
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    unsubscribed_at: dt.datetime | None

    @staticmethod
    def resolve_person(subscription) -> int:
        return subscription.person_id

    @staticmethod
    def resolve_person_name(subscription) -> str:
        return subscription.person.name

    @staticmethod
    def resolve_publication(subscription) -> str:
        return subscription.publication.slug


class SubscriptionIn(Body):
    publication: str = Field(min_length=1, max_length=80, description="The publication's slug.")
    state: Literal["unconfirmed", "unsubscribed"] = Field(
        description="unconfirmed: subscribe and mail the link that confirms it; unsubscribed: stop sending."
    )


class FeedTokenOut(Schema):
    id: int
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class NewFeedTokenOut(FeedTokenOut):
    url: str = Field(description="The members' feed address with its secret: shown this once.")

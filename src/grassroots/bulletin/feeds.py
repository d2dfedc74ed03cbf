"""Atom feeds of a publication's issues (Django's syndication framework): the public feed (public
articles only), a member's own feed at a secret address (what they may read), and the public feed
of a subtree's publications. Each entry's id is a stable tag URI (RFC 4151) made from the
publication's creation date, so it never changes when the site moves or an issue is edited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html_join

from grassroots.organizations.models import Unit
from grassroots.outbox.tokens import mail_domain

from .models import Article, FeedToken, Issue, Publication
from .rendering import stored_html
from .selectors import articles_visible_to, public_articles, public_publication, published_issues, units_publications

FEED_LENGTH = 30


@dataclass
class Entry:
    """One issue as a feed shows it: with the articles this feed may carry."""

    issue: Issue
    articles: list[Article]


@dataclass
class Source:
    """What a feed is of: a publication, read by anyone (no reader) or by one member."""

    publication: Publication
    reader: Any = None


def _tag(publication: Publication, specific: str) -> str:
    created = publication.created_at.date().isoformat()
    return f"tag:{mail_domain()},{created}:{publication.organization.slug}/{publication.slug}/{specific}"


def _public_entries(issues: list[Issue]) -> list[Entry]:
    by_issue = public_articles(issues)
    return [Entry(issue, by_issue[issue.pk]) for issue in issues]


class EntryFeed(Feed):
    """What every feed here shares: an entry per issue, its articles as the content."""

    feed_type = Atom1Feed
    item_guid_is_permalink = False

    def item_title(self, entry: Entry) -> str:
        return f"No. {entry.issue.number}: {entry.issue.title}"

    def item_description(self, entry: Entry) -> str:
        return format_html_join(
            "", "<h2>{}</h2>{}", ((article.title, stored_html(article)) for article in entry.articles)
        )

    def item_link(self, entry: Entry) -> str:
        publication = entry.issue.publication
        return reverse(
            "bulletin_archive_issue", args=[publication.organization.slug, publication.slug, entry.issue.number]
        )

    def item_guid(self, entry: Entry) -> str:
        return _tag(entry.issue.publication, f"issue-{entry.issue.number}")

    def item_pubdate(self, entry: Entry):
        return entry.issue.sent_at

    def item_updateddate(self, entry: Entry):
        return entry.issue.sent_at


class PublicFeed(EntryFeed):
    def get_object(self, request, org: str, publication: str, secret: str = "") -> Source:
        return Source(public_publication(org, publication))

    def title(self, source: Source) -> str:
        return source.publication.name

    def link(self, source: Source) -> str:
        return reverse("bulletin_archive", args=[source.publication.organization.slug, source.publication.slug])

    def feed_guid(self, source: Source) -> str:
        return _tag(source.publication, "feed")

    def items(self, source: Source) -> list[Entry]:
        return _public_entries(list(published_issues(source.publication)[:FEED_LENGTH]))


class MembersFeed(PublicFeed):
    """A member's own feed, at an address with a secret: the articles they may read, as their
    rights are when the feed is read (a member who left reads only the public ones)."""

    def get_object(self, request, org: str, publication: str, secret: str = "") -> Source:
        from .actions import feed_digest

        found = public_publication(org, publication)
        token = (
            FeedToken.objects.filter(digest=feed_digest(secret), publication=found, revoked_at__isnull=True)
            .select_related("user")
            .first()
        )
        if token is None:
            raise Http404("no such feed")
        return Source(found, token.user)

    def title(self, source: Source) -> str:
        return f"{source.publication.name} (members)"

    def feed_guid(self, source: Source) -> str:
        return _tag(source.publication, f"members-{source.reader.pk}")

    def items(self, source: Source) -> list[Entry]:
        issues = published_issues(source.publication).select_related("publication__organization")[:FEED_LENGTH]
        return [Entry(issue, articles_visible_to(source.reader, issue)) for issue in issues]


class SubtreeFeed(EntryFeed):
    """The public feed of the publications of a unit and the units under it (a district's and its
    branches' newsletters): public articles only."""

    def get_object(self, request, org: str, unit: str) -> Unit:
        found = Unit.objects.filter(organization__slug=org, slug=unit).select_related("organization").first()
        if found is None:
            raise Http404("no such unit")
        return found

    def title(self, unit: Unit) -> str:
        return f"Publications of {unit.name}"

    def link(self, unit: Unit) -> str:
        return reverse("bulletin_subtree_feed", args=[unit.organization.slug, unit.slug])

    def feed_guid(self, unit: Unit) -> str:
        return f"tag:{mail_domain()},{unit.created_on.isoformat()}:{unit.organization.slug}/units/{unit.slug}"

    def items(self, unit: Unit) -> list[Entry]:
        issues = (
            Issue.objects.filter(publication__in=units_publications(unit), status__in=["sending", "sent"])
            .select_related("publication__organization")
            .order_by("-sent_at", "-pk")[:FEED_LENGTH]
        )
        return _public_entries(list(issues))

    def item_title(self, entry: Entry) -> str:
        return f"{entry.issue.publication.name} no. {entry.issue.number}: {entry.issue.title}"

"""Atom feeds of a publication's issues (Django's syndication framework). The public feed carries
public articles only; each entry's id is a stable tag URI (RFC 4151) made from the publication's
creation date, so it never changes when the site moves or an issue is edited."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html_join

from grassroots.outbox.tokens import mail_domain

from .models import FeedToken, Issue, Publication
from .rendering import article_html
from .selectors import articles_visible_to, public_articles, public_publication, published_issues, units_publications

FEED_LENGTH = 30


class PublicFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, org: str, publication: str) -> Publication:
        return public_publication(org, publication)

    def title(self, publication: Publication) -> str:
        return publication.name

    def link(self, publication: Publication) -> str:
        return reverse("bulletin_archive", args=[publication.organization.slug, publication.slug])

    def feed_guid(self, publication: Publication) -> str:
        return _tag(publication, "feed")

    def items(self, publication: Publication) -> list[Issue]:
        issues = list(published_issues(publication)[:FEED_LENGTH])
        by_issue = public_articles(issues)
        for issue in issues:
            issue.public_articles = by_issue[issue.pk]
        return issues

    def item_title(self, issue: Issue) -> str:
        return f"No. {issue.number}: {issue.title}"

    def item_description(self, issue: Issue) -> str:
        return format_html_join(
            "", "<h2>{}</h2>{}", ((article.title, article_html(article.body)) for article in issue.public_articles)
        )

    def item_link(self, issue: Issue) -> str:
        publication = issue.publication
        return reverse("bulletin_archive_issue", args=[publication.organization.slug, publication.slug, issue.number])

    def item_guid(self, issue: Issue) -> str:
        return _tag(issue.publication, f"issue-{issue.number}")

    item_guid_is_permalink = False

    def item_pubdate(self, issue: Issue):
        return issue.sent_at

    def item_updateddate(self, issue: Issue):
        return issue.sent_at


class MembersFeed(PublicFeed):
    """A member's own feed, at an address with a secret: the articles they may read, as their
    rights are when the feed is read (a member who left reads only the public ones)."""

    def get_object(self, request, org: str, publication: str, secret: str) -> Publication:
        from .actions import feed_digest

        found = public_publication(org, publication)
        token = (
            FeedToken.objects.filter(digest=feed_digest(secret), publication=found, revoked_at__isnull=True)
            .select_related("user")
            .first()
        )
        if token is None:
            raise Http404("no such feed")
        found.reader = token.user
        return found

    def title(self, publication: Publication) -> str:
        return f"{publication.name} (members)"

    def feed_guid(self, publication: Publication) -> str:
        return _tag(publication, f"members-{publication.reader.pk}")

    def items(self, publication: Publication) -> list[Issue]:
        issues = list(published_issues(publication).select_related("publication__organization")[:FEED_LENGTH])
        for issue in issues:
            issue.public_articles = articles_visible_to(publication.reader, issue)
        return issues


class SubtreeFeed(PublicFeed):
    """The public feed of the publications of a unit and the units under it (a district's and its
    branches' newsletters): public articles only."""

    def get_object(self, request, org: str, unit: str):
        from grassroots.organizations.models import Unit

        found = Unit.objects.filter(organization__slug=org, slug=unit).select_related("organization").first()
        if found is None:
            raise Http404("no such unit")
        return found

    def title(self, unit) -> str:
        return f"Publications of {unit.name}"

    def link(self, unit) -> str:
        return reverse("bulletin_subtree_feed", args=[unit.organization.slug, unit.slug])

    def feed_guid(self, unit) -> str:
        return f"tag:{mail_domain()},{unit.created_on.isoformat()}:{unit.organization.slug}/units/{unit.slug}"

    def items(self, unit) -> list[Issue]:
        issues = list(
            Issue.objects.filter(publication__in=units_publications(unit), status__in=["sending", "sent"])
            .select_related("publication__organization")
            .order_by("-sent_at", "-pk")[:FEED_LENGTH]
        )
        by_issue = public_articles(issues)
        for issue in issues:
            issue.public_articles = by_issue[issue.pk]
        return issues

    def item_title(self, issue: Issue) -> str:
        return f"{issue.publication.name} no. {issue.number}: {issue.title}"


def _tag(publication: Publication, specific: str) -> str:
    created = publication.created_at.date().isoformat()
    return f"tag:{mail_domain()},{created}:{publication.organization.slug}/{publication.slug}/{specific}"

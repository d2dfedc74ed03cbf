"""Atom feeds of a publication's issues (Django's syndication framework). The public feed carries
public articles only; each entry's id is a stable tag URI (RFC 4151) made from the publication's
creation date, so it never changes when the site moves or an issue is edited."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html_join

from grassroots.outbox.tokens import mail_domain

from .models import Issue, Publication
from .rendering import article_html
from .selectors import public_articles, public_publication, published_issues

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


def _tag(publication: Publication, specific: str) -> str:
    created = publication.created_at.date().isoformat()
    return f"tag:{mail_domain()},{created}:{publication.organization.slug}/{publication.slug}/{specific}"

"""Articles from Markdown to sanitized HTML (markdown-it-py, then nh3: only the tags an article
needs, no script, no style, no event handler), once, when an article is saved; and the issue's
mail parts from the templates, with the HTML stored then."""

from __future__ import annotations

import nh3
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")
ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img", "li", "ol", "p",
    "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "td": {"align"}, "th": {"align"}}


def article_html(markdown: str) -> SafeString:
    """The article's body as HTML safe to put in a page or a mail."""
    html = _markdown.render(markdown)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 -- sanitized by nh3 just above


def subject_of(issue) -> str:
    """The subject of an issue's mail: "<publication> no. <number>: <title>"."""
    return f"{issue.publication.name} no. {issue.number}: {issue.title}"


def stored_html(article) -> SafeString:
    """The body of an article (or a directive) as HTML, as `article_html` rendered it when it was
    saved (the actions write `body_html` with the body; no page, feed or mail renders Markdown again)."""
    return mark_safe(article.body_html)  # noqa: S308 -- sanitized by article_html when saved


def rendered_articles(articles) -> list[tuple[object, SafeString]]:
    """Each article with its stored HTML (see `stored_html`), in the order given."""
    return [(article, stored_html(article)) for article in articles]


def mail_parts(*, issue, articles, unsubscribe_url: str) -> tuple[str, str, str]:
    """Subject, plain text and HTML of an issue's mail, from the templates `bulletin/mail.txt` and
    `bulletin/mail.html` (an installation may override them in its template directory), with the
    articles' stored HTML (see `stored_html`); the text part carries their Markdown as written."""
    publication = issue.publication
    context = {
        "issue": issue,
        "publication": publication,
        "articles": rendered_articles(articles),
        "unsubscribe_url": unsubscribe_url,
    }
    subject = subject_of(issue)
    # The text part is plain text, not HTML: render_to_string marks it safe, which would put it
    # unescaped into any page that shows it; joining makes it an ordinary str again.
    text = "".join([render_to_string("bulletin/mail.txt", context)])
    html = render_to_string("bulletin/mail.html", context)
    return subject, text, html

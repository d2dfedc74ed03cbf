"""The command line of the bulletin: publications, issues from Markdown files, the audience count,
sending (confirmed by the exact number of recipients) and the delivery status."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer

from grassroots.cli.common import JsonFlag, Refusal, get_organization, get_unit, operator, out, print_json
from grassroots.outbox.bounces import mbox_problem, read_mbox, read_message_bytes
from grassroots.outbox.jobs import start_delivery
from grassroots.outbox.selectors import delivery_counts, pause_state, stall_reason

from . import actions, jobs
from .models import Article, Issue, Publication
from .selectors import issue_audience, issues_visible_to, publications_visible_to

bulletin_app = typer.Typer(help="The organization's bulletin: publications, issues, sending.", no_args_is_help=True)
publication_app = typer.Typer(help="Publications.", no_args_is_help=True)
issue_app = typer.Typer(help="Issues.", no_args_is_help=True)
article_app = typer.Typer(help="The articles of an issue, each with its own visibility.", no_args_is_help=True)
bulletin_app.add_typer(publication_app, name="publication")
bulletin_app.add_typer(issue_app, name="issue")
bulletin_app.add_typer(article_app, name="article")


def _print_id(pk: int, as_json: bool) -> None:
    if as_json:
        print_json({"id": pk})
    else:
        out.print(pk)


def _named(issue: Issue) -> str:
    """How the terminal names an issue: by the id its commands take, then its publication's number."""
    return f"Issue {issue.pk} ({issue.label})"


def _issue(pk: int) -> Issue:
    issue = (
        Issue.objects.select_related("publication__organization", "publication__unit", "mailing").filter(pk=pk).first()
    )
    if issue is None:
        raise Refusal(f"no issue {pk}")
    return issue


@publication_app.command("add")
def publication_add(
    org: Annotated[str, typer.Argument(help="Organization (slug).")],
    name: Annotated[str, typer.Option("--name", help="The publication's name.")],
    unit: Annotated[
        str | None, typer.Option("--unit", help="The unit it belongs to (default: the organization).")
    ] = None,
    footer: Annotated[str, typer.Option("--footer", help="Publisher's name and postal address.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Start a publication; prints its id."""
    organization = get_organization(org)
    found = get_unit(unit, organization=organization) if unit else None
    publication = actions.add_publication(
        organization=organization, name=name, unit=found, footer=footer, by=operator()
    )
    _print_id(publication.pk, as_json)


@publication_app.command("list")
def publication_list(
    org: Annotated[str, typer.Argument(help="Organization (slug).")], as_json: JsonFlag = False
) -> None:
    """The organization's publications with the ids the other commands take."""
    organization = get_organization(org)
    rows = [
        {"id": p.pk, "name": p.name, "unit": p.unit.slug if p.unit else None}
        for p in publications_visible_to(operator(), organization).order_by("name", "pk")
    ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        out.print(f"{row['id']:>6}  {row['name']}" + (f"  (of {row['unit']})" if row["unit"] else ""))


@issue_app.command("list")
def issue_list(publication: Annotated[int, typer.Argument(help="Publication id.")], as_json: JsonFlag = False) -> None:
    """A publication's issues, the latest first, with the ids `audience`, `send` and `status` take."""
    found = Publication.objects.filter(pk=publication).select_related("organization", "unit").first()
    if found is None:
        raise Refusal(f"no publication {publication}")
    rows = [
        {"id": i.pk, "number": i.number, "title": i.title, "date": i.date.isoformat(), "status": i.status}
        for i in issues_visible_to(operator(), found)
    ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        out.print(f"{row['id']:>6}  no. {row['number']:<4} {row['date']}  {row['status']:<9}  {row['title']}")


def _article(path: str, visibility: str) -> dict:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise Refusal(f"{path}: cannot be read as UTF-8 text ({error})") from None
    first, _, rest = text.partition("\n")
    if first.startswith("# "):
        return {"title": first[2:].strip(), "body": rest.strip(), "visibility": visibility}
    return {"title": file.stem.replace("-", " ").replace("_", " ").capitalize(), "body": text, "visibility": visibility}


@issue_app.command("add")
def issue_add(
    publication: Annotated[int, typer.Argument(help="Publication id.")],
    title: Annotated[str, typer.Option("--title", help="The issue's title.")],
    article: Annotated[
        list[str], typer.Option("--article", help="A Markdown file (its first '# ' line is the title).")
    ],
    visibility: Annotated[
        str,
        typer.Option(
            "--visibility",
            help="public or members, for every article (`bulletin article add --visibility subtree --unit U` for one).",
        ),
    ] = "members",
    as_json: JsonFlag = False,
) -> None:
    """Draft the next issue of a publication from Markdown files; prints its id. Articles with
    other visibilities are added, changed, moved and removed with `grassroots bulletin article`."""
    if visibility not in (Article.Visibility.PUBLIC, Article.Visibility.MEMBERS):
        raise Refusal(f"--visibility: '{visibility}' is not public or members")
    found = Publication.objects.filter(pk=publication).select_related("organization", "unit").first()
    if found is None:
        raise Refusal(f"no publication {publication}")
    issue = actions.add_issue(
        publication=found, title=title, articles=[_article(path, visibility) for path in article], by=operator()
    )
    _print_id(issue.pk, as_json)


VisibilityOption = Annotated[
    str | None, typer.Option("--visibility", help="public, members, or subtree (with --unit).")
]
ArticleUnitOption = Annotated[
    str | None, typer.Option("--unit", help="For a subtree article: the unit (slug) whose members read it.")
]
PositionOption = Annotated[int | None, typer.Option("--position", min=1, help="Its place in the issue, 1 first.")]


def _article_unit(issue: Issue, unit: str | None):
    return get_unit(unit, organization=issue.publication.organization) if unit else None


def _body(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise Refusal(f"--body-file: {path} cannot be read as UTF-8 text ({error})") from None


def _article_row(article: Article) -> dict:
    return {
        "id": article.pk,
        "position": article.position,
        "title": article.title,
        "author": article.author,
        "visibility": article.visibility,
        "unit": article.visibility_unit.slug if article.visibility_unit is not None else None,
    }


@article_app.command("add")
def article_add(
    issue: Annotated[int, typer.Argument(help="Issue id.")],
    title: Annotated[str, typer.Option("--title", help="The article's title.")],
    body_file: Annotated[str, typer.Option("--body-file", help="Its body, a Markdown file.")],
    author: Annotated[str, typer.Option("--author", help="Who wrote it.")] = "",
    visibility: VisibilityOption = "members",
    unit: ArticleUnitOption = None,
    position: PositionOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Add an article to a draft or scheduled issue (default: last); prints its id."""
    found = _issue(issue)
    article = actions.add_article(
        issue=found,
        by=operator(),
        title=title,
        body=_body(body_file) or "",
        author=author,
        visibility=visibility or "members",
        visibility_unit=_article_unit(found, unit),
        position=position,
    )
    _print_id(article.pk, as_json)


def _article_of(issue: Issue, pk: int) -> Article:
    article = issue.articles.filter(pk=pk).select_related("visibility_unit").first()
    if article is None:
        raise Refusal(f"{_named(issue)} has no article {pk} (see `grassroots bulletin article list {issue.pk}`)")
    article.issue = issue
    return article


@article_app.command("edit")
def article_edit(
    issue: Annotated[int, typer.Argument(help="Issue id.")],
    article: Annotated[int, typer.Argument(help="Article id (`article list` shows them).")],
    title: Annotated[str | None, typer.Option("--title", help="A new title.")] = None,
    body_file: Annotated[str | None, typer.Option("--body-file", help="A new body, a Markdown file.")] = None,
    author: Annotated[str | None, typer.Option("--author", help="A new author.")] = None,
    visibility: VisibilityOption = None,
    unit: ArticleUnitOption = None,
    position: PositionOption = None,
) -> None:
    """Change an article of a draft or scheduled issue (only the options given), or move it with --position."""
    found = _issue(issue)
    changed = actions.edit_article(
        article=_article_of(found, article),
        by=operator(),
        title=title,
        body=_body(body_file),
        author=author,
        visibility=visibility,
        visibility_unit=_article_unit(found, unit),
        position=position,
    )
    out.print(f"Article {changed.pk} ({changed.title}) is no. {changed.position} of {_named(found)}.")


@article_app.command("remove")
def article_remove(
    issue: Annotated[int, typer.Argument(help="Issue id.")],
    article: Annotated[int, typer.Argument(help="Article id.")],
) -> None:
    """Remove an article from a draft or scheduled issue."""
    found = _issue(issue)
    gone = _article_of(found, article)
    actions.remove_article(article=gone, by=operator())
    out.print(f"Article {gone.pk} ({gone.title}) removed from {_named(found)}.")


@article_app.command("list")
def article_list(issue: Annotated[int, typer.Argument(help="Issue id.")], as_json: JsonFlag = False) -> None:
    """An issue's articles in order, with their ids and visibility."""
    found = _issue(issue)
    rows = [_article_row(a) for a in found.articles.select_related("visibility_unit")]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        seen = row["visibility"] + (f" of {row['unit']}" if row["unit"] else "")
        out.print(f"{row['id']:>6}  {row['position']:>3}.  {seen:<24} {row['title']}")


@bulletin_app.command("pause")
def pause(issue: Annotated[int, typer.Argument(help="Issue id.")]) -> None:
    """Pause an issue being sent: no new message is handed out; nothing is lost."""
    found = _issue(issue)
    actions.pause_issue(issue=found, by=operator())
    queued = delivery_counts(found.mailing)["queued"]
    out.print(f"{_named(found)}: sending {pause_state(found.mailing)} ({queued} queued).")


@bulletin_app.command("resume")
def resume(issue: Annotated[int, typer.Argument(help="Issue id.")]) -> None:
    """Resume a paused issue from where it stopped."""
    found = _issue(issue)
    actions.resume_issue(issue=found, by=operator())
    start_delivery()
    out.print(f"{_named(found)}: sending resumed.")


def _audience(issue: Issue, unit: str | None, status: list[str] | None) -> dict:
    organization = issue.publication.organization
    return {
        "unit": get_unit(unit, organization=organization) if unit else None,
        "statuses": list(status or []),
    }


UnitOption = Annotated[str | None, typer.Option("--unit", help="The subtree (default: the publication's).")]
StatusOption = Annotated[
    list[str] | None, typer.Option("--status", help="A member status (repeat; default: the member statuses).")
]


@bulletin_app.command("audience")
def audience(
    issue: Annotated[int, typer.Argument(help="Issue id.")],
    unit: UnitOption = None,
    status: StatusOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The exact number of recipients an issue would go to (the number `send --confirm` takes),
    with the confirmed subscribers without membership among them and the people of the audience
    who get nothing (no article is for them: a subscriber who is not a member, when no article is
    public). An audience that `send` would refuse (a status the constitution does not name, a
    subtree outside the publication's) is refused."""
    found = _issue(issue)
    chosen = _audience(found, unit, status)
    root = actions.check_audience(found.publication, chosen["unit"], chosen["statuses"])
    count = issue_audience(issue=found, unit=root, statuses=chosen["statuses"])
    if as_json:
        print_json(vars(count))
        return
    out.print(f"{count.recipients} recipient(s)")
    if count.nothing_to_read:
        out.print(
            f"  {count.nothing_to_read} more of the audience get nothing: no article of this issue is for them"
            " (skipped, not counted above)"
        )
    if count.without_membership:
        out.print(
            f"  {count.without_membership} confirmed subscriber(s) without membership in the audience"
            " (public articles only)"
        )


@bulletin_app.command("send")
def send(
    issue: Annotated[int, typer.Argument(help="Issue id.")],
    confirm: Annotated[int, typer.Option("--confirm", help="The number of recipients `audience` printed.")],
    unit: UnitOption = None,
    status: StatusOption = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Send later: an ISO time with its zone, e.g. 2026-12-01T09:00+01:00.")
    ] = None,
) -> None:
    """Send an issue through the outbox (`grassroots worker` or `grassroots outbox send` delivers it),
    now or, with --at, at that time (a `grassroots worker` must be running then)."""
    found = _issue(issue)
    audience = _audience(found, unit, status)
    if at is not None:
        try:
            when = dt.datetime.fromisoformat(at)
        except ValueError:
            raise Refusal(f"--at: '{at}' is not an ISO date and time") from None
        jobs.schedule(issue=found, at=when, confirm=confirm, by=operator(), **audience)
        out.print(f"{_named(found)} scheduled for {when.isoformat()} ({confirm} recipient(s) now).")
        return
    actions.send_issue(issue=found, confirm=confirm, by=operator(), **audience)
    start_delivery()
    out.print(f"{_named(found)} queued for {confirm} recipient(s).")


@bulletin_app.command("status")
def status(issue: Annotated[int, typer.Argument(help="Issue id.")], as_json: JsonFlag = False) -> None:
    """The issue's status, its deliveries per status and, while it is being sent, why it is not
    moving when it seems stuck (paused, no worker, the last failure with its reason)."""
    found = _issue(issue)
    counts = delivery_counts(found.mailing)
    reason = stall_reason(found.mailing)
    if as_json:
        print_json(
            {"id": found.pk, "number": found.number, "status": found.status, "deliveries": counts, "reason": reason}
        )
        return
    out.print(f"{_named(found)}: {found.status}")
    for name, count in counts.items():
        out.print(f"  {name:<10} {count}")
    if reason:
        out.print(f"  why: {reason}")


@bulletin_app.command("bounces")
def bounces(
    mbox: Annotated[
        str,
        typer.Option("--mbox", help="An mbox file of bounce messages ('-': one message or an mbox on standard input)."),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Read bounce messages: score each failed address (hard 1, soft 0.5, one a day) and put on hold
    those above GRASSROOTS_BOUNCE_THRESHOLD."""
    if mbox == "-":
        report = read_message_bytes(sys.stdin.buffer.read())
    else:
        if not Path(mbox).is_file():
            raise Refusal(f"--mbox: no file {mbox}")
        problem = mbox_problem(mbox)
        if problem:
            raise Refusal(problem)
        report = read_mbox(mbox)
    if as_json:
        print_json(vars(report))
    else:
        out.print(
            f"{report.messages} message(s): {report.hard} hard bounce(s), {report.soft} soft, "
            f"{report.delayed} delayed (not a bounce: nothing counted), {report.unrecognised} not recognised"
        )

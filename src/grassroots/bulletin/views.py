"""Web pages of the bulletin: publications, the issue editor with its mail preview, audience
count, send, pause and the delivery report; and, without sign-in, the public archive, the Atom
feed and the one-click unsubscribe page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from grassroots.errors import ActionRefused
from grassroots.organizations.models import Unit
from grassroots.organizations.selectors import organization_for
from grassroots.outbox.jobs import start_delivery
from grassroots.outbox.models import UNSUBSCRIBE_MARK
from grassroots.outbox.selectors import delivery_counts, failures_of, pause_state, stall_reason
from grassroots.outbox.tokens import absolute, read_unsubscribe_token
from grassroots.people.selectors import person_for
from grassroots.web import refusal_message

from . import actions, jobs
from .forms import ArticleForm, AudienceForm, IssueForm, PublicationForm, SendForm, SubscribeForm
from .rendering import mail_parts, rendered_articles
from .selectors import (
    all_statuses,
    article_of,
    articles_visible_to,
    confirmation_token,
    edition_previews,
    feed_token_of,
    feed_tokens_of,
    issue_audience,
    issue_for,
    issue_of,
    issues_visible_to,
    list_recipient,
    may_publish,
    public_publication,
    publication_for,
    publications_visible_to,
    published_issues,
    subscription_by_token,
    subscriptions_of,
    subtree_choices,
    unit_by_slug,
)


def _unit(request, organization, slug: str) -> Unit | None:
    return unit_by_slug(request.user, organization, slug) if slug else None


def _form_unit(request, organization, form, field: str) -> Unit | None:
    """The unit a form's field names (None when empty); one not found (or out of scope) is
    refused as the field's error (ActionRefused), keeping the form and its input."""
    try:
        return _unit(request, organization, form.cleaned_data[field])
    except Http404 as missing:
        raise ActionRefused(f"{form[field].label}: {missing}", field=field) from None


@login_required
def publications_page(request: HttpRequest, org: str) -> HttpResponse:
    """The organization's publications; POST starts one."""
    organization = organization_for(request.user, org)
    form = PublicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            publication = actions.add_publication(
                organization=organization,
                name=data["name"],
                unit=_form_unit(request, organization, form, "unit"),
                colour=data["colour"],
                footer=data["footer"],
                by=request.user,
            )
        except ActionRefused as refusal:
            form.refuse(refusal)
        else:
            return redirect("bulletin_publication", org=organization.slug, publication=publication.slug)
    context = {
        "organization": organization,
        "publications": publications_visible_to(request.user, organization),
        "form": form,
    }
    return render(request, "bulletin/publications.html", context, status=400 if form.errors else 200)


@login_required
def publication_page(request: HttpRequest, org: str, publication: str) -> HttpResponse:
    """A publication's issues; POST drafts the next one with its first article."""
    organization = organization_for(request.user, org)
    found = publication_for(request.user, organization, publication)
    form = IssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issue = actions.add_issue(
                publication=found,
                title=data["title"],
                by=request.user,
                articles=[
                    {
                        "title": data["article_title"],
                        "author": data["author"],
                        "body": data["body"],
                        "visibility": data["visibility"],
                        "visibility_unit": _form_unit(request, organization, form, "visibility_unit"),
                    }
                ],
            )
        except ActionRefused as refusal:
            form.refuse(refusal)
        else:
            return redirect("bulletin_issue", org=organization.slug, publication=found.slug, number=issue.number)
    context = {
        "organization": organization,
        "publication": found,
        "issues": issues_visible_to(request.user, found),
        "may_publish": may_publish(request.user, found),
        "form": form,
        "feed_tokens": feed_tokens_of(request.user, found).filter(revoked_at__isnull=True),
    }
    return render(request, "bulletin/publication.html", context, status=400 if form.errors else 200)


def _issue(request, org: str, publication: str, number: int, *, read: bool = False):
    """The organization, publication and issue as the user may see it (404 as absent otherwise,
    `issue_for`); unless only `read`, the user must also be allowed to publish it (403)."""
    organization = organization_for(request.user, org)
    found = publication_for(request.user, organization, publication)
    issue = issue_for(request.user, found, number)
    if not read:
        actions.authorize_publishing(request.user, found)
    return organization, found, issue


ARTICLE_FIELDS = ("title", "author", "body", "visibility", "visibility_unit")


def _article_forms(issue, articles, units, *, bound: tuple[str, ArticleForm] | None = None) -> list:
    """The editor's forms: one per article (its id as prefix) and one for a new article, with the
    form that failed kept bound in its place, showing its errors."""
    forms = []
    for article in articles:
        key = f"a{article.pk}"
        if bound is not None and bound[0] == key:
            forms.append((article, bound[1]))
            continue
        initial = {name: getattr(article, name) for name in ARTICLE_FIELDS if name != "visibility_unit"}
        initial["visibility_unit"] = article.visibility_unit.slug if article.visibility_unit is not None else ""
        forms.append((article, ArticleForm(prefix=key, initial=initial, units=units)))
    new = bound[1] if bound is not None and bound[0] == "new" else ArticleForm(prefix="new", units=units)
    return [*forms, (None, new)]


def _issue_page(request, organization, found, issue, *, bound=None, status: int = 200) -> HttpResponse:
    statuses = all_statuses(organization)
    audience = AudienceForm(request.GET or None, statuses=statuses)
    unit, chosen = None, []
    if audience.is_valid():
        chosen = audience.cleaned_data["status"]
        try:
            unit = _unit(request, organization, audience.cleaned_data["unit"])
            actions.check_audience(found, unit, chosen)  # as the send, the API and the terminal check it
        except (ActionRefused, Http404) as refusal:
            audience.add_error("unit", refusal.message if isinstance(refusal, ActionRefused) else str(refusal))
            unit = None
    articles = list(issue.articles.select_related("visibility_unit"))
    editions = []
    for edition in [] if audience.errors else edition_previews(issue=issue, unit=unit, statuses=chosen):
        subject, text, _html = mail_parts(issue=issue, articles=edition.articles, unsubscribe_url=UNSUBSCRIBE_MARK)
        editions.append(
            {"edition": edition, "subject": subject, "text": text, "articles": rendered_articles(edition.articles)}
        )
    editable = issue.status in actions.EDITABLE
    context = {
        "organization": organization,
        "publication": found,
        "issue": issue,
        "articles": rendered_articles(articles),
        "article_forms": _article_forms(issue, articles, subtree_choices(request.user, found), bound=bound)
        if editable
        else [],
        "editions": editions,
        "audience": audience,
        "audience_count": None if audience.errors else issue_audience(issue=issue, unit=unit, statuses=chosen),
        "send_form": SendForm(initial={"unit": unit.slug if unit else "", "status": chosen}, statuses=statuses),
        "counts": delivery_counts(issue.mailing),
        "failures": failures_of(issue.mailing),
        "stall_reason": stall_reason(issue.mailing),
    }
    return render(request, "bulletin/issue.html", context, status=status)


@login_required
def issue_page(request: HttpRequest, org: str, publication: str, number: int) -> HttpResponse:
    """The issue editor: its articles (added, changed, moved and removed until it is sent), the
    preview of each edition of the mail with its number of recipients, the exact audience count
    for the chosen subtree and statuses, the send form, and once sent the delivery report."""
    organization, found, issue = _issue(request, org, publication, number, read=True)
    if not may_publish(request.user, found):  # a sent issue, read as the archive shows it
        return _archive_issue(request, found, issue)
    return _issue_page(request, organization, found, issue)


def _article_fields(request, organization, form: ArticleForm) -> dict:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "author": data["author"],
        "body": data["body"],
        "visibility": data["visibility"],
        "visibility_unit": _form_unit(request, organization, form, "visibility_unit"),
    }


@require_POST
@login_required
def article_add(request: HttpRequest, org: str, publication: str, number: int) -> HttpResponse:
    """Add an article to the issue (last); a refusal shows the issue page again with the form's
    errors, naming the article and the field."""
    organization, found, issue = _issue(request, org, publication, number)
    form = ArticleForm(request.POST, prefix="new", units=subtree_choices(request.user, found))
    if form.is_valid():
        try:
            article = actions.add_article(issue=issue, by=request.user, **_article_fields(request, organization, form))
        except ActionRefused as refusal:
            form.refuse(refusal)
        else:
            messages.success(request, f"Article {article.position} ('{article.title}') added.")
            return redirect("bulletin_issue", org=organization.slug, publication=found.slug, number=issue.number)
    return _issue_page(request, organization, found, issue, bound=("new", form), status=400)


@require_POST
@login_required
def article_change(request: HttpRequest, org: str, publication: str, number: int, article: int) -> HttpResponse:
    """Change one article of the issue (`do=save` with its fields), move it (`do=up`/`down`) or
    remove it (`do=remove`); 404 for an article not of this issue."""
    organization, found, issue = _issue(request, org, publication, number)
    current = article_of(issue, article)
    back = redirect("bulletin_issue", org=organization.slug, publication=found.slug, number=issue.number)
    do = request.POST.get("do", "save")
    label = f"article {current.position} ('{current.title}')"
    try:
        if do == "remove":
            actions.remove_article(article=current, by=request.user)
            messages.success(request, f"{label[0].upper()}{label[1:]} removed.")
            return back
        if do in ("up", "down"):
            actions.edit_article(
                article=current, by=request.user, position=current.position + (-1 if do == "up" else 1)
            )
            return back
    except ActionRefused as refusal:
        messages.error(request, refusal_message(refusal))
        return back
    form = ArticleForm(request.POST, prefix=f"a{current.pk}", units=subtree_choices(request.user, found))
    if form.is_valid():
        try:
            actions.edit_article(article=current, by=request.user, **_article_fields(request, organization, form))
        except ActionRefused as refusal:
            form.refuse(refusal)
        else:
            messages.success(request, f"{label[0].upper()}{label[1:]} saved.")
            return back
    return _issue_page(request, organization, found, issue, bound=(f"a{current.pk}", form), status=400)


@require_POST
@login_required
def issue_send(request: HttpRequest, org: str, publication: str, number: int) -> HttpResponse:
    """Send the issue to the audience, confirmed by typing the number of recipients."""
    organization, found, issue = _issue(request, org, publication, number)
    form = SendForm(request.POST, statuses=all_statuses(organization))
    back = redirect("bulletin_issue", org=organization.slug, publication=found.slug, number=issue.number)
    if not form.is_valid():
        messages.error(request, form.error_message())
        return back
    data = form.cleaned_data
    try:
        audience = {"unit": _form_unit(request, organization, form, "unit"), "statuses": data["status"]}
        if data["at"]:
            jobs.schedule(issue=issue, at=data["at"], by=request.user, confirm=data["confirm"], **audience)
        else:
            actions.send_issue(issue=issue, by=request.user, confirm=data["confirm"], **audience)
    except ActionRefused as refusal:
        messages.error(request, refusal_message(refusal))
        return back
    if data["at"]:
        messages.success(request, f"Issue {issue.number} is scheduled for {data['at']:%d %b %Y %H:%M}.")
    else:
        start_delivery()
        messages.success(request, f"Issue {issue.number} is being sent.")
    return back


@require_POST
@login_required
def issue_pause(request: HttpRequest, org: str, publication: str, number: int) -> HttpResponse:
    organization, found, issue = _issue(request, org, publication, number)
    resume = request.POST.get("resume") == "yes"
    try:
        (actions.resume_issue if resume else actions.pause_issue)(issue=issue, by=request.user)
    except ActionRefused as refusal:
        messages.error(request, refusal_message(refusal))
    else:
        if resume:
            start_delivery()
        messages.success(request, "Sending resumed." if resume else f"Sending {pause_state(issue.mailing)}.")
    return redirect("bulletin_issue", org=organization.slug, publication=found.slug, number=issue.number)


def archive_page(request: HttpRequest, org: str, publication: str) -> HttpResponse:
    """The public archive of a publication: its sent issues (open to anyone)."""
    found = public_publication(org, publication)
    context = {"publication": found, "issues": published_issues(found)}
    return render(request, "bulletin/archive.html", context)


def archive_issue_page(request: HttpRequest, org: str, publication: str, number: int) -> HttpResponse:
    """One issue in the archive, with the articles this reader may see (public ones to anyone)."""
    found = public_publication(org, publication)
    issue = issue_of(found, number)
    if issue.status not in ("sending", "sent"):
        return render(request, "404.html", status=404)
    return _archive_issue(request, found, issue)


def _archive_issue(request: HttpRequest, found, issue) -> HttpResponse:
    articles = articles_visible_to(request.user, issue)
    context = {
        "publication": found,
        "issue": issue,
        "articles": rendered_articles(articles),
        "hidden": issue.articles.count() - len(articles),
    }
    return render(request, "bulletin/archive_issue.html", context)


@csrf_exempt  # RFC 8058: the one-click POST comes from the mail client, with no cookie and no token
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    """One-click unsubscribe: a POST acts at once and is idempotent; a GET (a link scanner, or a
    reader) shows what would happen and a button, and changes nothing."""
    read = read_unsubscribe_token(token)
    found = list_recipient(*read) if read else None
    if found is None:
        return render(request, "bulletin/unsubscribe.html", {"invalid": True}, status=404)
    publication, person = found
    done = False
    if request.method == "POST":
        actions.unsubscribe(person=person, publication=publication, by="one-click", source="one-click")
        done = True
    return render(request, "bulletin/unsubscribe.html", {"publication": publication, "done": done})


def _confirm_url(subscription) -> str:
    """The signed link, mailed to the person, that confirms their subscription."""
    return absolute(reverse("subscription_confirm", args=[confirmation_token(subscription)]))


def subscribe_page(request: HttpRequest, org: str, publication: str) -> HttpResponse:
    """The public subscribe form (no sign-in): a POST records an unconfirmed subscription and
    mails the link that confirms it. The answer is the same whether the address is known, already
    subscribed, or was just sent a link; only a bad form or the hourly limit answer otherwise."""
    found = public_publication(org, publication)
    form = SubscribeForm(request.POST or None, initial={"consent_version": found.consent_version})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.request_subscription(
                publication=found,
                name=data["name"],
                email=data["email"],
                consent_version=data["consent_version"],
                confirm_url=_confirm_url,
            )
        except ActionRefused as refusal:
            form.refuse(refusal)
        else:
            start_delivery()
            return render(request, "bulletin/subscribe.html", {"publication": found, "asked": True})
    status = 429 if form.errors.get("__all__") else 400 if form.errors else 200
    return render(request, "bulletin/subscribe.html", {"publication": found, "form": form}, status=status)


@login_required
def person_subscriptions(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    """A person's subscriptions to the organization's publications; POST subscribes them to one
    and mails them the link that confirms it (double opt-in), or with state=unsubscribed unsubscribes them."""
    organization = organization_for(request.user, org)
    person = person_for(request.user, organization, pk)
    publications = publications_visible_to(request.user, organization)
    if request.method == "POST":
        chosen = publications.filter(pk=request.POST.get("publication") or 0).first()
        if chosen is None:
            messages.error(request, "publication: choose one of the organization's publications")
        else:
            state = request.POST.get("state") or "unconfirmed"
            try:
                actions.change_subscription(
                    person=person, publication=chosen, state=state, by=request.user, confirm_url=_confirm_url
                )
            except ActionRefused as refusal:
                messages.error(request, refusal_message(refusal))
            else:
                if state == "unsubscribed":
                    messages.success(request, f"{person.name} will not receive {chosen.name} any more.")
                else:
                    start_delivery()
                    messages.success(request, f"{person.name} was sent the link that confirms it.")
        return redirect("person_subscriptions", org=organization.slug, pk=person.pk)
    context = {
        "organization": organization,
        "person": person,
        "subscriptions": subscriptions_of(person),
        "publications": publications,
    }
    return render(request, "bulletin/person_subscriptions.html", context)


@csrf_exempt  # followed from a mail: no session, no CSRF cookie; the signed token is the credential
def confirm_page(request: HttpRequest, token: str) -> HttpResponse:
    """The double opt-in's second step: a GET shows a button and changes nothing (link scanners),
    a POST confirms (and records the consent once)."""
    subscription = subscription_by_token(token)
    if subscription is None:
        return render(request, "bulletin/confirm.html", {"invalid": True}, status=404)
    if request.method == "POST" and subscription.state == "unconfirmed":
        actions.confirm_subscription(subscription=subscription, by="double-opt-in")
    return render(request, "bulletin/confirm.html", {"subscription": subscription})


@require_POST
@login_required
def members_feed_address(request: HttpRequest, org: str, publication: str) -> HttpResponse:
    """Make the signed-in person's members' feed address (shown once, on the publication's page),
    or with revoke=<id> revoke exactly that one of theirs (404 for an id that is not theirs)."""
    organization = organization_for(request.user, org)
    found = publication_for(request.user, organization, publication)
    if "revoke" in request.POST:
        token_id = request.POST["revoke"]
        if not token_id.isdigit() or len(token_id) > 18:
            raise Http404(f"no members' feed address '{token_id[:40]}' of yours for {found.name}")
        token = actions.revoke_feed_token(token=feed_token_of(request.user, found, int(token_id)), by=request.user)
        messages.success(request, f"Members' feed address {token.pk} (made {token.created_at:%d %b %Y}) revoked.")
    else:
        try:
            _token, secret = actions.create_feed_token(publication=found, by=request.user)
        except ActionRefused as refusal:
            messages.error(request, refusal_message(refusal))
        else:
            url = absolute(reverse("bulletin_members_feed", args=[organization.slug, found.slug, secret]))
            messages.success(request, f"Your members' feed (keep it to yourself; shown once): {url}")
    return redirect("bulletin_publication", org=organization.slug, publication=found.slug)

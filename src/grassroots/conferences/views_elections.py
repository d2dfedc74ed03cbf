"""Elections, ballots, proxies and constituting from the conference pages (issue 17).

For the organizers, on the session page: a form that prepares an election (its candidates a
line each, `Name`, or `Name <email or member number>` for a person of the organization they see,
or `<email or member number>` alone for that person under their own name), the buttons that
open and close it, its result (the elected linked to their person's page, the rounds of a ranked
count, the ballots not counted) and, at the top unit's conference, the button that constitutes
the body. For a delegate, on their phone page: a ballot for each open election suited to its
method (one radio for plurality to one seat, checkboxes for approval or more seats, a rank for
each candidate for instant runoff and stv) and their proxy (given to a delegate of their own
delegation, or withdrawn). Each form posts and comes back to its page with the outcome; a
refusal is flashed naming its rule and changes nothing. Other conferences' ids are 404s."""

from __future__ import annotations

import re
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from grassroots.errors import ActionRefused
from grassroots.ids import is_row_id
from grassroots.organizations.selectors import organization_for
from grassroots.web import ActionForm, as_message, keep_draft, refusal_message, run_step

from . import assembly, selectors
from .forms_delegations import lines
from .models import Conference, Delegate, Election, ElectionBallot, Proxy
from .views import _only_managers

METHOD_CHOICES = [
    ("plurality", "Plurality"),
    ("approval", "Approval"),
    ("instant-runoff", "Instant runoff (IRV)"),
    ("stv", "Single transferable vote (STV)"),
]
RANKED = ("instant-runoff", "stv")
STEPS: dict[str, Callable[..., object]] = {"open": assembly.open_election, "close": assembly.close_election}
# A candidate's line: "Name <email or member number>" or "<email or member number>".
PERSON_LINE = re.compile(r"^(?P<name>[^<>]*?)\s*<(?P<ref>[^<>]+)>$")


class ElectionForm(ActionForm):
    """An election the organizers prepare; the candidates a line each (see the module)."""

    title = forms.CharField(label="Title", max_length=200)
    method = forms.ChoiceField(label="Method", choices=METHOD_CHOICES)
    seats = forms.IntegerField(label="Seats", min_value=1, max_value=1000, initial=1)
    candidates = forms.CharField(
        label="Candidates (a line each: Name, or Name <email or member number> for a person)",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    body = forms.BooleanField(label="Elects the leading body", required=False)


def _conference(request: HttpRequest, org: str, pk: int) -> Conference:
    return selectors.conference_for_delegate(request.user, organization_for(request.user, org), pk)


def _back(found: Conference, page: str = "conference_session") -> HttpResponse:
    return redirect(page, org=found.organization.slug, conference=found.pk)


# What the pages show ---------------------------------------------------------------------------


def _shown(election: Election) -> dict:
    """An election as the session page shows it: candidates and the elected with their person's
    id (None for a name only), the rounds of the count and the ballots not counted."""
    links = election.candidate_people or {}
    result = election.result or {}
    return {
        "election": election,
        "method": dict(METHOD_CHOICES).get(election.method, election.method),
        "candidates": [(name, links.get(name)) for name in election.candidates],
        "elected": assembly.elected_people(election),
        "rounds": [
            {**count, "votes": sorted(count["votes"].items(), key=lambda item: election.candidates.index(item[0]))}
            for count in result.get("rounds", [])
        ]
        if election.method in RANKED
        else [],
        "result": result,
    }


def session_context(conference: Conference) -> dict:
    """The session page's elections (one query) and, at the top unit's conference, what the
    constitute form offers: each post of the constitution, to be filled from the elected people
    of the body's election."""
    elections = [_shown(election) for election in selectors.elections_of(conference)]
    body = next((row for row in elections if row["election"].body and row["election"].state == "closed"), None)
    top = conference.unit.parent_id is None
    return {
        "elections": elections,
        "method_choices": METHOD_CHOICES,
        "constitutes": top,
        "posts": conference.unit.organization.constitution.officer_posts if top else [],
        "body_people": [(name, pk) for name, pk in body["elected"] if pk] if body else [],
    }


def delegate_context(conference: Conference, delegate: Delegate | None) -> dict:
    """The delegate page's ballots and proxy: each open election with the ballot form's fields
    (one query), the delegate's ballots (one), the proxy they gave or hold (one) and the other
    seated delegates of their delegation (two), when they hold a seat themselves."""
    if delegate is None:
        return {"ballots": [], "proxy": None}
    open_elections = list(selectors.elections_of(conference).filter(state="open"))
    mine = dict(
        ElectionBallot.objects.filter(
            election__conference=conference, election__state="open", delegate=delegate
        ).values_list("election_id", "choices")
    )
    # The delegation's proxies (a proxy stays within its delegation): the delegate's own, given or
    # held, and who gave one, who cannot hold one (one query).
    proxies = list(Proxy.objects.filter(conference=conference, giver__delegation_id=delegate.delegation_id))
    givers = {proxy.giver_id for proxy in proxies}
    peers = list(
        Delegate.objects.filter(delegation_id=delegate.delegation_id)
        .exclude(pk=delegate.pk)
        .select_related("person")
        .order_by("role", "rank")
    )
    by_pk = {peer.pk: peer for peer in peers}
    # Only a seated delegate, or an alternate holding a seat, may hold a proxy (one query).
    seated = {voter.id for voter in selectors.entitled(conference)}
    holders = [peer for peer in peers if str(peer.pk) in seated and peer.pk not in givers]
    given = next((proxy for proxy in proxies if proxy.giver_id == delegate.pk), None)
    held = [by_pk.get(proxy.giver_id) or proxy.giver_id for proxy in proxies if proxy.holder_id == delegate.pk]
    return {
        "ballots": [_ballot(election, mine.get(election.pk)) for election in open_elections],
        "proxy": {
            "given": given,
            "holder": by_pk.get(given.holder_id) if given else None,
            "held": held,
            # Who may take the delegate's proxy: none when they hold one (a holder gives none).
            "peers": holders if str(delegate.pk) in seated and not held else [],
        },
    }


def _ballot(election: Election, choices: list[str] | None) -> dict:
    """An open election's ballot form: its kind (radio, checkboxes or ranks) and each candidate
    with what the delegate marked (their rank, for a ranked method)."""
    chosen = choices or []
    count = len(election.candidates)
    one_mark = election.seats == 1 and election.method == "plurality"
    kind = "ranks" if election.method in RANKED else "radio" if one_mark else "boxes"
    rows = []
    for index, name in enumerate(election.candidates):
        rank = chosen.index(name) + 1 if name in chosen else None
        rows.append(
            {
                "index": index,
                "name": name,
                "marked": name in chosen,
                "ranks": [(value, value == rank) for value in range(1, count + 1)],
            }
        )
    return {"election": election, "kind": kind, "rows": rows, "cast": choices is not None}


# The organizers' forms -------------------------------------------------------------------------


def _candidates(request: HttpRequest, conference: Conference, text: str) -> tuple[list[str], dict, list[str]]:
    """The candidates' names, the people named (name -> Person, one query) and the errors, each
    naming its line."""
    parsed = []
    for line in lines(text):
        match = PERSON_LINE.match(line)
        parsed.append((match["name"].strip(), match["ref"].strip()) if match else (line, ""))
    refs = [ref for _name, ref in parsed if ref]
    named = selectors.people_named(request.user, conference.organization, refs) if refs else {}
    names, people, errors = [], {}, []
    for number, (name, ref) in enumerate(parsed, 1):
        if ref and ref not in named:
            errors.append(
                f"candidates: line {number}: no one is {ref!r} (an email or member number of someone you see)"
            )
            continue
        person = named.get(ref) if ref else None
        name = name or (person.name if person else "")
        names.append(name)
        if person is not None:
            people[name] = person
    return names, people, errors


@login_required
@require_POST
def conference_election_add(request: HttpRequest, org: str, conference: int) -> HttpResponse:
    """Prepare an election from the session page's form (organizers)."""
    found = _conference(request, org, conference)
    _only_managers(request, found.unit, "prepare the elections")
    form = ElectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.error_message())
        return _refused(request, found, form)
    data = form.cleaned_data
    names, people, errors = _candidates(request, found, data["candidates"])
    if errors:
        messages.error(request, as_message(errors))
        return _refused(request, found, form)
    try:
        election = assembly.add_election(
            conference=found,
            title=data["title"],
            method=data["method"],
            seats=data["seats"],
            candidates=names,
            body=data["body"],
            people=people,
            by=request.user,
        )
    except ActionRefused as refusal:
        messages.error(request, refusal_message(refusal))
        return _refused(request, found, form)
    messages.success(request, f"Election {election.pk} prepared: {election.title}.")
    return _back(found)


def _refused(request: HttpRequest, found: Conference, form: ElectionForm) -> HttpResponse:
    """Back to the session page, which fills the election form again with what was posted."""
    keep_draft(request, f"election:{found.pk}", tuple(form.fields))
    return _back(found)


@login_required
@require_POST
def conference_election_step(request: HttpRequest, org: str, conference: int, election: int, step: str) -> HttpResponse:
    """Open or close (and count) an election (organizers)."""
    found = _conference(request, org, conference)
    if step not in STEPS:
        raise Http404(f"no step {step}")
    _only_managers(request, found.unit, "run the elections")
    target = selectors.election_in(found, election)
    done = {"open": "is open for ballots", "close": "is closed and counted"}[step]
    run_step(request, STEPS[step], done=f"Election {target.pk} {done}.", election=target)
    return _back(found)


def _officers(request: HttpRequest, offered: list[tuple[str, int | None]], posts: list[str]) -> dict | None:
    """The posts filled from the constitute form: each `officer_<post>` an elected person of the
    body's election (or empty); None (with a message naming the post) for anything else."""
    from grassroots.people.models import Person

    allowed = {str(pk) for _name, pk in offered if pk}
    chosen = {post: request.POST.get(f"officer_{post}", "").strip() for post in posts}
    wrong = [post for post, value in chosen.items() if value and value not in allowed]
    if wrong:
        messages.error(request, f"officer_{wrong[0]}: choose one of the people elected to the body, or no one")
        return None
    ids = {int(value) for value in chosen.values() if value}
    people = {person.pk: person for person in Person.objects.filter(pk__in=ids)} if ids else {}
    return {post: people[int(value)] for post, value in chosen.items() if value}


@login_required
@require_POST
def conference_constitute(request: HttpRequest, org: str, conference: int) -> HttpResponse:
    """Constitute the top unit at its founding conference (organizers): the officers chosen
    among the elected people of the body; the founding rules' refusal is flashed with every
    reason."""
    found = _conference(request, org, conference)
    _only_managers(request, found.unit, "constitute the body")
    context = session_context(found)
    officers = _officers(request, context["body_people"], context["posts"])
    if officers is not None:
        run_step(
            request,
            assembly.constitute_body,
            done=f"{found.unit.name} is constituted at {found.name}.",
            conference=found,
            officers=officers,
        )
    return _back(found)


# The delegate's forms --------------------------------------------------------------------------


def _choices(request: HttpRequest, election: Election) -> list[str] | None:
    """The posted ballot in the election's form: the ranked candidates in rank order (ranks
    1..n, each once, a candidate left unranked is left out), or the marked ones; None with a
    message naming the rule when the ranks are not a ballot."""
    if election.method not in RANKED:
        marked = [value for value in request.POST.getlist("choice") if value]
        if not marked:
            messages.error(request, "ballots: mark a candidate (a blank ballot is not cast)")
            return None
        return marked
    ranks: dict[int, str] = {}
    for index, name in enumerate(election.candidates):
        value = request.POST.get(f"rank-{index}", "").strip()
        if not value:
            continue
        if not is_row_id(value) or not 1 <= int(value) <= len(election.candidates):
            messages.error(request, f"ballots: {name}'s rank must be 1 to {len(election.candidates)}")
            return None
        if int(value) in ranks:
            messages.error(request, f"ballots: rank {value} is given to {ranks[int(value)]} and {name}; one each")
            return None
        ranks[int(value)] = name
    if not ranks:
        messages.error(request, "ballots: rank at least one candidate (a blank ballot is not cast)")
        return None
    return [ranks[rank] for rank in sorted(ranks)]


@login_required
@require_POST
def conference_ballot(request: HttpRequest, org: str, conference: int, election: int) -> HttpResponse:
    """The signed-in delegate's ballot in an open election; refusals flashed naming the rule."""
    found = _conference(request, org, conference)
    target = selectors.election_in(found, election)
    choices = _choices(request, target)
    if choices is not None:
        try:
            assembly.cast_ballot(election=target, by=request.user, choices=choices)
        except ActionRefused as refusal:
            messages.error(request, refusal_message(refusal))
        else:
            ranked = target.method in RANKED
            marked = ", ".join(f"{n}. {name}" if ranked else name for n, name in enumerate(choices, 1))
            messages.success(request, f"Your ballot in {target.title}: {marked}.")
    return _back(found, "conference_delegate")


@login_required
@require_POST
def conference_proxy_give(request: HttpRequest, org: str, conference: int) -> HttpResponse:
    """The signed-in delegate gives their vote to the posted `holder` of their own delegation."""
    found = _conference(request, org, conference)
    pk = request.POST.get("holder", "")
    giver = selectors.delegate_of(request.user, found)
    if not is_row_id(pk):
        messages.error(request, "holder: choose a delegate of your delegation")
    elif giver is None:
        messages.error(request, f"delegate: you are not a delegate of conference {found.pk}")
    else:
        holder = selectors.delegate_in(found, int(pk))
        name = holder.person.name
        run_step(request, assembly.give_proxy, done=f"Your vote is given to {name}.", giver=giver, holder=holder)
    return _back(found, "conference_delegate")


@login_required
@require_POST
def conference_proxy_withdraw(request: HttpRequest, org: str, conference: int) -> HttpResponse:
    """The signed-in delegate withdraws the proxy they gave; they vote for themself again."""
    found = _conference(request, org, conference)
    giver = selectors.delegate_of(request.user, found)
    proxy = Proxy.objects.filter(conference=found, giver=giver).select_related("conference").first() if giver else None
    if proxy is None:
        messages.error(request, "proxy: you gave no proxy to withdraw")
    else:
        run_step(request, assembly.withdraw_proxy, done="Your proxy is withdrawn: you vote for yourself.", proxy=proxy)
    return _back(found, "conference_delegate")

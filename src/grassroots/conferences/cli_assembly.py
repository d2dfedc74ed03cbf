"""`grassroots conference motion|amendment|poll|result|election|proxy|constitute ...`: a
conference in session from the terminal (the operator acts as an organizer): motions, their
amendments and status, resolutions published in the bulletin, polls, elections, proxies and the
constituting of the top unit. A refusal prints one line naming the flag or argument (or the
rule) and exits non-zero; nothing is written."""

from __future__ import annotations

from typing import Annotated

import typer

from grassroots.cli.common import JsonFlag, OnOption, Refusal, get_person, operator, out, parse_date, print_json
from grassroots.errors import ActionRefused
from grassroots.ids import is_row_id

from . import assembly, selectors, voting
from .models import Amendment, Conference, Delegate, Election, Motion, Poll, Proxy

FLAGS = {"subject": "--subject", "kind": "--kind", "base": "--base", "majority": "--majority", "title": "--title",
         "text": "--text", "delegate": "--delegate", "motion": "--motion", "totals": "--yes/--no/--abstain",
         "yes": "--yes", "no": "--no", "abstain": "--abstain", "paragraph": "--paragraph",
         "amendment": "--amendment", "issue": "--issue", "candidates": "--candidates", "giver": "GIVER",
         "holder": "HOLDER", "on": "--on", "people": "--person", "decision": "--decision"}  # fmt: skip
# Numbers of motions and amendments are positive integers of the database (larger ones are unknown).
NUMBER_LIMIT = 2**31

poll_app = typer.Typer(help="Polls of a conference: add, open, close.", no_args_is_help=True)
motion_app = typer.Typer(help="Motions of a conference: add, status, publish.", no_args_is_help=True)
amendment_app = typer.Typer(help="Amendments to a conference's motions.", no_args_is_help=True)
election_app = typer.Typer(help="Elections of a conference: add, open, close, result.", no_args_is_help=True)
proxy_app = typer.Typer(help="Proxies within a delegation: give, withdraw.", no_args_is_help=True)


def _refused(refusal: ActionRefused, **more: str) -> Refusal:
    """The refusal as one line naming the flag (`more`: field -> flag for this command alone)."""
    from .cli import CONFERENCE_FLAGS
    from .cli import _refused as refused  # the conference commands' (their flags include FLAGS)

    return refused(refusal, {**CONFERENCE_FLAGS, **more} if more else None)


def _act(action, *, flags: dict[str, str] | None = None, **arguments):
    """Run an assembly action as the operator; its refusal becomes one line naming the flag."""
    try:
        return action(by=operator(), **arguments)
    except ActionRefused as refusal:
        raise _refused(refusal, **(flags or {})) from None


def _print_key(key: str, value: int, as_json: bool) -> None:
    """What `add` prints: the new row's id or number, or {key: value} with --json."""
    if as_json:
        print_json({key: value})
    else:
        out.print(value)


def _clean(values: dict[str, str | None]) -> None:
    """Refuse a NUL character in any text given (flag -> text): the database stores none."""
    for flag, value in values.items():
        if value is not None and "\x00" in value:
            raise Refusal(f"{flag}: contains a NUL character")


def _motion(conference: Conference, number: int, option: str) -> Motion:
    found = None
    if 0 < number < NUMBER_LIMIT:
        found = Motion.objects.filter(conference=conference, number=number).select_related("conference").first()
    if found is None:
        raise Refusal(f"{option}: no motion {number} in conference {conference.pk}")
    return found


def _amendment(motion: Motion, number: int) -> Amendment:
    found = None
    if 0 < number < NUMBER_LIMIT:
        found = Amendment.objects.filter(motion=motion, number=number).select_related("motion__conference").first()
    if found is None:
        raise Refusal(f"--amendment: no amendment {number} to motion {motion.number}")
    return found


def _delegate(conference: Conference, ref: str | None, option: str) -> Delegate | None:
    """The conference's delegate (or alternate) who is the person `ref` (email or number, as
    `credential`, `checkin` and `proxy` take them), or None when none is given."""
    return None if ref is None else _seated(conference, ref, option)


def _seated(conference: Conference, ref: str, option: str) -> Delegate:
    """The conference's delegate (or alternate) who is the person `ref` (email or number) of its
    organization."""
    _clean({option: ref})
    if not ref.strip():
        raise Refusal(f"{option}: give the delegate's email or number")
    try:
        person = get_person(ref.strip(), organization=conference.organization)
    except Refusal as refusal:
        raise Refusal(f"{option}: {refusal.format_message()}") from None
    found = selectors.delegates_of(conference).filter(person=person).select_related("conference__unit").first()
    if found is None:
        raise Refusal(f"{option}: {person.name} is not a delegate of {conference.name}")
    return found


def _poll(ref: str) -> Poll:
    found = Poll.objects.filter(pk=ref).select_related("conference__unit").first() if is_row_id(ref) else None
    if found is None:
        raise Refusal(f"no poll {ref}")
    return found


def _conference(ref: str):
    from .cli import _conference as conference

    return conference(ref)


@poll_app.command("add")
def poll_add(
    conference: Annotated[str, typer.Argument(help="The conference (id).")],
    subject: Annotated[str, typer.Option("--subject", help="What is put to the vote.")] = "",
    kind: Annotated[str, typer.Option("--kind", help="yes-no-abstain | yes-no | yes")] = "yes-no-abstain",
    base: Annotated[str, typer.Option("--base", help="valid | cast | entitled | present")] = "valid",
    majority: Annotated[str, typer.Option("--majority", help="simple | absolute | two-thirds | a fraction")] = "simple",
    motion: Annotated[int | None, typer.Option("--motion", help="The motion's number.")] = None,
    amendment: Annotated[
        int | None, typer.Option("--amendment", help="With --motion: the number of its amendment voted on.")
    ] = None,
    totals: Annotated[bool, typer.Option("--totals", help="Counted by totals entered at the close.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Prepare a poll (draft) of CONFERENCE on a motion, one of its amendments or a subject; prints
    its id (or {"id": n})."""
    _clean({"--subject": subject, "--kind": kind, "--base": base, "--majority": majority})
    found = _conference(conference)
    if amendment is not None and motion is None:
        raise Refusal("--amendment: give the motion's number with --motion")
    on = _motion(found, motion, "--motion") if motion is not None else None
    amended = _amendment(on, amendment) if on is not None and amendment is not None else None
    poll = _act(
        assembly.add_poll,
        conference=found,
        kind=kind,
        base=base,
        majority=majority,
        subject=subject,
        motion=None if amended else on,
        amendment=amended,
        named=not totals,
    )
    _print_key("id", poll.pk, as_json)


@poll_app.command("open")
def poll_open(poll: Annotated[str, typer.Argument(help="The poll (id).")]) -> None:
    """Open a draft poll for the delegates' votes."""
    opened = _act(assembly.open_poll, poll=_poll(poll))
    out.print(f"Poll {opened.pk} is open: {opened.subject}.")


@poll_app.command("close")
def poll_close(
    poll: Annotated[str, typer.Argument(help="The poll (id).")],
    yes: Annotated[int | None, typer.Option("--yes", help="Yes entered (a poll by totals).")] = None,
    no: Annotated[int, typer.Option("--no", help="No entered.")] = 0,
    abstain: Annotated[int, typer.Option("--abstain", help="Abstentions entered.")] = 0,
) -> None:
    """Close an open poll: count it and freeze the entitled list and the result."""
    totals = None if yes is None else {"yes": yes, "no": no, "abstain": abstain}
    closed = _act(assembly.close_poll, poll=_poll(poll), totals=totals)
    assert closed.result is not None
    out.print(closed.result["explanation"])
    _print_not_counted(closed.result)


def _print_not_counted(result: dict) -> None:
    """Each named vote the count left out, with why (the voter no longer carries what they voted with)."""
    for left in result.get("not_counted", []):
        out.print(f"Not counted: {left['name']}: {left['why']}")


def conference_result(poll: Annotated[str, typer.Argument(help="The poll (id).")], as_json: JsonFlag = False) -> None:
    """A closed poll's result: the count in words, or its stored JSON with the entitled list."""
    found = _poll(poll)
    if found.result is None:
        raise Refusal(f"poll {found.pk} is {found.state}; a result comes with the close")
    if as_json:
        print_json({**found.result, "entitled": found.entitled, "proxies": found.proxies})
        return
    result = found.result
    out.print(f"{found.subject}")
    out.print(f"Yes {result['yes']}, no {result['no']}, abstain {result['abstain']}; base {result['base_weight']}.")
    out.print(result["explanation"])
    _print_not_counted(result)


@motion_app.command("add")
def motion_add(
    conference: Annotated[str, typer.Argument(help="The conference (id).")],
    title: Annotated[str, typer.Option("--title", help="The motion's title.")],
    text: Annotated[str, typer.Option("--text", help="Its text; paragraphs separated by a blank line.")],
    delegate: Annotated[
        str | None, typer.Option("--delegate", help="The submitting delegate (their email or number).")
    ] = None,
    decision: Annotated[int | None, typer.Option("--decision", help="The unit's carried decision (id).")] = None,
    founding: Annotated[bool, typer.Option("--founding", help="The resolution founding the top unit.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Submit a motion to CONFERENCE by a unit (--decision) or a delegate (--delegate); prints
    its number (or {"number": n})."""
    _clean({"--title": title, "--text": text})
    found = _conference(conference)
    by_delegate = _delegate(found, delegate, "--delegate")
    by_unit = (
        selectors.decision_in(found.organization, decision) if decision is not None and is_row_id(decision) else None
    )
    if decision is not None and by_unit is None:
        raise Refusal(f"--decision: no decision {decision}")
    motion = _act(
        assembly.add_motion,
        conference=found,
        title=title,
        text=text.replace("\\n", "\n"),
        decision=by_unit,
        delegate=by_delegate,
        founding=founding,
    )
    _print_key("number", motion.number, as_json)


@motion_app.command("status")
def motion_status(
    conference: Annotated[str, typer.Argument(help="The conference (id).")],
    motion: Annotated[int, typer.Argument(help="The motion's number.")],
    status: Annotated[str, typer.Argument(help=" | ".join(Motion.Status.values))],
) -> None:
    """Move a motion on: submitted -> admitted -> debated -> adopted, rejected or referred."""
    _clean({"STATUS": status})
    found = _motion(_conference(conference), motion, "MOTION")
    moved = _act(assembly.set_motion_status, motion=found, status=status, flags={"status": "STATUS"})
    out.print(f"Motion {moved.number} ({moved.title}) is {moved.status}.")


@motion_app.command("publish")
def motion_publish(
    conference: Annotated[str, typer.Argument(help="The conference (id).")],
    motion: Annotated[int, typer.Argument(help="The adopted motion's number.")],
    issue: Annotated[int, typer.Option("--issue", help="A draft or scheduled bulletin issue (id).")],
    as_json: JsonFlag = False,
) -> None:
    """Publish an adopted motion (a resolution) as an article of a bulletin issue of the
    organization; prints the article (or {"id": n, "title": t})."""
    from grassroots.bulletin.models import Issue

    found = _conference(conference)
    resolution = _motion(found, motion, "MOTION")
    where = Issue.objects.filter(publication__organization=found.organization).select_related("publication")
    target = where.filter(pk=issue).first() if is_row_id(issue) else None
    if target is None:
        raise Refusal(f"--issue: {found.organization.name} has no issue {issue}")
    article = _act(
        assembly.publish_resolution, motion=resolution, publication=target.publication.slug, number=target.number
    )
    if as_json:
        print_json({"id": article.pk, "title": article.title})
    else:
        out.print(f"{article.title}: article {article.pk} of issue {target.pk} ({target.label}).")


@amendment_app.command("add")
def amendment_add(
    conference: Annotated[str, typer.Argument(help="The conference (id).")],
    motion: Annotated[int, typer.Argument(help="The motion's number.")],
    text: Annotated[str, typer.Option("--text", help="The replacement text (of the paragraph, or the whole).")],
    paragraph: Annotated[
        int | None, typer.Option("--paragraph", help="The paragraph replaced, 1 first (default: the whole text).")
    ] = None,
    delegate: Annotated[
        str | None,
        typer.Option("--delegate", help="The proposing delegate (their email or number; default: the organizers)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Propose to replace a motion's whole text or one paragraph (paragraphs are separated by a
    blank line, written \\n\\n); prints the amendment's number (or {"number": n})."""
    _clean({"--text": text})
    found = _conference(conference)
    amended = _motion(found, motion, "MOTION")
    by_delegate = _delegate(found, delegate, "--delegate")
    made = _act(
        assembly.add_amendment,
        motion=amended,
        text=text.replace("\\n", "\n"),
        paragraph=paragraph,
        delegate=by_delegate,
    )
    _print_key("number", made.number, as_json)


def _election(ref: str) -> Election:
    found = Election.objects.filter(pk=ref).select_related("conference__unit").first() if is_row_id(ref) else None
    if found is None:
        raise Refusal(f"no election {ref}")
    return found


def _people(found, pairs: list[str]) -> dict:
    """`--person NAME=ID` pairs as candidate name -> Person of the conference's organization."""
    from grassroots.people.models import Person

    wanted: dict[str, str] = {}
    for pair in pairs:
        name, _sep, pk = pair.rpartition("=")
        if not name.strip() or not is_row_id(pk.strip()):
            raise Refusal(f"--person: {pair!r} is not NAME=PERSON_ID")
        wanted[name.strip()] = pk.strip()
    people = Person.objects.filter(organization=found.organization, pk__in=list(wanted.values()))
    by_pk = {str(person.pk): person for person in people}
    for name, pk in wanted.items():
        if pk not in by_pk:
            raise Refusal(f"--person: no person {pk} in {found.organization.name} (for {name!r})")
    return {name: by_pk[pk] for name, pk in wanted.items()}


@election_app.command("add")
def election_add(
    conference: Annotated[str, typer.Argument(help="The conference (id).")],
    title: Annotated[str, typer.Option("--title", help="What is elected, e.g. the council.")],
    method: Annotated[str, typer.Option("--method", help=" | ".join(voting.METHODS))],
    candidates: Annotated[str, typer.Option("--candidates", help="The candidates' names, comma-separated.")],
    seats: Annotated[int, typer.Option("--seats", help="Seats to fill.")] = 1,
    person: Annotated[
        list[str] | None, typer.Option("--person", help="NAME=PERSON_ID: a candidate who is that person (repeat).")
    ] = None,
    body: Annotated[bool, typer.Option("--body", help="The election of the top unit's leading body.")] = False,
    seed: Annotated[
        str, typer.Option("--seed", help="Seed of the lot that breaks ties (default: the conference's).")
    ] = "",
    as_json: JsonFlag = False,
) -> None:
    """Prepare an election (draft) of CONFERENCE; prints its id (or {"id": n})."""
    _clean({"--title": title, "--method": method, "--candidates": candidates, "--seed": seed})
    found = _conference(conference)
    names = [name.strip() for name in candidates.split(",")]
    made = _act(
        assembly.add_election,
        conference=found,
        title=title,
        method=method,
        candidates=names,
        seats=seats,
        body=body,
        seed=seed,
        people=_people(found, person or []),
    )
    _print_key("id", made.pk, as_json)


@election_app.command("open")
def election_open(election: Annotated[str, typer.Argument(help="The election (id).")]) -> None:
    """Open a draft election for the delegates' ballots (the conference in session)."""
    opened = _act(assembly.open_election, election=_election(election))
    out.print(f"Election {opened.pk} is open: {opened.title}.")


def _show_election(election: Election) -> None:
    result = election.result
    assert result is not None
    out.print(f"{election.title}: {result['rule']}")
    out.print(f"Valid votes {result['valid']}, blank {result['blank']}" +
              (f"; quota {result['quota']}." if result["quota"] is not None else "."))  # fmt: skip
    for count in result["rounds"]:
        # In the candidates' order (PostgreSQL's jsonb keeps no key order).
        votes = ", ".join(f"{name} {count['votes'][name]}" for name in result["candidates"] if name in count["votes"])
        out.print(f"Round {count['round']}: {votes}." + (f" {count['transfer']}" if count["transfer"] else ""))
    for tie in result["ties"]:
        out.print(f"Tie in round {tie['round']} between {', '.join(tie['candidates'])}: "
                  f"{', '.join(tie['chosen'])} {tie['outcome']}, decided by {tie['decided_by']}.")  # fmt: skip
    if result.get("not_counted"):
        out.print(f"Not counted (no longer entitled): {len(result['not_counted'])} ballot(s).")
    out.print(f"Elected: {', '.join(result['elected'])}." if result["elected"] else "Nobody elected.")


@election_app.command("close")
def election_close(election: Annotated[str, typer.Argument(help="The election (id).")]) -> None:
    """Close an open election: count the ballots by the weights carried now, freeze the result."""
    closed = _act(assembly.close_election, election=_election(election))
    _show_election(closed)


@election_app.command("result")
def election_result(
    election: Annotated[str, typer.Argument(help="The election (id).")], as_json: JsonFlag = False
) -> None:
    """A closed election's count round by round, or its stored JSON with the entitled list."""
    found = _election(election)
    if found.result is None:
        raise Refusal(f"election {found.pk} is {found.state}; a result comes with the close")
    if as_json:
        print_json({"title": found.title, **found.result, "entitled": found.entitled, "people": found.candidate_people})
    else:
        _show_election(found)


@proxy_app.command("give")
def proxy_give(
    conference: Annotated[str, typer.Argument(help="The conference (id).")],
    giver: Annotated[str, typer.Argument(help="The delegate giving their vote (email or number).")],
    holder: Annotated[str, typer.Argument(help="The delegate of the same delegation holding it.")],
    as_json: JsonFlag = False,
) -> None:
    """GIVER gives their vote to HOLDER, of the same delegation, for the rest of the conference."""
    found = _conference(conference)
    giving, holding = _seated(found, giver, "GIVER"), _seated(found, holder, "HOLDER")
    proxy = _act(assembly.give_proxy, giver=giving, holder=holding)
    if as_json:
        print_json({"id": proxy.pk, "giver": giving.pk, "holder": holding.pk})
    else:
        out.print(f"{giving.person.name} gives their vote to {holding.person.name}.")


@proxy_app.command("withdraw")
def proxy_withdraw(
    conference: Annotated[str, typer.Argument(help="The conference (id).")],
    giver: Annotated[str, typer.Argument(help="The delegate who gave the proxy (email or number).")],
) -> None:
    """Withdraw the proxy GIVER gave: they vote for themself again."""
    found = _conference(conference)
    giving = _seated(found, giver, "GIVER")
    proxy = (
        Proxy.objects.filter(conference=found, giver=giving)
        .select_related("conference__unit", "holder__person")
        .first()
    )
    if proxy is None:
        raise Refusal(f"GIVER: {giving.person.name} gave no proxy")
    _act(assembly.withdraw_proxy, proxy=proxy)
    out.print(f"{giving.person.name} votes again; the proxy held by {proxy.holder.person.name} is withdrawn.")


def _officers(values: list[str] | None, conference: Conference) -> dict:
    officers = {}
    for value in values or []:
        _clean({"--officer": value})
        post, sep, ref = (part.strip() for part in value.partition("="))
        if not sep or not post or not ref:
            raise Refusal(f"--officer: '{value}' should be POST=PERSON, e.g. secretary=ada@example.org")
        if post in officers:
            raise Refusal(f"--officer: {post} is given twice")
        try:
            officers[post] = get_person(ref, organization=conference.organization)
        except Refusal as refusal:
            raise Refusal(f"--officer: {post}: {refusal.format_message()}") from None
    return officers


def conference_constitute(
    conference: Annotated[str, typer.Argument(help="The conference (id).")],
    on: OnOption = None,
    officer: Annotated[
        list[str] | None, typer.Option("--officer", help="POST=PERSON (email or number) appointed; repeatable.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Constitute the top unit at its founding conference (its founding resolution adopted, its
    body elected): the delegates present are the founding members; the founding rules still decide."""
    _clean({"--on": on})
    found = _conference(conference)
    day, officers = parse_date(on, "--on"), _officers(officer, found)
    founded = _act(assembly.constitute_body, conference=found, on=day, officers=officers)
    if as_json:
        print_json({"unit": founded.slug, "state": founded.state,
                    "founded_on": founded.founded_on.isoformat() if founded.founded_on else None})  # fmt: skip
    else:
        out.print(f"{founded.name} is {founded.state_label} on {founded.founded_on}.")

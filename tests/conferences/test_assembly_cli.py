"""`grassroots conference motion add`, `poll add|open|close` and `result`: the issue's known
poll (weights 10, 10 and 7) counted from entered totals, and the refusals naming the flag."""

from __future__ import annotations

import json

import pytest

from grassroots.cli import main
from grassroots.conferences.models import Election, Motion, Poll, Proxy
from tests.support import builders
from tests.support.assembly import in_session, seat
from tests.support.conferences import conference, conference_scene

pytestmark = pytest.mark.django_db


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def session(org):
    found = in_session(conference(conference_scene(org)["federation"]))
    return found, seat(found, {"elm-house": [10, 10], "oak-court": [7]})


def test_poll_by_totals_from_the_terminal(capsys, session):
    found, seated = session
    code, out, err = run(capsys, "conference", "motion", "add", str(found.pk), "--title", "Strike",
                         "--text", "We strike.\\n\\nFrom May.", "--delegate", str(seated["oak-court"][0].person_id),
                         "--json")  # fmt: skip
    assert (code, err, json.loads(out)) == (0, "", {"number": 1})
    assert Motion.objects.get().text == "We strike.\n\nFrom May."
    code, out, err = run(capsys, "conference", "poll", "add", str(found.pk), "--subject", "Strike",
                         "--kind", "yes-no-abstain", "--base", "valid", "--majority", "two-thirds", "--totals",
                         "--json")  # fmt: skip
    assert code == 0, err
    poll = json.loads(out)["id"]
    assert run(capsys, "conference", "result", str(poll))[0] == 1
    assert run(capsys, "conference", "poll", "open", str(poll))[0] == 0
    code, out, err = run(capsys, "conference", "poll", "close", str(poll), "--yes", "20", "--no", "7")
    assert code == 0, err
    assert "Yes 20, no 7, abstain 0." in out and "Yes 74.07 %" in out and "Passed" in out
    code, out, err = run(capsys, "conference", "result", str(poll), "--json")
    result = json.loads(out)
    assert (result["yes"], result["no"], result["percent"]["yes"], result["passed"]) == (20, 7, "74.07", True)
    assert sorted(voter["weight"] for voter in result["entitled"]) == [7, 10, 10]
    code, out, err = run(capsys, "conference", "result", str(poll))
    assert code == 0 and "Yes 20, no 7, abstain 0; base 27." in out


def test_refusals_name_the_flag(capsys, session):
    found, _seated = session
    code, out, err = run(capsys, "conference", "poll", "add", str(found.pk), "--subject", "X", "--majority", "most")
    assert code == 1 and err.startswith("error: --majority:") and "Traceback" not in err
    code, out, err = run(capsys, "conference", "poll", "add", str(found.pk), "--motion", "9")
    assert code == 1 and "--motion: no motion 9" in err
    assert run(capsys, "conference", "poll", "open", "999")[2].strip().endswith("no poll 999")
    code, out, err = run(capsys, "conference", "poll", "add", str(found.pk), "--subject", "Named")
    poll = out.strip()
    code, out, err = run(capsys, "conference", "poll", "close", poll)
    assert code == 1 and "only an open poll closes" in err
    code, out, err = run(capsys, "conference", "motion", "add", str(found.pk), "--title", "T", "--text", "x")
    assert code == 1 and "give the unit's decision or the delegate" in err
    assert Poll.objects.count() == 1


def test_an_election_with_a_person_from_the_terminal(capsys, session):
    from grassroots.conferences.models import Election, ElectionBallot
    from tests.support import builders

    found, seated = session
    ben = builders.person(found.organization, "Ben Okafor")
    code, out, err = run(capsys, "conference", "election", "add", str(found.pk), "--title", "Council",
                         "--method", "instant-runoff", "--candidates", "Ada,Ben",
                         "--person", f"Ben={ben.pk}", "--body", "--json")  # fmt: skip
    assert code == 0, err
    election = Election.objects.get(pk=json.loads(out)["id"])
    assert (election.candidates, election.candidate_people, election.body) == (["Ada", "Ben"], {"Ben": ben.pk}, True)
    assert (
        run(capsys, "conference", "election", "open", str(election.pk))[1]
        == f"Election {election.pk} is open: Council.\n"
    )
    ElectionBallot.objects.create(election=election, delegate=seated["elm-house"][0], choices=["Ben"],
                                  cast_at=election.conference.called_at)  # fmt: skip
    code, out, err = run(capsys, "conference", "election", "close", str(election.pk))
    assert code == 0 and out.endswith("Elected: Ben.\n"), err
    code, out, err = run(capsys, "conference", "election", "result", str(election.pk), "--json")
    assert json.loads(out)["people"] == {"Ben": ben.pk}
    code, out, err = run(capsys, "conference", "election", "add", str(found.pk), "--title", "X", "--method",
                         "plurality", "--candidates", "A", "--person", "A=999999")  # fmt: skip
    assert code == 1 and "--person: no person 999999" in err
    code, out, err = run(capsys, "conference", "election", "add", str(found.pk), "--title", "X", "--method",
                         "plurality", "--candidates", "A,A")  # fmt: skip
    assert code == 1 and err.startswith("error: --candidates: 'A' is listed twice"), err


@pytest.fixture
def hall(session):
    """The session with its delegates reachable by email: elm0, elm1 (Elm House), oak0."""
    found, seated = session
    for slug, short in (("elm-house", "elm"), ("oak-court", "oak")):
        for number, delegate in enumerate(seated[slug]):
            delegate.person.email = f"{short}{number}@example.org"
            delegate.person.save(update_fields=["email"])
    return found, seated


def _ok(capsys, *args: str) -> str:
    code, out, err = run(capsys, "conference", *args)
    assert (code, err) == (0, ""), err
    return out


def _refused(capsys, *args: str, code: int = 1) -> str:
    """The one line of a refusal (exit 1, or 2 for a usage error; nothing on standard output, no
    traceback)."""
    exit_code, out, err = run(capsys, "conference", *args)
    assert (exit_code, out) == (code, ""), (exit_code, out, err)
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err.removeprefix("error: ").strip()


def _poll_by_totals(capsys, pk: str, *target: str, yes: str = "27") -> dict:
    poll = json.loads(_ok(capsys, "poll", "add", pk, *target, "--totals", "--json"))["id"]
    _ok(capsys, "poll", "open", str(poll))
    _ok(capsys, "poll", "close", str(poll), "--yes", yes)
    return Poll.objects.get(pk=poll)


def test_a_motion_amended_adopted_and_published_from_the_terminal(capsys, org, hall):
    from grassroots.bulletin import actions as bulletin
    from grassroots.bulletin.models import Article

    found, seated = hall
    pk, oak = str(found.pk), str(seated["oak-court"][0].person_id)
    _ok(capsys, "motion", "add", pk, "--title", "Strike", "--text", "We strike.\\n\\nFrom May.", "--delegate", oak)
    assert _ok(capsys, "motion", "status", pk, "1", "admitted") == "Motion 1 (Strike) is admitted.\n"
    out = _ok(capsys, "amendment", "add", pk, "1", "--paragraph", "2", "--text", "From June.", "--delegate", oak,
              "--json")  # fmt: skip
    assert json.loads(out) == {"number": 1}
    assert _ok(capsys, "amendment", "add", pk, "1", "--text", "We strike at once.") == "2\n"
    amendment = Motion.objects.get().amendments.get(number=1)
    assert (amendment.paragraph, amendment.text, amendment.delegate) == (2, "From June.", seated["oak-court"][0])
    poll = _poll_by_totals(capsys, pk, "--motion", "1", "--amendment", "1")
    assert (poll.subject, poll.amendment_id, poll.motion_id, poll.passed) == (
        "Amendment 1 to motion 1", amendment.pk, None, True)  # fmt: skip
    motion = Motion.objects.get()
    assert motion.text == "We strike.\n\nFrom June."
    assert motion.versions[0]["text"] == "We strike.\n\nFrom May."
    assert motion.amendments.get(number=1).status == "adopted"
    _poll_by_totals(capsys, pk, "--motion", "1", "--amendment", "2", yes="0")
    assert Motion.objects.get().amendments.get(number=2).status == "rejected"
    _poll_by_totals(capsys, pk, "--motion", "1")
    assert Motion.objects.get().status == "adopted"
    gazette = bulletin.add_publication(organization=org, name="Gazette", by="test")
    issue = bulletin.add_issue(publication=gazette, title="Congress", by="test")
    out = _ok(capsys, "motion", "publish", pk, "1", "--issue", str(issue.pk))
    article = Article.objects.get()
    assert out == f"Resolution 1: Strike: article {article.pk} of issue {issue.pk} ({issue.label}).\n"
    assert article.body == "We strike.\n\nFrom June." and article.issue_id == issue.pk
    assert _refused(capsys, "motion", "publish", pk, "1", "--issue", str(issue.pk)) == (
        "article: resolution 1 is already published")  # fmt: skip
    assert _refused(capsys, "motion", "status", pk, "1", "referred") == "STATUS: motion 1 is adopted; it is decided"


def test_motion_and_amendment_refusals_name_the_flag(capsys, org, hall):
    from grassroots.bulletin import actions as bulletin

    found, seated = hall
    pk = str(found.pk)
    _ok(capsys, "motion", "add", pk, "--title", "Dues", "--text", "Lower.\\n\\nFrom May.",
        "--delegate", str(seated["elm-house"][0].person_id))  # fmt: skip
    assert _refused(capsys, "motion", "status", pk, "1", "debated") == (
        "STATUS: motion 1 is submitted; only admitted follows")  # fmt: skip
    assert _refused(capsys, "motion", "status", pk, "1", "passed").startswith(
        "STATUS: 'passed' is not one of submitted, admitted")  # fmt: skip
    assert _refused(capsys, "motion", "status", pk, "9", "admitted") == f"MOTION: no motion 9 in conference {pk}"
    assert _refused(capsys, "motion", "status", pk, str(2**63), "admitted") == (
        f"MOTION: no motion {2**63} in conference {pk}")  # fmt: skip
    assert _refused(capsys, "motion", "status", "999", "1", "admitted") == "no conference 999"
    assert _refused(capsys, "amendment", "add", pk, "1", "--paragraph", "3", "--text", "Soon.") == (
        "--paragraph: motion 1 has 2 paragraph(s); there is no paragraph 3")  # fmt: skip
    assert _refused(capsys, "amendment", "add", pk, "1", "--text", "  ") == "--text: required"
    assert _refused(capsys, "amendment", "add", pk, "1", "--paragraph", "0", "--text", "Soon.") == (
        "--paragraph: motion 1 has 2 paragraph(s); there is no paragraph 0")  # fmt: skip
    assert _refused(capsys, "amendment", "add", pk, "1", "--text", "a\x00b") == "--text: contains a NUL character"
    assert _refused(capsys, "amendment", "add", pk, "1", "--text", "X", "--delegate", "999999") == (
        "--delegate: no person '999999'")  # fmt: skip
    assert _refused(capsys, "amendment", "add", pk, "1", "--text", "X", "--delegate", str(2**64)) == (
        f"--delegate: no person '{2**64}'")  # fmt: skip
    outsider = builders.person(found.organization, "Not Adelegate")
    assert _refused(capsys, "amendment", "add", pk, "1", "--text", "X", "--delegate", str(outsider.pk)) == (
        f"--delegate: Not Adelegate is not a delegate of {found.name}")  # fmt: skip
    assert _refused(capsys, "amendment", "add", pk, "2", "--text", "X") == f"MOTION: no motion 2 in conference {pk}"
    assert _refused(capsys, "amendment", "add", pk, "x", "--text", "X", code=2).startswith("Invalid value for 'motion'")
    assert (
        _refused(capsys, "poll", "add", pk, "--amendment", "1") == "--amendment: give the motion's number with --motion"
    )
    assert _refused(capsys, "poll", "add", pk, "--motion", "1", "--amendment", "4") == (
        "--amendment: no amendment 4 to motion 1")  # fmt: skip
    assert _refused(capsys, "poll", "add", pk, "--motion", str(2**40)) == (
        f"--motion: no motion {2**40} in conference {pk}")  # fmt: skip
    assert _refused(capsys, "motion", "add", pk, "--title", "T", "--text", "x", "--decision", "999") == (
        "--decision: no decision 999")  # fmt: skip
    gazette = bulletin.add_publication(organization=org, name="Gazette", by="test")
    issue = bulletin.add_issue(publication=gazette, title="Congress", by="test")
    assert _refused(capsys, "motion", "publish", pk, "1", "--issue", str(issue.pk)) == (
        "status: motion 1 is submitted; only an adopted motion (a resolution) is published")  # fmt: skip
    other = builders.organization(slug="elsewhere")
    theirs = bulletin.add_issue(publication=bulletin.add_publication(organization=other, name="News", by="test"),
                                title="Theirs", by="test")  # fmt: skip
    assert _refused(capsys, "motion", "publish", pk, "1", "--issue", str(theirs.pk)) == (
        f"--issue: {org.name} has no issue {theirs.pk}")  # fmt: skip
    assert Motion.objects.get().amendments.count() == 0 and Poll.objects.count() == 0


def test_an_election_from_the_terminal(capsys, hall):
    from django.utils import timezone

    from grassroots.conferences.models import ElectionBallot

    found, seated = hall
    pk = str(found.pk)
    out = _ok(capsys, "election", "add", pk, "--title", "Council", "--method", "stv", "--seats", "2", "--body",
              "--candidates", "Ada, Ben,Cy", "--json")  # fmt: skip
    election = Election.objects.get(pk=json.loads(out)["id"])
    assert (election.candidates, election.seats, election.body, election.state) == (["Ada", "Ben", "Cy"], 2, True,
                                                                                   "draft")  # fmt: skip
    assert _refused(capsys, "election", "result", str(election.pk)) == (
        f"election {election.pk} is draft; a result comes with the close")  # fmt: skip
    assert _refused(capsys, "election", "close", str(election.pk)) == (
        f"state: election {election.pk} is draft; only an open one closes")  # fmt: skip
    assert _ok(capsys, "election", "open", str(election.pk)) == f"Election {election.pk} is open: Council.\n"
    delegates = [*seated["elm-house"], *seated["oak-court"]]
    for delegate, choices in zip(delegates, (["Ada", "Ben"], ["Ada", "Cy"], ["Cy", "Ben"]), strict=True):
        ElectionBallot.objects.create(election=election, delegate=delegate, choices=choices, cast_at=timezone.now())
    out = _ok(capsys, "election", "close", str(election.pk))
    # Droop quota of 27 weight for 2 seats: 10; Ada's 20 elects her, her surplus goes to Ben and Cy.
    assert "Valid votes 27, blank 0; quota 10.0000." in out and out.endswith("Elected: Ada, Cy.\n")
    assert _ok(capsys, "election", "result", str(election.pk)) == out
    result = json.loads(_ok(capsys, "election", "result", str(election.pk), "--json"))
    assert (result["title"], result["elected"], result["quota"], result["valid"]) == ("Council", ["Ada", "Cy"],
                                                                                       "10.0000", 27)  # fmt: skip
    assert sorted(voter["weight"] for voter in result["entitled"]) == [7, 10, 10]


def test_election_refusals_name_the_flag(capsys, hall):
    found, _seated = hall
    pk = str(found.pk)
    add = ("election", "add", pk, "--title", "Council")
    assert _refused(capsys, *add, "--method", "borda", "--candidates", "A,B").startswith(
        "--method: unknown method 'borda'; use one of plurality, approval, instant-runoff, stv")  # fmt: skip
    assert _refused(capsys, *add, "--method", "stv", "--candidates", "Ada,Ben", "--seats", "3") == (
        "--seats: 3 seats but only 2 candidate(s)")  # fmt: skip
    assert _refused(capsys, *add, "--method", "plurality", "--candidates", "Ada,,Ben").startswith("--candidates: ")
    assert _refused(capsys, *add, "--method", "stv", "--candidates", "Ada,Ben", "--seats", "0") == (
        "--seats: weight must be at least 1, not 0")  # fmt: skip
    assert _refused(capsys, *add, "--method", "plurality", "--candidates", "").startswith("--candidates: ")
    assert _refused(capsys, *add, "--method", "plurality", "--candidates", "A\x00,B") == (
        "--candidates: contains a NUL character")  # fmt: skip
    assert _refused(capsys, "election", "add", pk, "--title", "", "--method", "stv", "--candidates", "A") == (
        "--title: required")  # fmt: skip
    assert _refused(capsys, "election", "open", "999") == "no election 999"
    assert _refused(capsys, "election", "open", "x") == "no election x"
    assert Election.objects.count() == 0


def test_proxies_from_the_terminal(capsys, org, hall):
    found, seated = hall
    pk = str(found.pk)
    elm0, elm1 = seated["elm-house"]
    out = _ok(capsys, "proxy", "give", pk, "elm0@example.org", "ELM1@example.org", "--json")
    proxy = Proxy.objects.get()
    assert json.loads(out) == {"id": proxy.pk, "giver": elm0.pk, "holder": elm1.pk}
    assert _refused(capsys, "proxy", "give", pk, "elm0@example.org", "elm1@example.org") == (
        f"proxy: {elm0.person.name} already gave a proxy; withdraw it first")  # fmt: skip
    assert _refused(capsys, "proxy", "give", pk, "elm1@example.org", "oak0@example.org").startswith(
        f"HOLDER: {seated['oak-court'][0].person.name} is not of {elm1.person.name}'s delegation")  # fmt: skip
    assert _ok(capsys, "proxy", "withdraw", pk, "elm0@example.org") == (
        f"{elm0.person.name} votes again; the proxy held by {elm1.person.name} is withdrawn.\n")  # fmt: skip
    assert not Proxy.objects.exists()
    assert _refused(capsys, "proxy", "withdraw", pk, "elm0@example.org") == f"GIVER: {elm0.person.name} gave no proxy"
    assert _ok(capsys, "proxy", "give", pk, str(elm1.person.pk), "elm0@example.org") == (
        f"{elm1.person.name} gives their vote to {elm0.person.name}.\n")  # fmt: skip
    assert _refused(capsys, "proxy", "give", pk, "nobody@example.org", "elm0@example.org") == (
        "GIVER: no person 'nobody@example.org'")  # fmt: skip
    builders.person(builders.organization(slug="elsewhere"), email="stranger@example.org")
    assert _refused(capsys, "proxy", "give", pk, "elm0@example.org", "stranger@example.org") == (
        "HOLDER: no person 'stranger@example.org'")  # fmt: skip
    outsider = builders.person(org, email="outsider@example.org")
    assert _refused(capsys, "proxy", "give", pk, "outsider@example.org", "elm0@example.org") == (
        f"GIVER: {outsider.name} is not a delegate of {found.name}")  # fmt: skip
    assert _refused(capsys, "proxy", "give", pk, "", "elm0@example.org") == "GIVER: give the delegate's email or number"
    assert _refused(capsys, "proxy", "give", pk, "elm0@example.org", "elm0\x00") == "HOLDER: contains a NUL character"
    assert Proxy.objects.count() == 1
    # `checkin` and `credential` take one PERSON the same way (an empty one was a traceback).
    assert _refused(capsys, "checkin", pk, "") == "PERSON: give one delegate's email or number"
    assert _refused(capsys, "checkin", pk, "elm0@example.org,elm1@example.org") == (
        "PERSON: give one delegate's email or number")  # fmt: skip


def test_constitute_refusals_name_the_flag(capsys, hall):
    found, _seated = hall
    pk = str(found.pk)
    assert _refused(capsys, "constitute", pk) == f"resolution: conference {pk} adopted no founding resolution"
    assert _refused(capsys, "constitute", pk, "--on", "2026-13-01") == "--on: '2026-13-01' is not a date (YYYY-MM-DD)"
    assert _refused(capsys, "constitute", pk, "--officer", "secretary") == (
        "--officer: 'secretary' should be POST=PERSON, e.g. secretary=ada@example.org")  # fmt: skip
    assert _refused(capsys, "constitute", pk, "--officer", "secretary=nobody@example.org") == (
        "--officer: secretary: no person 'nobody@example.org'")  # fmt: skip
    assert _refused(capsys, "constitute", pk, "--officer", "secretary=elm0@example.org",
                    "--officer", "secretary=elm1@example.org") == "--officer: secretary is given twice"  # fmt: skip


def test_the_founding_conference_constitutes_the_federation_from_the_terminal(capsys, org):
    """Three constituted districts with 250 members: the resolution adopted and the council
    elected by the CLI's verbs, `constitute` founds the federation with its secretary."""
    import datetime as dt

    from django.utils import timezone

    from grassroots.conferences import actions
    from grassroots.conferences.models import ElectionBallot
    from grassroots.meetings.models import Meeting
    from grassroots.organizations.actions import found_unit
    from grassroots.people.actions import join_unit

    top = builders.unit(org, "federation", "Federation")
    for name in ("North", "South", "East"):
        district = builders.unit(org, "district", name, top, state="preparing")
        found_unit(
            unit=district, by="test", officers={"secretary": builders.district_ready_to_constitute(org, district)}
        )
    first = top.children.order_by("pk").first().children.order_by("pk").first()
    builders.members(org, first, 130)
    found = in_session(
        actions.add_conference(unit=top, name="Founding", cutoff=dt.date.today(), by="test", method="dhondt", seats=5)
    )
    delegates = seat(found, {first.slug: [1, 1]})[first.slug]
    for number, delegate in enumerate(delegates):
        join_unit(person=delegate.person, unit=first, by="test", status="member")
        delegate.person.email = f"d{number}@example.org"
        delegate.person.save(update_fields=["email"])
    pk = str(found.pk)
    _ok(capsys, "motion", "add", pk, "--title", "Founding", "--text", "We found it.", "--founding",
        "--delegate", "d0@example.org")  # fmt: skip
    _ok(capsys, "motion", "status", pk, "1", "admitted")
    _poll_by_totals(capsys, pk, "--motion", "1", yes="2")
    assert Motion.objects.get().status == "adopted"
    assert _refused(capsys, "constitute", pk) == f"election: conference {pk} has no closed election of the body"
    election = json.loads(_ok(capsys, "election", "add", pk, "--title", "Council", "--method", "plurality", "--body",
                              "--candidates", "Ada,Ben", "--json"))["id"]  # fmt: skip
    _ok(capsys, "election", "open", str(election))
    ElectionBallot.objects.create(election_id=election, delegate=delegates[0], choices=["Ada"], cast_at=timezone.now())
    _ok(capsys, "election", "close", str(election))
    assert _refused(capsys, "constitute", pk, "--on", "2999-01-01") == "--on: 2999-01-01 is in the future"
    out = _ok(capsys, "constitute", pk, "--officer", "secretary=d0@example.org", "--json")
    today = timezone.localdate().isoformat()
    assert json.loads(out) == {"unit": top.slug, "state": "founded", "founded_on": today}
    meeting = Meeting.objects.get(unit=top, kind="founding")
    assert "Council elected: Ada" in meeting.minutes_versions.get().text
    assert top.posts.get().person_id == delegates[0].person_id

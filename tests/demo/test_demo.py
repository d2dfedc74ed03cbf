"""The demo federation: its shape and its readiness are what the README promises."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from grassroots.access import Operator
from grassroots.demo import DEMO_SLUG, WAITING_CANDIDATE, build_demo
from grassroots.education.selectors import education_of
from grassroots.errors import ActionRefused
from grassroots.organizations.models import Unit
from grassroots.organizations.selectors import readiness_of, tree_of
from grassroots.people.actions import change_status
from grassroots.people.models import Person
from grassroots.people.normalize import normal_phone
from grassroots.people.selectors import duplicates_visible_to

OPERATOR = Operator("test")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        organization = build_demo()
        tree = {row.slug: row for row in tree_of(OPERATOR, organization)}
        people = Person.objects.filter(organization=organization)
        districts = Unit.objects.filter(organization=organization, kind="district").order_by("slug")
        summary = {
            "consolidated at constitution": {
                district.slug: sorted(
                    child.slug for child, health in _health_of_children(district).items() if health.consolidated
                )
                for district in districts
                if district.founded_on is not None
            },
            "tree": tree,
            "people": people.count(),
            "recruited": people.filter(recruiter__isnull=False).count(),
            "phones": list(people.values_list("phone", flat=True)),
            "duplicates": duplicates_visible_to(OPERATOR, organization),
            "federation": readiness_of(OPERATOR, Unit.objects.get(organization=organization, slug="federation")),
            "birch": readiness_of(OPERATOR, Unit.objects.get(organization=organization, slug="birch-court")),
            "east docks": readiness_of(OPERATOR, Unit.objects.get(organization=organization, slug="east-docks")),
            "cara": _cara_tries_to_become_a_member(organization),
        }
        yield summary
        # Module-scoped data lives outside the per-test transactions: remove it by flushing.
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)


def _cara_tries_to_become_a_member(organization):
    """Cara Quill's education and what `member status` answers her move to member (refused)."""
    cara = Person.objects.get(organization=organization, name=WAITING_CANDIDATE)
    try:
        change_status(person=cara, status="member", by="test")
    except ActionRefused as refused:
        answer = refused.full_message
    else:  # pragma: no cover - the test below fails then
        answer = "allowed"
    return {
        "education": [(row.course, row.status) for row in education_of(OPERATOR, cara, on=dt.date.today())],
        "answer": answer,
    }


def test_a_candidate_cannot_yet_become_a_member_because_a_course_is_missing(demo):
    assert demo["cara"]["education"] == [("basics", "not started")]
    assert demo["cara"]["answer"] == "cannot change candidate to member: course basics not completed"


def test_the_demo_has_about_300_people_with_recruiters(demo):
    assert 250 <= demo["people"] <= 350
    assert demo["recruited"] > demo["people"] * 0.8


def test_each_demo_person_has_their_own_phone_and_no_false_duplicates(demo):
    phones = demo["phones"]
    assert len(set(phones)) == len(phones) == demo["people"]
    assert all(normal_phone(phone, "GB") == phone for phone in phones)
    assert demo["duplicates"] == []


def _health_of_children(district):
    """The health of the district's founded building committees on the day it was constituted."""
    from grassroots.health.selectors import health_of_units

    children = list(district.children.filter(kind="building_committee", founded_on__lte=district.founded_on))
    found = health_of_units(children, on=district.founded_on)
    return {child: found[child.pk] for child in children}


def test_each_district_was_constituted_with_two_consolidated_committees(demo):
    consolidated = demo["consolidated at constitution"]
    assert set(consolidated) == {"north-bank", "old-town"}
    assert all(len(slugs) >= 2 for slugs in consolidated.values()), consolidated


def test_two_districts_are_constituted_and_one_is_not_yet_ready(demo):
    tree = demo["tree"]
    states = {slug: tree[slug].state_label for slug in ("north-bank", "old-town", "east-docks")}
    assert states == {"north-bank": "constituted", "old-town": "constituted", "east-docks": "planned"}
    committees = [row for row in tree.values() if row.kind == "building_committee"]
    assert {row.state for row in committees} >= {"founded", "preparing", "planned", "dormant"}


def test_the_federation_is_not_constituted_and_says_what_is_missing(demo):
    federation = demo["federation"]
    assert demo["tree"]["federation"].state == "preparing"
    assert not federation.ready
    children = federation.results[0]
    assert children.missing == "1 more constituted district committee (not yet constituted: East Docks)"


def test_birch_court_waits_only_for_its_secretary_and_meeting(demo):
    failing = [result.rule for result in demo["birch"].failed]
    assert failing == ["officer: secretary", "founding_meeting"]


def test_the_demo_is_reproducible(demo, db):
    assert DEMO_SLUG == "demo"
    # 230 of the story, Cara Quill (a candidate) and Dev Marlow (a candidate, a founder of Quay House)
    assert demo["tree"]["federation"].members == 232


def test_the_demo_code_is_the_code_the_authenticator_shows(db, capsys):
    from django_otp.oath import TOTP

    from grassroots.accounts.two_factor import pending_device
    from grassroots.cli import main
    from grassroots.demo import DEMO_OFFICER_USERNAME

    build_demo()
    device = pending_device(_user(DEMO_OFFICER_USERNAME))
    assert main(["demo-code", DEMO_OFFICER_USERNAME]) == 0
    assert capsys.readouterr().out.strip() == f"{TOTP(device.bin_key).token():06d}"


def test_the_demo_code_works_before_the_first_sign_in(db, client, capsys):
    """Asked before the first password sign-in, the code is the one the setup page then accepts."""
    from grassroots.cli import main
    from grassroots.demo import DEMO_USERNAME

    build_demo()
    assert main(["demo-code", DEMO_USERNAME]) == 0
    code = capsys.readouterr().out.strip()
    assert len(code) == 6 and code.isdigit()
    client.force_login(_user(DEMO_USERNAME))  # as after the password
    setup = client.get("/", follow=True).redirect_chain[-1][0]
    assert "/accounts/two-factor/setup/" in setup
    done = client.post(setup, {"code": code}, follow=True)
    assert "Your authenticator app is set up" in done.content.decode()
    assert main(["demo-code", "someone@example.org"]) == 1
    assert "is not a demo login" in capsys.readouterr().err


def _user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def test_the_demo_has_an_organ_and_a_district_newsletter_with_draft_issues(demo):
    from grassroots.bulletin.models import Publication
    from grassroots.bulletin.selectors import recipient_count

    organ = Publication.objects.get(slug="the-riverside-tenant")
    issue = organ.issues.get()
    assert (issue.status, issue.articles.count()) == ("draft", 2)
    news = Publication.objects.get(slug="north-bank-news")
    assert news.unit.slug == "north-bank"
    assert 0 < recipient_count(publication=news) < recipient_count(publication=organ)


def test_demo_without_serving_prints_whole_logins_and_how_to_serve(db, capsys):
    from grassroots.cli import main
    from grassroots.demo import DEMO_OFFICER_USERNAME, DEMO_PASSWORD

    assert main(["demo", "--no-serve", "--port", "8123"]) == 0
    lines = capsys.readouterr().out.splitlines()
    (address,) = [line for line in lines if line.startswith("Address")]
    assert address.startswith("Address, once served (`") and address.endswith(" serve`): http://127.0.0.1:8123/o/demo/")
    # One line each, however narrow the terminal: a login is never split where it is copied from.
    assert any(line.endswith(f"{DEMO_OFFICER_USERNAME} / {DEMO_PASSWORD}") for line in lines)
    (conference,) = [line for line in lines if line.startswith("The founding conference: ")]
    assert re.fullmatch(r"The founding conference: http://127.0.0.1:8123/o/demo/conferences/\d+/", conference)


def test_two_years_of_meetings_some_strong_some_fading_a_series_and_one_today(demo):
    from django.utils import timezone

    from grassroots.demo import demo_meeting_today
    from grassroots.meetings.models import Attendance, Meeting, MeetingSeries
    from grassroots.organizations.models import Organization

    organization = Organization.objects.get(slug=DEMO_SLUG)
    held = Meeting.objects.filter(unit__organization=organization, status="held", kind="regular")
    assert held.count() > 100
    rates = []
    for unit_id in set(held.values_list("unit_id", flat=True)):
        rows = Attendance.objects.filter(meeting__in=held.filter(unit_id=unit_id))
        rates.append(rows.filter(status="present").count() / max(1, rows.count()))
    assert min(rates) < 0.4 < 0.6 < max(rates)  # fading committees and strong ones
    assert MeetingSeries.objects.filter(unit__organization=organization, rule="FREQ=MONTHLY;BYDAY=2TU").count() == 1
    today = demo_meeting_today(organization)
    assert today.on == timezone.localdate() or (timezone.now() - today.start).total_seconds() < 3600
    assert today.attendance.filter(status="present", method="host").exists()


def test_the_districts_passed_the_campaign_on_some_reported_one_declined_two_overdue(demo):
    from grassroots.directives.models import Assignment, Directive
    from grassroots.directives.selectors import rollup

    top = Directive.objects.get(organization__slug=DEMO_SLUG, parent__isnull=True, title="Rent freeze petition")
    children = list(Directive.objects.filter(parent=top).order_by("unit__path"))
    districts = Unit.objects.filter(organization__slug=DEMO_SLUG, kind="district").count()
    assert (top.kind, top.status, len(children)) == ("campaign", "issued", districts)
    assert {child.target_kind for child in children} == {"building_committee"}
    committees = Assignment.objects.filter(directive__in=children)
    assert committees.filter(status="declined").count() == 1
    assert committees.filter(status="done").count() >= 3
    overdue = sum(rollup(child)["overdue"] for child in children)
    assert overdue == 2
    reported = sum(rollup(child)["fields"]["Signatures"]["reported"] for child in children)
    assert reported == committees.filter(status="done").count()


def test_east_docks_is_not_constituted_for_want_of_consolidated_committees(demo):
    rules = {result.rule: result for result in demo["east docks"].results}
    assert rules["children: building_committee"].passed  # three founded committees
    consolidated = rules["consolidated_children: building_committee"]
    assert not consolidated.passed
    assert "not yet consolidated: Dockside Flats" in consolidated.missing


def test_strong_middling_and_fading_committees_and_weekly_snapshots_for_the_trends(demo):
    from grassroots.health.models import HealthSnapshot
    from grassroots.health.selectors.snapshots import rollup_of, today_of
    from grassroots.organizations.models import Organization

    organization = Organization.objects.get(slug=DEMO_SLUG)
    days = sorted(set(HealthSnapshot.objects.filter(organization=organization).values_list("on", flat=True)))
    yesterday = today_of(organization) - dt.timedelta(days=1)
    assert len(days) == 13 and days[-1] == yesterday and days[0] == yesterday - dt.timedelta(weeks=12)
    federation = Unit.objects.get(organization=organization, slug="federation")
    rollup = rollup_of(OPERATOR, federation, on=yesterday)
    assert rollup["source"] == "snapshot" and rollup["units"] == 12
    tiers = {int(tier) for tier, count in rollup["tiers"].items() if count}
    assert tiers == {1, 2, 3, 4, 5}
    weakest = {row["unit"] for row in rollup["weakest"]}
    assert {"dockside-flats", "hazel-gardens"} <= weakest  # a fading committee and the middling one


def test_the_readmes_strong_middling_and_fading_committees_have_those_tiers_today(demo):
    """The README's tour: Elm House and Willow Rise strong, Hazel Gardens middling, Dockside
    Flats fading, Harbour View East Docks' one consolidated committee."""
    from grassroots.health.selectors import health_of

    found = {
        unit.slug: health_of(OPERATOR, unit, on=dt.date.today())
        for unit in Unit.objects.filter(
            organization__slug=DEMO_SLUG,
            slug__in=["elm-house", "willow-rise", "hazel-gardens", "dockside-flats", "harbour-view"],
        )
    }
    assert {slug: (health.tier, health.tier_label, health.consolidated) for slug, health in found.items()} == {
        "elm-house": (5, "Strong", True),
        "willow-rise": (5, "Strong", True),
        "hazel-gardens": (3, "Building", False),
        "dockside-flats": (1, "Fading", False),
        "harbour-view": (4, "Steady", True),
    }
    elm = found["elm-house"]
    attendance = next(result for result in elm.results if result.indicator == "attendance_rate")
    assert attendance.value >= 0.6 and elm.in_good_standing >= elm.members * 0.8


def test_the_founding_conference_is_called_with_seats_for_the_two_constituted_districts(demo):
    from django.utils import timezone

    from grassroots.conferences.models import Conference
    from grassroots.outbox.models import Delivery

    conference = Conference.objects.get(organization__slug=DEMO_SLUG)
    assert (conference.name, conference.unit.slug) == ("Founding conference of the Riverside Federation", "federation")
    assert conference.status == "credentialing" and conference.delegation_kind == "district"
    today = timezone.localdate(timezone=ZoneInfo(conference.unit.meeting_time_zone))
    assert conference.cutoff == today - dt.timedelta(days=14)
    assert conference.rule.startswith("Sainte-Laguë")
    # East Docks, not constituted on the cut-off date, sends no delegation.
    lines = conference.allocations.order_by("unit_path")
    table = [(line.unit.slug, line.members, line.quota, line.seats) for line in lines]
    assert table == [("north-bank", 111, "4.9701", 5), ("old-town", 90, "4.0299", 4)]
    # The call's notices wait in the outbox for the districts' secretaries: queued, not sent.
    notices = Delivery.objects.filter(mailing__source=f"conferences.call:{conference.pk}")
    assert notices.count() == 2 and set(notices.values_list("status", flat=True)) == {"queued"}


def test_each_district_elected_its_delegation_after_the_call_and_credentials_are_partly_verified(demo):
    from grassroots.conferences.models import Delegation

    delegations = {row.unit.slug: row for row in Delegation.objects.filter(conference__organization__slug=DEMO_SLUG)}
    assert sorted(delegations) == ["north-bank", "old-town"]
    states = {}
    for slug, delegation in delegations.items():
        meeting = delegation.decision.meeting
        assert (meeting.unit.slug, delegation.decision.outcome) == (slug, "carried")
        assert meeting.start >= delegation.conference.called_at.replace(second=0, microsecond=0)
        rows = list(delegation.delegates.order_by("-role", "rank"))  # delegates, then alternates
        assert delegation.chair == rows[0].person
        states[slug] = [(row.role, row.rank, row.credential) for row in rows]
    assert states["north-bank"] == [
        *[("delegate", rank, "seated") for rank in (1, 2, 3)],
        *[("delegate", rank, "verified") for rank in (4, 5)],
        ("alternate", 1, "submitted"),
        ("alternate", 2, "submitted"),
    ]
    assert states["old-town"] == [
        ("delegate", 1, "verified"),
        ("delegate", 2, "submitted"),
        ("delegate", 3, "submitted"),
        ("delegate", 4, "challenged"),
        ("alternate", 1, "submitted"),
        ("alternate", 2, "submitted"),
    ]
    challenged = delegations["old-town"].delegates.get(credential="challenged")
    assert "three months in arrears" in challenged.grounds


def test_the_founding_motion_has_one_amendment_to_its_second_paragraph(demo):
    from grassroots.conferences.assembly import amended_text
    from grassroots.conferences.models import Motion

    motion = Motion.objects.get(conference__organization__slug=DEMO_SLUG)
    assert (motion.number, motion.title, motion.status, motion.founding) == (1, "Founding resolution", "admitted", True)
    assert motion.unit.slug == "north-bank" and motion.decision.outcome == "carried"
    amendment = motion.amendments.get()
    assert (amendment.number, amendment.paragraph, amendment.status) == (1, 2, "submitted")
    assert amendment.delegate.person == amendment.delegate.delegation.chair
    assert amendment.delegate.delegation.unit.slug == "old-town"
    assert "meets in conference every year" in amended_text(motion.text, amendment).split("\n\n")[1]


def test_the_conference_pages_of_the_tour_open_for_the_administrator(demo, client):
    from grassroots.conferences.models import Conference
    from grassroots.demo import DEMO_USERNAME
    from tests.support.sessions import sign_in

    conference = Conference.objects.get(organization__slug=DEMO_SLUG)
    sign_in(client, _user(DEMO_USERNAME))
    base = f"/o/demo/conferences/{conference.pk}/"
    pages = {
        base: ["North Bank", "4.9701", "Old Town"],
        f"{base}delegations/": ["challenged", "three months in arrears", "seated"],
        f"{base}session/": ["Founding resolution", "every year"],
        f"{base}projector/": [],
        f"/o/demo/u/north-bank/conferences/{conference.pk}/delegation/": ["seated"],
        "/o/demo/u/federation/": ["Conferences convened by Riverside Federation"],
        "/o/demo/u/federation/conferences/": ["Founding conference of the Riverside Federation"],
    }
    for path, shown in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.content.decode()
        for words in shown:
            assert words in text, (path, words)

"""The demo organization: a fictional tenants' federation with two years of history.

Built from a fixed seed through the same actions as every other change, in date order, so
each founding and constitution happened when its rules held. Three districts: two
constituted, one not yet ready; the federation itself is preparing and its readiness shows
what is missing. Birch Court is preparing with four members and no secretary, ready to be
founded at its meeting. Becoming a member asks for the course basics (the demo's constitution
gates candidate → member on it): every candidate who became a member completed it first, and
Cara Quill of Elm House, a candidate since the summer, cannot yet become a member because she
has not completed it. The federation has called its founding conference (see `conference`):
delegates apportioned to the two constituted districts, elected, partly credentialed, and one
motion with an amendment.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from grassroots.accounts.actions import create_account
from grassroots.constitution import load_constitution_text
from grassroots.errors import ActionRefused
from grassroots.meetings import actions as meetings
from grassroots.organizations import actions as units
from grassroots.organizations.models import OfficerPost, Organization, Unit
from grassroots.organizations.selectors import evaluate_founding_rules, facts_of
from grassroots.people import actions as people
from grassroots.people.models import Person

from .conference import demo_conference, founding_conference
from .directives import campaign

DEMO_SLUG = "demo"
DEMO_USERNAME = "organizer@demo.example"
DEMO_OFFICER_USERNAME = "north-bank@demo.example"
DEMO_PASSWORD = "grassroots-demo"
SEED = 1871
BEGIN = dt.date(2024, 10, 1)
END = dt.date(2026, 10, 31)
BY = "demo"
# The demo's constitution: the template's, with candidate → member gated on the course basics.
GATED_STATUSES = "    resigned: [supporter]\n  gates:\n    candidate:\n      member: {courses: [basics]}\n"
WAITING_CANDIDATE = "Cara Quill"
# The third founder of Quay House, whose founding leaves East Docks with three founded committees
# and too few of them consolidated.
QUAY_FOUNDER = "Dev Marlow"
QUAY_FOUNDED = dt.date(2026, 10, 20)
# How long a fading committee draws people before it fades.
FADING_MONTHS = 6
# Weekly snapshots back from yesterday, so that the trends show.
SNAPSHOT_WEEKS = 13
# Ofcom's drama numbers for London, Birmingham, Leeds, Manchester, Bristol, Reading, Edinburgh:
# the area code and the first digits of the range (+44 area 496 0xxx; London 020 7946 0xxx).
DRAMA_AREAS = ("2079460", "1214960", "1134960", "1614960", "1174960", "1184960", "1314960")

FIRST_NAMES = [
    "Amara",
    "Ben",
    "Chloe",
    "Dev",
    "Elif",
    "Farid",
    "Grace",
    "Hamza",
    "Ines",
    "Jonas",
    "Kemi",
    "Leo",
    "Maya",
    "Nikos",
    "Olu",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tomas",
    "Uma",
    "Viktor",
    "Wen",
    "Xavi",
    "Yara",
    "Zoe",
    "Aisha",
    "Bruno",
    "Carmen",
    "Dara",
    "Emil",
    "Fatima",
    "Gus",
    "Hana",
    "Ivan",
    "Jada",
    "Kofi",
    "Lena",
    "Marek",
    "Nadia",
]
LAST_NAMES = [
    "Achebe",
    "Baker",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ibrahim",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Murphy",
    "Nguyen",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Santos",
    "Tanaka",
    "Umar",
    "Varga",
    "Walsh",
    "Xu",
    "Yilmaz",
    "Zielinski",
]
STREETS = ["Mill Lane", "Canal Street", "Station Road", "Church Walk", "Market Row", "Bridge Street", "Park Terrace"]


@dataclass(frozen=True)
class Committee:
    """A building committee of the demo and the shape of its history."""

    name: str
    district: str
    prepare: dt.date | None
    found: dt.date | None
    growth: int
    dormant: dt.date | None = None
    core: int = 4
    # How its meetings go: "" drawn at its founding (most steady: monthly, most come; about a
    # third waning: monthly, fewer and fewer come), or whatever the draw "strong" (every three
    # weeks, most come, its three posts filled), "middling" (most come, but only every six
    # weeks) or "fading" (fewer and fewer come; after `FADING_MONTHS` no one joins, it meets
    # every other month and two members leave at each meeting).
    shape: str = ""


DISTRICTS = {
    "North Bank": dt.date(2025, 6, 1),
    "Old Town": dt.date(2026, 1, 15),
    "East Docks": None,  # not yet ready: too few founded committees
}
COMMITTEES = [
    Committee("Elm House", "North Bank", dt.date(2024, 10, 10), dt.date(2024, 11, 20), 30, shape="strong"),
    Committee("Maple Yard", "North Bank", dt.date(2024, 11, 5), dt.date(2025, 1, 12), 28),
    Committee("Willow Rise", "North Bank", dt.date(2025, 1, 8), dt.date(2025, 3, 2), 24, shape="strong"),
    Committee("Hazel Gardens", "North Bank", dt.date(2025, 4, 1), dt.date(2025, 6, 20), 22, shape="middling"),
    Committee("Spruce Walk", "North Bank", dt.date(2025, 2, 1), dt.date(2025, 4, 5), 8, dormant=dt.date(2026, 2, 1)),
    Committee("Cedar Mansions", "Old Town", dt.date(2025, 3, 15), dt.date(2025, 5, 18), 28),
    Committee("Linden Court", "Old Town", dt.date(2025, 5, 2), dt.date(2025, 7, 9), 24),
    Committee("Poplar Row", "Old Town", dt.date(2025, 7, 20), dt.date(2025, 9, 28), 20),
    Committee("Rowan Street", "Old Town", dt.date(2025, 10, 1), dt.date(2025, 12, 7), 16),
    Committee("Birch Court", "Old Town", dt.date(2026, 9, 1), None, 0),
    Committee("Dockside Flats", "East Docks", dt.date(2025, 2, 1), dt.date(2025, 4, 13), 22, shape="fading"),
    Committee("Harbour View", "East Docks", dt.date(2026, 1, 10), dt.date(2026, 3, 22), 16, shape="strong"),
    Committee("Quay House", "East Docks", dt.date(2026, 8, 15), None, 0, core=2),
    Committee("Anchor Point", "East Docks", None, None, 0, core=0),
]


@dataclass(order=True)
class _Step:
    on: dt.date
    order: int
    run: Callable[[dt.date], None] = field(compare=False)


class _Timeline:
    """Runs demo steps in date order; a step may schedule later ones."""

    def __init__(self) -> None:
        self._heap: list[_Step] = []
        self._order = itertools.count()

    def at(self, on: dt.date, run: Callable[[dt.date], None], *, until: dt.date = END) -> None:
        if on <= until:
            heapq.heappush(self._heap, _Step(on, next(self._order), run))

    def run(self) -> None:
        while self._heap:
            step = heapq.heappop(self._heap)
            step.run(step.on)


class _DemoBuilder:
    def __init__(self, organization: Organization) -> None:
        self.org = organization
        self.rng = random.Random(SEED)
        self.timeline = _Timeline()
        self.names = self._name_stream()
        self.phones = self._phone_stream()
        self.members: dict[str, list[Person]] = {}
        self.meeting_rng = random.Random(SEED + 1)  # its own stream: the people's draws stay as they were

    def _name_stream(self):
        seen: set[str] = set()
        while True:
            name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
            if name not in seen:
                seen.add(name)
                yield name

    def _phone_stream(self):
        """Distinct numbers, each person their own (no false "same phone" pair among the duplicates),
        from the ranges Ofcom keeps for drama: 07700 900xxx and the geographic 0xx 496 0xxx ones."""
        numbers = [f"+447700900{n:03}" for n in range(1000)]
        numbers += [f"+44{area}{n:03}" for area in DRAMA_AREAS for n in range(1000)]
        random.Random(SEED).shuffle(numbers)  # its own stream: the story's draws stay as they were
        yield from numbers

    def new_person(self, recruiter: Person | None, building: str) -> Person:
        name = next(self.names)
        return people.add_person(
            organization=self.org,
            name=name,
            by=BY,
            email=f"{name.lower().replace(' ', '.')}@example.org",
            phone=next(self.phones),
            address=f"Flat {self.rng.randint(1, 80)}, {building}, {self.rng.choice(STREETS)}",
            recruiter=recruiter,
        )

    def join(self, unit: Unit, recruiter: Person | None, on: dt.date) -> Person:
        person = self.new_person(recruiter, unit.name)
        people.join_unit(person=person, unit=unit, by=BY, on=on)
        self.members.setdefault(unit.slug, []).append(person)
        self.schedule_pipeline(person, on)
        return person

    def schedule_pipeline(self, person: Person, joined: dt.date) -> None:
        """Supporter to candidate to member over the following months; a few lapse or leave."""
        candidate = joined + dt.timedelta(days=self.rng.randint(20, 90))
        member = candidate + dt.timedelta(days=self.rng.randint(30, 150))
        fate = self.rng.random()
        self.timeline.at(candidate, lambda on: self.change(person, "candidate", on))
        if fate < 0.85:
            self.timeline.at(member, lambda on: self.change(person, "member", on))
        if fate < 0.06:
            self.timeline.at(member + dt.timedelta(days=200), lambda on: self.change(person, "lapsed", on))
        elif fate > 0.93:
            self.timeline.at(candidate + dt.timedelta(days=60), lambda on: self.leave(person, on))

    def active_member(self, slug: str, *, skip: int = 0) -> Person:
        """A current member of a committee, passing over the first `skip` (who hold posts already)."""
        current = [person for person in self.members[slug] if person.memberships.filter(end__isnull=True).exists()]
        return current[skip]

    def change(self, person: Person, status: str, on: dt.date) -> None:
        membership = person.memberships.filter(end__isnull=True).first()
        if membership and self.org.constitution.may_change_status(membership.status, status):
            if self.org.constitution.status_gate(membership.status, status) is not None:
                people.record_completion(person=person, course=self.basics, on=on, by=BY)
            people.change_status(person=person, status=status, by=BY, on=on)

    def waiting_candidate(self, unit: Unit, on: dt.date) -> Person:
        """A candidate who cannot yet become a member: the course basics is missing."""
        person = people.add_person(organization=self.org, name=WAITING_CANDIDATE, by=BY, email="cara.quill@example.org")
        people.join_unit(person=person, unit=unit, by=BY, on=on, status="candidate")
        return person

    def leave(self, person: Person, on: dt.date) -> None:
        membership = person.memberships.filter(end__isnull=True).first()
        if membership and self.org.constitution.may_change_status(membership.status, "resigned"):
            people.end_membership(person=person, by=BY, on=on, status="resigned")

    def build(self) -> None:
        self.basics = people.add_course(organization=self.org, code="basics", title="Organizing basics", by=BY)
        federation = units.add_unit(
            organization=self.org, kind="federation", name="Riverside Federation", by=BY, on=BEGIN, slug="federation"
        )
        districts = {
            name: units.add_unit(organization=self.org, kind="district", name=name, parent=federation, by=BY, on=BEGIN)
            for name in DISTRICTS
        }
        for committee in COMMITTEES:
            self.plan_committee(committee, districts[committee.district])
        for name, constitute_on in DISTRICTS.items():
            if constitute_on:
                self.timeline.at(constitute_on, lambda on, d=districts[name]: self.constitute(d, on))
        self.timeline.at(dt.date(2026, 4, 1), lambda on: self.prepare_federation(federation, on))
        self.timeline.run()
        elm = Unit.objects.get(organization=self.org, name="Elm House")
        self.waiting_candidate(elm, dt.date(2026, 7, 1))
        self.found_quay_house()

    def found_quay_house(self) -> None:
        """Quay House is founded by its two neighbours and a third who joins: East Docks then has
        the three founded committees its rule asks, but Dockside Flats fades and only Harbour View
        is consolidated, so it is not constituted for want of consolidated committees."""
        quay = Unit.objects.get(organization=self.org, slug="quay-house")
        founder = people.add_person(
            organization=self.org, name=QUAY_FOUNDER, by=BY, email="dev.marlow@example.org", phone=next(self.phones)
        )
        people.join_unit(person=founder, unit=quay, by=BY, on=QUAY_FOUNDED - dt.timedelta(days=7), status="candidate")
        core = [*self.members[quay.slug], founder]
        units.found_unit(
            unit=quay,
            by=BY,
            on=QUAY_FOUNDED,
            founding_members=core,
            officers={"secretary": core[0]},
            minutes="Founding meeting of Quay House: three neighbours attended.",
        )

    def plan_committee(self, committee: Committee, district: Unit) -> None:
        unit = units.add_unit(
            organization=self.org, kind="building_committee", name=committee.name, parent=district, by=BY, on=BEGIN
        )
        if committee.prepare is None:
            return

        def prepare(on: dt.date) -> None:
            prepared = units.start_preparing(unit=unit, by=BY, on=on)
            first = None
            for day in range(committee.core):
                joined = self.join(prepared, first, on + dt.timedelta(days=day * 3))
                first = first or joined

        self.timeline.at(committee.prepare, prepare)
        if committee.found:
            self.timeline.at(committee.found, lambda on: self.found(unit, committee, on))
        if committee.dormant:
            self.timeline.at(committee.dormant, lambda on: units.make_dormant(unit=unit, by=BY, on=on))

    def found(self, unit: Unit, committee: Committee, on: dt.date) -> None:
        core = self.members[unit.slug]
        units.found_unit(
            unit=unit,
            by=BY,
            on=on,
            founding_members=core,
            officers={"secretary": core[0]},
            minutes=f"Founding meeting of {unit.name}: {len(core)} neighbours attended.",
        )
        for person in core:
            self.change(person, "member", on)
        drawn = "waning" if self.meeting_rng.random() < 0.35 else "steady"
        shape = committee.shape or drawn
        if committee.shape == "strong":
            self.timeline.at(on + dt.timedelta(days=150), lambda when: self.fill_posts(unit, when))
        span = ((committee.dormant or END) - on).days - 1
        if committee.shape == "fading":
            span = min(span, FADING_MONTHS * 30)
        for day in sorted(self.rng.randint(7, span) for _ in range(committee.growth)):
            self.timeline.at(on + dt.timedelta(days=day), lambda when: self.grow(unit, when))
        self.timeline.at(on + dt.timedelta(days=28), lambda when: self.monthly_meeting(unit, when, shape, 0))

    def fill_posts(self, unit: Unit, on: dt.date) -> None:
        """A strong committee's organizer and treasurer: two of its members beside the secretary."""
        for skip, post in ((1, "organizer"), (2, "treasurer")):
            units.assign_post(unit=unit, person=self.active_member(unit.slug, skip=skip), post=post, by=BY, on=on)

    def monthly_meeting(self, unit: Unit, day: dt.date, shape: str, months: int) -> None:
        """A meeting entered from its sheet, in date order with everything else, so a district's
        constitution sees its committees' consolidation as it was: most members come to a strong
        committee, fewer and fewer to a fading one. The next one as its shape says (`Committee`)."""
        if day > dt.date.today() - dt.timedelta(days=1):
            return
        if shape in ("fading", "waning"):
            rate = max(0.1, 0.8 - (0.1 if shape == "fading" else 0.06) * months)
        else:
            rate = self.meeting_rng.uniform(0.6, 0.9)
        meeting = meetings.schedule_meeting(
            unit=unit, title="Monthly meeting", start=dt.datetime.combine(day, dt.time(19, 0)), by=BY
        )
        expected = [row.person for row in meeting.attendance.select_related("person")]
        came = [person for person in expected if self.meeting_rng.random() < rate]
        if shape == "fading" and months >= FADING_MONTHS:  # even its secretary stays away
            came = [person for person in came if person != self.members[unit.slug][0]]
        if came:
            meetings.record_attendance(meeting=meeting, people=came, by=BY)
        meetings.mark_held(meeting=meeting, by=BY)
        gap = {"strong": 21, "middling": 42}.get(shape, 28)
        later = day + dt.timedelta(days=gap + self.meeting_rng.randint(0, 6))
        if shape == "fading" and months >= FADING_MONTHS:
            later += dt.timedelta(days=30)
        # Members leave a fading committee until the story's end (the count of members is fixed).
        if shape == "fading" and months >= FADING_MONTHS and day <= END:
            staying = [person for person in self.members[unit.slug][1:] if person.memberships.filter(end=None).exists()]
            for person in staying[-2:]:
                self.leave(person, day)
        # Meetings go on past the story's end, up to yesterday, so that today's health has them.
        yesterday = dt.date.today() - dt.timedelta(days=1)
        self.timeline.at(later, lambda when: self.monthly_meeting(unit, when, shape, months + 1), until=yesterday)

    def grow(self, unit: Unit, on: dt.date) -> None:
        recruiter = self.rng.choice(self.members[unit.slug])
        self.join(unit, recruiter, on)

    def constitute(self, district: Unit, on: dt.date) -> None:
        """Constitute the district once its rules hold; look again a fortnight later if not."""
        facts = facts_of(district, on=on)
        pending = [r for r in evaluate_founding_rules(district, facts).failed if not r.rule.startswith("officer")]
        if pending:
            self.timeline.at(on + dt.timedelta(days=14), lambda later: self.constitute(district, later))
            return
        first_founded = district.children.filter(state="founded").order_by("founded_on").first()
        secretary = self.active_member(first_founded.slug, skip=1)
        units.found_unit(
            unit=district,
            by=BY,
            on=on,
            officers={"secretary": secretary},
            minutes=f"Constituent meeting of the {district.name} district committee.",
        )

    def prepare_federation(self, federation: Unit, on: dt.date) -> None:
        federation = units.start_preparing(unit=federation, by=BY, on=on)
        secretary = self.active_member("elm-house", skip=2)
        units.assign_post(unit=federation, person=secretary, post="secretary", by=BY, on=on)


DEMO_ARTICLES = [
    {
        "title": "Rents frozen at Elm House",
        "author": "Elm House tenants' committee",
        "body": "After six weeks of **collective bargaining**, the landlord agreed to freeze rents for two years.\n\n"
        "- repairs within 14 days\n- a tenants' seat on the estate board\n",
        "visibility": "public",
    },
    {
        "title": "Before the congress",
        "author": "Federation secretariat",
        "body": "Branches elect their delegates by the end of the month. Bring your membership card.",
        "visibility": "members",
    },
]


def _bulletin(organization: Organization) -> None:
    """The federation's organ and the North Bank district's newsletter, each with a draft issue to
    preview, count and send (sending needs an SMTP server: see EMAIL_HOST)."""
    from grassroots.bulletin import actions as bulletin

    organ = bulletin.add_publication(
        organization=organization,
        name="The Riverside Tenant",
        footer="Riverside Tenants' Federation, 12 Quay Street, Riverside",
        by=BY,
    )
    bulletin.add_issue(publication=organ, title="Rents frozen", on=END, articles=DEMO_ARTICLES, by=BY)
    north = Unit.objects.get(organization=organization, slug="north-bank")
    news = bulletin.add_publication(
        organization=organization, name="North Bank News", unit=north, colour="#1e5b8b", by=BY
    )
    bulletin.add_issue(
        publication=news,
        title="Spring meeting",
        on=END,
        articles=[{"title": "Spring meeting", "body": "The district meets on the first Saturday of April."}],
        by=BY,
    )


def build_demo() -> Organization:
    """Create the demo organization and its two logins; an existing demo is returned as it is.

    The administrator sees the whole federation; the North Bank district's secretary sees that
    district and the committees under it, and nothing else.
    """
    existing = Organization.objects.filter(slug=DEMO_SLUG).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        organization = units.create_organization(
            slug=DEMO_SLUG,
            name="Riverside Tenants' Federation",
            constitution_yaml=load_constitution_text("tenants_federation").replace(
                "    resigned: [supporter]\n", GATED_STATUSES
            ),
            by=BY,
        )
        _DemoBuilder(organization).build()
        _DemoMeetings(organization).build()
        create_account(email=DEMO_USERNAME, organization=organization, is_admin=True, password=DEMO_PASSWORD, by=BY)
        _bulletin(organization)
        campaign(organization)
        founding_conference(organization)
        _snapshots(organization)
        secretary = OfficerPost.objects.get(unit__organization=organization, unit__slug="north-bank", end__isnull=True)
        create_account(
            email=DEMO_OFFICER_USERNAME,
            organization=organization,
            person=secretary.person,
            password=DEMO_PASSWORD,
            by=BY,
        )
    return organization


def _snapshots(organization: Organization) -> None:
    """The health snapshots of one day a week for the last `SNAPSHOT_WEEKS` weeks up to
    yesterday, as the daily job would have written them (the dashboard's trends read them)."""
    from grassroots.health.actions import write_snapshots
    from grassroots.health.selectors.snapshots import today_of

    yesterday = today_of(organization) - dt.timedelta(days=1)
    for week in reversed(range(SNAPSHOT_WEEKS)):
        write_snapshots(organization=organization, on=yesterday - dt.timedelta(weeks=week), by=BY)


class _DemoMeetings:
    """A monthly series ahead for Elm House, and a meeting of Elm House that started half an
    hour ago (the committees' monthly meetings are held in the story's timeline)."""

    def __init__(self, organization: Organization):
        self.org = organization

    def build(self) -> None:
        elm = Unit.objects.get(organization=self.org, slug="elm-house")
        today = dt.date.today()
        first = dt.date(today.year + (today.month == 12), today.month % 12 + 1, 1)
        meetings.schedule_series(
            unit=elm,
            title="Elm House monthly meeting",
            start=dt.datetime.combine(first, dt.time(19, 0)),
            rule="FREQ=MONTHLY;BYDAY=2TU",
            place="Community room, ground floor",
            by=BY,
        )
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None, second=0, microsecond=0)
        self.today = meetings.schedule_meeting(
            unit=elm, title="Emergency meeting: the lift", start=now - dt.timedelta(minutes=30), by=BY
        )
        present = [m.person for m in elm.memberships.filter(end=None).order_by("person_id")][::2]
        meetings.record_attendance(meeting=self.today, people=present, method="host", by=BY)


def demo_meeting_today(organization: Organization):
    """The demo's meeting under way (for `grassroots demo` to print its page)."""
    from grassroots.meetings.models import Meeting

    return (
        Meeting.objects.filter(unit__organization=organization, title="Emergency meeting: the lift")
        .order_by("-start")
        .first()
    )


def demo_code(username: str) -> str:
    """The code a demo login's authenticator shows now, so the demo can be tried without a phone.

    Only for the demo's own logins: every other account keeps its second factor on its owner's phone.
    """
    from django.contrib.auth import get_user_model
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from grassroots.accounts.two_factor import pending_device

    if username not in (DEMO_USERNAME, DEMO_OFFICER_USERNAME):
        raise ActionRefused(f"'{username}' is not a demo login ({DEMO_USERNAME}, {DEMO_OFFICER_USERNAME})")
    device = TOTPDevice.objects.filter(user__username=username).order_by("-confirmed", "-id").first()
    if device is None:
        # Before the first sign-in: start the setup now, so this code is the one the setup page
        # asks for (it shows the same key to scan) and works at once.
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise ActionRefused(f"{username} does not exist yet: load the demo first (`grassroots demo`)")
        device = pending_device(user)
    totp = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return f"{totp.token():0{device.digits}d}"


__all__ = [
    "DEMO_OFFICER_USERNAME",
    "DEMO_PASSWORD",
    "DEMO_SLUG",
    "DEMO_USERNAME",
    "build_demo",
    "demo_code",
    "demo_conference",
    "demo_meeting_today",
]

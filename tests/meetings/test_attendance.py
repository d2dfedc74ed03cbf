"""Attendance entered afterwards (the grid of a paper sheet, a sheet file on the page, by the API
and on the command line), a member's own registration with its one-time code and their own
check-in, and guests at the door."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grassroots.audit.models import AuditRecord
from grassroots.cli import main
from grassroots.errors import ActionRefused
from grassroots.meetings import actions
from grassroots.meetings.models import Attendance
from tests.api.conftest import Caller, bearer
from tests.support import builders
from tests.support.html import text
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db
BY = builders.BY


def _started(unit, title="Monthly", minutes_ago=30, duration=120):
    start = (timezone.localtime() - dt.timedelta(minutes=minutes_ago)).replace(tzinfo=None, second=0, microsecond=0)
    return actions.schedule_meeting(unit=unit, title=title, start=start, duration=duration, by=BY)


@pytest.fixture
def elm(tree):
    return tree["elm"]


@pytest.fixture
def meeting(elm):
    return _started(elm)


@pytest.fixture
def people(meeting):
    return [row.person for row in meeting.attendance.select_related("person").order_by("person__name")]


@pytest.fixture
def staff_client(client, staff):
    return sign_in(client, staff)


def _rows(meeting) -> dict[int, tuple[str, str]]:
    return {row.person_id: (row.status, row.method) for row in meeting.attendance.all()}


def test_the_grid_gives_everyone_on_the_list_a_status_in_one_form(staff_client, org, meeting, people):
    page = staff_client.get(reverse("meeting", args=[org.slug, meeting.pk]))
    html = page.content.decode()
    for person in people:
        assert f'name="status_{person.pk}"' in html
    sheet = {
        f"status_{people[0].pk}": "present",
        f"status_{people[1].pk}": "excused",
        f"status_{people[2].pk}": "absent",
    }
    response = staff_client.post(reverse("meeting_attend", args=[org.slug, meeting.pk]), sheet, follow=True)
    assert "3 changed from the sheet." in text(response, "messages")
    assert _rows(meeting) == {
        people[0].pk: ("present", "paper"),
        people[1].pk: ("excused", "paper"),
        people[2].pk: ("absent", "paper"),
    }
    # One audit record per status given; the same sheet again changes nothing and writes none.
    assert AuditRecord.objects.filter(action="meeting.attend", target_id=str(meeting.pk)).count() == 3
    staff_client.post(reverse("meeting_attend", args=[org.slug, meeting.pk]), sheet)
    assert AuditRecord.objects.filter(action="meeting.attend", target_id=str(meeting.pk)).count() == 3
    bad = staff_client.post(
        reverse("meeting_attend", args=[org.slug, meeting.pk]), {f"status_{people[0].pk}": "asleep"}, follow=True
    )
    assert "asleep is not one of the available choices" in text(bad, "messages")
    assert _rows(meeting)[people[0].pk] == ("present", "paper")


def _sheet(content: str, name="sheet.csv", encoding="utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(encoding))


def test_a_sheet_file_on_the_page_is_read_by_the_import_reader(staff_client, org, tree, meeting, people):
    """A title row above the header, semicolons, Windows-1252 text: found as member files are."""
    url = reverse("meeting_attend_file", args=[org.slug, meeting.pk])
    content = f"Présence — Elm House\nemail;id;status\n;{people[0].pk};present\n;{people[1].pk};excused\n"
    response = staff_client.post(url, {"file": _sheet(content, encoding="cp1252")}, follow=True)
    assert "2 rows read, 2 changed." in text(response, "messages")
    assert _rows(meeting)[people[0].pk] == ("present", "import")
    assert _rows(meeting)[people[1].pk] == ("excused", "import")


def test_a_sheet_naming_someone_outside_the_unit_is_refused_by_line_and_records_nothing(
    staff_client, org, tree, meeting, people
):
    (outsider,) = builders.members(org, tree["oak"], 1)
    people[2].email = "carla@example.org"
    people[2].save(update_fields=["email"])
    content = (
        f"id,email,status\n{people[0].pk},,present\n{outsider.pk},,present\n,carla@example.org,maybe\n"
        f"999999,,present\n{people[0].pk},,absent\n"
    )
    url = reverse("meeting_attend_file", args=[org.slug, meeting.pk])
    message = text(staff_client.post(url, {"file": _sheet(content)}, follow=True), "messages")
    assert "file: 4 row(s) refused, nothing recorded" in message
    assert f"line 3: id '{outsider.pk}': neither on this meeting's list nor a member of Elm House" in message
    assert "line 4: status 'maybe': not one of invited, registered, excused, present, absent" in message
    assert "line 5: id '999999': no such person you may see" in message
    assert f"line 6: id '{people[0].pk}': the same person as line 2" in message
    assert not meeting.attendance.filter(status="present").exists()
    assert not AuditRecord.objects.filter(action="meeting.attend").exists()
    empty = staff_client.post(url, {"file": _sheet("status\npresent\n")}, follow=True)
    assert "file: no column names the person (give an &#x27;id&#x27; or an &#x27;email&#x27; column)" in (
        empty.content.decode()
    )


def test_a_sheet_file_by_the_api_and_by_the_command_line(org, staff, meeting, people, tmp_path, capsys):
    from grassroots.accounts.actions import create_api_token

    _record, token = create_api_token(user=staff, organization=org, by="test")
    client = Client()
    url = f"/api/orgs/{org.slug}/meetings/{meeting.pk}/attendance/sheet"
    answer = client.post(url, {"file": _sheet(f"id,status\n{people[0].pk},present\n")}, headers=bearer(token))
    assert answer.status_code == 200, answer.json()
    assert answer.json()["rows"] == 1
    assert [(r["person"], r["status"], r["method"]) for r in answer.json()["changed"]] == [
        (people[0].pk, "present", "import")
    ]
    refused = client.post(url, {"file": _sheet("id\nnot-a-number\n²\n")}, headers=bearer(token))
    assert refused.status_code == 409
    assert refused.json()["reasons"] == [
        "line 2: id 'not-a-number': no such person you may see",
        "line 3: id '²': no such person you may see",
    ]

    sheet = tmp_path / "sheet.csv"
    sheet.write_text(f"id,status\n{people[1].pk},present\n{people[2].pk},\n", encoding="utf-8")
    code = main(["meeting", "attend", str(meeting.pk), "--file", str(sheet), "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out) == {"rows": 2, "changed": 2}
    assert _rows(meeting)[people[2].pk] == ("present", "import")
    sheet.write_text("id\n12345678\n", encoding="utf-8")
    assert main(["meeting", "attend", str(meeting.pk), "--file", str(sheet)]) != 0
    assert "line 2: id '12345678': no such person you may see" in capsys.readouterr().err


@pytest.fixture
def member(org, people):
    """The first person on the list, signed in as a plain member."""
    user = builders.account(org, "member@example.org", person=people[0])
    return sign_in(Client(), user), people[0]


def test_a_member_registers_gets_a_one_time_code_and_checks_in_once(org, elm, member):
    client, person = member
    upcoming = actions.schedule_meeting(unit=elm, title="Next", start=dt.datetime(2031, 3, 4, 19, 0), by=BY)
    page = reverse("meeting", args=[org.slug, upcoming.pk])
    assert "Register and get a check-in code" in client.get(page).content.decode()
    response = client.post(reverse("meeting_register", args=[org.slug, upcoming.pk]), follow=True)
    row = Attendance.objects.get(meeting=upcoming, person=person)
    assert (row.status, row.method, len(row.code)) == ("registered", "self", 16)
    assert text(response, "my-code-heading") == "Your check-in code"
    assert 'class="qr"><path' in response.content.decode()
    # The page reads the member's own row from its list: registered, it offers no second registration.
    assert "Register and get a check-in code" not in response.content.decode()
    # Registering again keeps the same code; checking in before the window opens is refused.
    assert actions.register_self(meeting=upcoming, by=person_user(person)) == row.code
    with pytest.raises(ActionRefused, match="check-in is open from two hours before the start"):
        actions.check_in_self(meeting=upcoming, by=person_user(person))

    now = _started(elm, title="Tonight")
    tonight = reverse("meeting", args=[org.slug, now.pk])
    assert "Check myself in" in client.get(tonight).content.decode()
    client.post(reverse("meeting_check_in", args=[org.slug, now.pk]))
    assert "Check myself in" not in client.get(tonight).content.decode()
    row = Attendance.objects.get(meeting=now, person=person)
    assert (row.status, row.method) == ("present", "self")
    again = client.post(reverse("meeting_check_in", args=[org.slug, now.pk]), follow=True)
    assert "already checked in" in text(again, "messages")
    assert Attendance.objects.filter(meeting=now, person=person).count() == 1
    assert AuditRecord.objects.filter(action="meeting.attend", target_id=str(now.pk)).count() == 1


def person_user(person):
    return person.accounts.get().user


def test_who_is_not_of_the_unit_neither_registers_nor_checks_in(org, tree, meeting, staff):
    (oak_member,) = builders.members(org, tree["oak"], 1)
    user = builders.account(org, "oak@example.org", person=oak_member)
    with pytest.raises(ActionRefused, match="you are not on this meeting's list nor a member of Elm House"):
        actions.register_self(meeting=meeting, by=user)
    with pytest.raises(ActionRefused, match="you are no person of this organization"):
        actions.check_in_self(meeting=meeting, by=staff)
    assert not Attendance.objects.filter(meeting=meeting, person=oak_member).exists()


def test_registration_and_check_in_by_the_api(org, meeting, people):
    from grassroots.accounts.actions import create_api_token

    user = builders.account(org, "member@example.org", person=people[1])
    _record, token = create_api_token(user=user, organization=org, by="test")
    api = Caller(Client(), bearer(token))
    registered = api.post(f"/orgs/{org.slug}/meetings/{meeting.pk}/registration")
    assert registered.status_code == 201
    code = registered.json()["code"]
    assert registered.json()["svg"].startswith("<svg")
    assert Attendance.objects.get(meeting=meeting, person=people[1]).code == code
    checked = api.post(f"/orgs/{org.slug}/meetings/{meeting.pk}/check-in")
    assert (checked.status_code, checked.json()["status"], checked.json()["method"]) == (200, "present", "self")
    second = api.post(f"/orgs/{org.slug}/meetings/{meeting.pk}/check-in")
    assert (second.status_code, second.json()["detail"]) == (409, "already checked in")


def test_guests_are_counted_and_supporters_with_consent_never_members(client, org, meeting):
    token = actions.issue_host_link(meeting=meeting, by=BY)
    client.post(reverse("host_walk_in", args=[token]), {"name": "Gina Guest", "consent": "on"})
    client.post(reverse("host_walk_in", args=[token]), {"name": "Anonymous"})
    assert text(client.get(reverse("host_counter", args=[token])), "counter") == "1 present of 4 expected, 2 guests"
    gina = Attendance.objects.get(meeting=meeting, person__name="Gina Guest")
    assert gina.guest is True
    assert list(gina.person.memberships.values_list("status", flat=True)) == ["supporter"]
    assert AuditRecord.objects.filter(action="meeting.walk_in", target_id=str(meeting.pk)).count() == 1
    # Guests never make the quorum: the decision counts the members present (none).
    decision = actions.record_decision(meeting=meeting, text="Welcome", outcome="carried", by=BY)
    assert (decision.present, decision.quorate) == (0, False)

"""Check-in at the door: the host link's window, regeneration and revocation, what it shows, one
tap and undo, walk-ins, and registration codes scanned once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from grassroots.audit.models import AuditRecord
from grassroots.errors import ActionRefused
from grassroots.meetings import actions
from grassroots.meetings.models import Attendance, Meeting
from grassroots.meetings.qr import registration_svg
from grassroots.meetings.selectors import meeting_by_host_token
from grassroots.people.models import Membership, Person
from tests.support import builders
from tests.support.html import text

pytestmark = pytest.mark.django_db
BY = builders.BY


@pytest.fixture
def meeting(tree):
    start = (timezone.localtime() - dt.timedelta(minutes=10)).replace(tzinfo=None, second=0, microsecond=0)
    return actions.schedule_meeting(unit=tree["elm"], title="Door", start=start, duration=60, by=BY)


def test_the_window_is_two_hours_before_to_twelve_after_the_end(meeting):
    token = actions.issue_host_link(meeting=meeting, by=BY)
    opens = meeting.start - dt.timedelta(hours=2)
    closes = meeting.start + dt.timedelta(minutes=60) + dt.timedelta(hours=12)
    assert meeting_by_host_token(token, now=opens) == meeting
    assert meeting_by_host_token(token, now=opens - dt.timedelta(seconds=1)) is None
    assert meeting_by_host_token(token, now=closes) == meeting
    assert meeting_by_host_token(token, now=closes + dt.timedelta(seconds=1)) is None


def test_regenerating_or_revoking_ends_the_old_link(client, meeting):
    old = actions.issue_host_link(meeting=meeting, by=BY)
    assert client.get(reverse("host_page", args=[old])).status_code == 200
    new = actions.issue_host_link(meeting=meeting, by=BY)
    assert client.get(reverse("host_page", args=[old])).status_code == 404
    assert client.get(reverse("host_page", args=[new])).status_code == 200
    actions.revoke_host_link(meeting=meeting, by=BY)
    assert client.get(reverse("host_page", args=[new])).status_code == 404
    assert client.get(reverse("host_page", args=["forged:token"])).status_code == 404
    assert AuditRecord.objects.filter(action="meeting.host_link", target_id=str(meeting.pk)).count() == 3


def test_the_host_page_shows_first_names_and_initials_and_taps(client, org, tree, meeting):
    token = actions.issue_host_link(meeting=meeting, by=BY)
    person = meeting.attendance.select_related("person").first().person
    person.name = "Ann Example"
    person.save(update_fields=["name"])
    page = client.get(reverse("host_page", args=[token]))
    assert "Ann E." in text(page, "expected") and "Ann Example" not in page.content.decode()
    assert text(page, "counter") == "0 present of 3 expected"
    client.post(reverse("host_tap", args=[token]), {"person": person.pk, "present": "1"})
    row = Attendance.objects.get(meeting=meeting, person=person)
    assert (row.status, row.method, row.recorded_by) == ("present", "host", f"host-link:{meeting.pk}")
    assert text(client.get(reverse("host_counter", args=[token])), "counter") == "1 present of 3 expected"
    client.post(reverse("host_tap", args=[token]), {"person": person.pk, "present": "0"})
    assert Attendance.objects.get(meeting=meeting, person=person).status == "invited"
    # The link reaches its own meeting only: someone of another unit is not on its list.
    stranger = builders.members(org, tree["oak"], 1)[0]
    assert client.post(reverse("host_tap", args=[token]), {"person": stranger.pk, "present": "1"}).status_code == 404
    assert not Attendance.objects.filter(person=stranger).exists()


def test_a_walk_in_is_a_supporter_with_consent_and_only_counted_without(client, meeting):
    token = actions.issue_host_link(meeting=meeting, by=BY)
    client.post(reverse("host_walk_in", args=[token]), {"name": "Wanda Walker", "consent": "on"})
    wanda = Person.objects.get(name="Wanda Walker")
    assert Membership.objects.get(person=wanda).status == "supporter"
    row = Attendance.objects.get(meeting=meeting, person=wanda)
    assert (row.status, row.guest) == ("present", True)
    client.post(reverse("host_walk_in", args=[token]), {"name": "No Consent"})
    assert not Person.objects.filter(name="No Consent").exists()
    meeting.refresh_from_db()
    assert meeting.walk_ins == 1


def test_a_registration_code_scanned_twice_records_once(client, meeting):
    person = meeting.attendance.first().person
    code = actions.register(meeting=meeting, person=person, by=BY)
    token = actions.issue_host_link(meeting=meeting, by=BY)
    before = AuditRecord.objects.filter(action="meeting.attend").count()
    first = client.post(reverse("host_scan", args=[token]), {"code": code}, follow=True)
    assert "is checked in" in text(first, "messages")
    second = client.post(reverse("host_scan", args=[token]), {"code": code}, follow=True)
    assert "already checked in" in text(second, "messages")
    assert Attendance.objects.filter(meeting=meeting, person=person).count() == 1
    assert Attendance.objects.get(meeting=meeting, person=person).method == "qr"
    assert AuditRecord.objects.filter(action="meeting.attend").count() == before + 1
    with pytest.raises(ActionRefused, match="not a registration for this meeting"):
        actions.scan(meeting=meeting, code="nope")


def test_the_qr_code_is_an_svg_without_style_or_script():
    svg = registration_svg("a-one-time-code")
    assert svg.startswith("<svg") and "<path" in svg
    assert "style" not in svg and "script" not in svg


def _window_ending(meeting, seconds_from_now: int):
    """Move a meeting so that its host link's window ends that many seconds from now."""
    end = timezone.now() + dt.timedelta(seconds=seconds_from_now) - dt.timedelta(hours=12)
    Meeting.objects.filter(pk=meeting.pk).update(start=end - dt.timedelta(minutes=meeting.duration))


def test_the_host_link_one_second_after_its_window_is_404_on_the_page_and_the_api(client, meeting):
    token = actions.issue_host_link(meeting=meeting, by=BY)
    _window_ending(meeting, 30)
    assert client.get(reverse("host_page", args=[token])).status_code == 200
    assert client.get(f"/api/checkin/{token}").status_code == 200
    _window_ending(meeting, -1)
    assert client.get(reverse("host_page", args=[token])).status_code == 404
    assert client.get(f"/api/checkin/{token}").status_code == 404
    person = meeting.attendance.first().person
    tap = client.post(f"/api/checkin/{token}/tap", {"person": person.pk}, content_type="application/json")
    assert tap.status_code == 404
    assert not Attendance.objects.filter(meeting=meeting, status="present").exists()


def test_the_api_taps_undoes_counts_and_reaches_its_meeting_only(client, org, tree, meeting):
    token = actions.issue_host_link(meeting=meeting, by=BY)
    row = meeting.attendance.select_related("person").first()
    row.person.name, row.person.email = "Ann Example", "ann@example.org"
    row.person.save(update_fields=["name", "email"])
    listed = client.get(f"/api/checkin/{token}")
    assert listed.status_code == 200
    body = listed.json()
    assert (body["present"], body["expected"], body["guests"], body["title"]) == (0, 3, 0, "Door")
    assert {"person": row.person_id, "name": "Ann E.", "status": "invited", "guest": False} in body["people"]
    assert "Example" not in listed.content.decode() and "ann@example.org" not in listed.content.decode()

    def post(path, data):
        return client.post(f"/api/checkin/{token}/{path}", data, content_type="application/json")

    tapped = post("tap", {"person": row.person_id})
    assert (tapped.json()["present"], tapped.json()["person"]["status"]) == (1, "present")
    assert Attendance.objects.get(pk=row.pk).method == "host"
    assert post("undo", {"person": row.person_id}).json()["present"] == 0
    assert client.get(f"/api/checkin/{token}/counter").json() == {"present": 0, "expected": 3, "guests": 0}
    # Someone of another unit's meeting is not on this list: refused, nothing recorded.
    other = actions.schedule_meeting(
        unit=tree["oak"], title="Oak", start=meeting.local_start.replace(tzinfo=None), by=BY
    )
    stranger = other.attendance.first().person_id
    refused = post("tap", {"person": stranger})
    assert (refused.status_code, refused.json()["field"]) == (409, "person")
    assert not Attendance.objects.filter(meeting__in=[meeting, other], person_id=stranger, status="present").exists()
    walked = post("walk-in", {"name": "Wim Walker", "consent": True})
    assert (walked.json()["guests"], walked.json()["person"]["name"]) == (1, "Wim W.")
    assert post("walk-in", {}).json() == {"present": 1, "expected": 4, "guests": 2, "person": None}
    # A forged or regenerated link reaches nothing.
    assert client.get("/api/checkin/forged").status_code == 404
    actions.issue_host_link(meeting=meeting, by=BY)
    assert client.get(f"/api/checkin/{token}").status_code == 404
    assert post("tap", {"person": row.person_id}).status_code == 404


def test_a_code_scanned_twice_by_the_api_records_one_row_and_one_audit(client, meeting):
    person = meeting.attendance.first().person
    code = actions.register(meeting=meeting, person=person, by=BY)
    token = actions.issue_host_link(meeting=meeting, by=BY)
    before = AuditRecord.objects.filter(action="meeting.attend").count()
    first = client.post(f"/api/checkin/{token}/scan", {"code": code}, content_type="application/json")
    assert (first.status_code, first.json()["person"]["status"], first.json()["present"]) == (200, "present", 1)
    second = client.post(f"/api/checkin/{token}/scan", {"code": code}, content_type="application/json")
    assert (second.status_code, second.json()["detail"]) == (409, "already checked in")
    assert Attendance.objects.filter(meeting=meeting, person=person).count() == 1
    assert Attendance.objects.get(meeting=meeting, person=person).method == "qr"
    assert AuditRecord.objects.filter(action="meeting.attend").count() == before + 1


def test_the_host_page_has_the_camera_scan_and_no_inline_script(client, meeting):
    token = actions.issue_host_link(meeting=meeting, by=BY)
    html = client.get(reverse("host_page", args=[token])).content.decode()
    assert 'src="/static/grassroots/host-scan.js"' in html
    assert '<div id="scanner" hidden>' in html
    assert "<script>" not in html and "onclick" not in html

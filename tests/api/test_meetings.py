"""The meetings API as a script would use it: plan, attend, decide, hold, read back."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def test_plan_attend_decide_hold_and_read_back(api, org, tree, django_assert_max_num_queries):
    elm = tree["elm"]
    people = [m.person_id for m in elm.memberships.filter(end=None).order_by("person_id")]
    start = (timezone.localtime() - dt.timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M")
    planned = api.post(f"/orgs/{org.slug}/units/elm-house/meetings", {"title": "Monthly", "start": start})
    assert planned.status_code == 201, planned.json()
    meeting = planned.json()["id"]
    assert planned.json()["series"] is None
    attended = api.post(f"/orgs/{org.slug}/meetings/{meeting}/attendance", {"people": people[:2]})
    assert [row["status"] for row in attended.json()] == ["present", "present"]
    decided = api.post(f"/orgs/{org.slug}/meetings/{meeting}/decisions", {"text": "Paint", "outcome": "carried"})
    assert {k: decided.json()[k] for k in ("present", "required", "quorate")} == {
        "present": 2,
        "required": 3,
        "quorate": False,
    }
    assert api.post(f"/orgs/{org.slug}/meetings/{meeting}/held").json()["status"] == "held"
    with django_assert_max_num_queries(15):
        listed = api.get(f"/orgs/{org.slug}/units/elm-house/meetings").json()
    row = next(item for item in listed["items"] if item["id"] == meeting)
    assert (row["present"], row["expected"], row["status"]) == (2, 3, "held")
    detail = api.get(f"/orgs/{org.slug}/meetings/{meeting}").json()
    assert [d["text"] for d in detail["decisions"]] == ["Paint"]
    attendance = api.get(f"/orgs/{org.slug}/meetings/{meeting}/attendance").json()["items"]
    assert sorted(row["status"] for row in attendance) == ["absent", "present", "present"]
    standing = api.get(f"/orgs/{org.slug}/people/{people[0]}/standing").json()
    assert (standing["attended"], standing["required"], standing["in_good_standing"]) == (1, 3, False)


def test_a_series_and_refusals_name_their_field(api, org, tree):
    body = {"title": "Weekly", "start": "2031-01-07 19:00", "repeat": "FREQ=WEEKLY;COUNT=3", "exclude": ["2031-01-14"]}
    answer = api.post(f"/orgs/{org.slug}/units/elm-house/meetings", body)
    assert answer.status_code == 201 and answer.json()["series"] is not None
    gap = {"title": "X", "start": "2031-03-30 02:30", "time_zone": "Europe/Berlin"}  # clocks go forward
    bad = api.post(f"/orgs/{org.slug}/units/elm-house/meetings", gap)
    assert bad.status_code == 409 and bad.json()["field"] == "start"
    assert api.post(f"/orgs/{org.slug}/meetings/987654/held").status_code == 404

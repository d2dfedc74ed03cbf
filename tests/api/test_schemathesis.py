"""Schemathesis against our own OpenAPI schema, in process, for every operation, as an officer.

Each operation gets generated requests (bodies, queries and paths from the schema), sent
through the WSGI application with the bearer token of a district secretary, with the path
pointing at real objects of the scene most of the time. Every response must be free of
server errors and match the schema: status codes, content types and bodies.
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode

from grassroots.api.root import api
from grassroots.meetings.actions import add_agenda_item, schedule_series
from tests.support.scene import build_scene

schema = schemathesis.openapi.from_dict(copy.deepcopy(api.get_openapi_schema()))  # the served one stays untouched
schema.app = get_wsgi_application()
# A body made invalid by a string far over its maximum length may be over the request size limit
# too: refused with 413 before it is read, which is a rejection of invalid data like any other.
_rejection = schema.config.checks.negative_data_rejection
_rejection.expected_statuses = [*_rejection.expected_statuses, "413"]


@pytest.fixture
def officer(db, settings, tmp_path):
    settings.IMPORTS_DIR = tmp_path / "imports"
    # The requests go through the WSGI handler, which closes the database connection after each
    # one; the test client does not, and neither may we inside the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield from _scene()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _scene():
    scene = build_scene()
    unit = scene.units["child unit"]
    # A meeting with an agenda item and a series, for the paths that name them.
    meeting = unit.meetings.order_by("pk").first()
    add_agenda_item(meeting=meeting, title="Rent", by="test")
    start = dt.datetime.combine(dt.date.today() + dt.timedelta(days=1), dt.time(19, 0))
    schedule_series(unit=unit, title="Weekly", start=start, rule="FREQ=WEEKLY;COUNT=3", by="test")
    yield scene, scene.actors["officer of the unit"]


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_within_its_schema(case, officer, settings):
    scene, actor = officer
    # Generated headers may include a Host other than the site's, which Django refuses (400)
    # before any operation runs: that is the host check's answer, not the operation's.
    settings.ALLOWED_HOSTS = ["*"]
    person = scene.people["officer whose post ended"]
    unit = scene.units["child unit"]
    # Earlier examples may have added items, meetings and series: take the first ones made.
    meeting = unit.meetings.order_by("pk").first()
    item, series = meeting.agenda.order_by("pk").first(), unit.meeting_series.order_by("pk").first()
    real = {
        "org_slug": scene.org.slug,
        "unit_slug": scene.units["child unit"].slug,
        "person_id": person.pk,
        # Earlier examples may have recorded consents and ended posts: take the first ones made.
        "consent_id": person.consents.order_by("pk").first().pk,
        "post_id": scene.units["child unit"].posts.order_by("pk").first().pk,
        "run_id": scene.runs["officer of the unit"].pk,
        "meeting_id": meeting.pk,
        "item_id": item.pk,
        "series_id": series.pk,
    }
    # Deliberately invalid paths stay as generated; valid ones point at real objects.
    if case.path_parameters and not case.meta.is_negative_at(ParameterLocation.PATH):
        for name in case.path_parameters:
            if name in real:
                case.path_parameters[name] = real[name]
    # A cursor is opaque: one generated at random is not one a list gave, and is refused (422)
    # though its shape is valid; every other check still holds for such a request.
    excluded = [positive_data_acceptance] if (case.query or {}).get("after") else []
    # The coverage phase may keep a negative body (a bare `0`) in a case it then checks as
    # positive data because its scenario was about a valid path value: a case with any negative
    # part is not valid data, and the positive-data check does not apply to it.
    if case.meta.generation.mode is GenerationMode.NEGATIVE:
        excluded = [positive_data_acceptance]
    # A people list's `status` and a units list's `kind` must be one of the organization's own
    # statuses and kinds (422 otherwise), which differ between organizations, so the schema
    # cannot list them.
    # A generated value may also be a list (the parameter repeated), of which the API reads one.
    status, kind = (case.query or {}).get("status"), (case.query or {}).get("kind")
    if case.path.endswith("/people") and status and not _one_of(status, scene.org.constitution.statuses):
        excluded = [positive_data_acceptance]
    if case.path.endswith("/units") and kind and not _one_of(kind, scene.org.constitution.unit_kinds, strip=False):
        excluded = [positive_data_acceptance]
    # A period whose `since` is after its `until` (default today) is refused (422) naming
    # `since`: a rule between two parameters that the schema cannot state.
    since, until = (case.query or {}).get("since"), (case.query or {}).get("until") or dt.date.today().isoformat()
    if isinstance(since, str) and isinstance(until, str) and since > until:
        excluded = [positive_data_acceptance]
    # A read for a day after today or before 1900-01-01 (a month: its first day) is refused (409)
    # naming the parameter, as is a health read given `on` and `as_of` for different days: rules
    # the schema cannot state.
    query = case.query or {}
    days = [value + "-01" if len(value) == 7 else value for value in _day_parameters(query)]
    if any(day > dt.date.today().isoformat() or day < "1900-01-01" for day in days):
        excluded = [positive_data_acceptance]
    if query.get("on") and query.get("as_of") and query["on"] != query["as_of"]:
        excluded = [positive_data_acceptance]
    # A case made invalid in its Authorization header is sent with that header, which must be
    # refused (401): replaced by the officer's token, the request sent would be another, valid one,
    # and its acceptance was reported as invalid data accepted.
    headers = {"Authorization": f"Bearer {actor.token}"}
    if case.meta.is_negative_at(ParameterLocation.HEADER) and "authorization" in {
        name.lower() for name in case.headers or {}
    }:
        headers = {}
    case.call_and_validate(headers=headers, excluded_checks=excluded)


def _one_of(value, choices, *, strip: bool = True) -> bool:
    """Whether a generated query value (a string, or a list when the parameter is repeated) is
    one of `choices` as the API reads it (a status with surrounding spaces left out, a kind as
    given)."""
    values = value if isinstance(value, list) else [value]
    return all(isinstance(one, str) and (one.strip() if strip else one) in choices for one in values)


def _day_parameters(query: dict) -> list[str]:
    return [value for key in ("on", "as_of", "since", "until") if isinstance(value := query.get(key), str)]

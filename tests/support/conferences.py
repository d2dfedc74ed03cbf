"""A small federation for conference tests: members counted on a cut-off date, some joined after
it or gone before it, and a committee founded only after it."""

from __future__ import annotations

import datetime as dt

from grassroots.conferences import actions
from grassroots.organizations import actions as units
from grassroots.people import actions as people
from tests.support import builders

CUTOFF = dt.date(2024, 6, 1)


def conference_scene(org) -> dict:
    """The federation with two districts: North has Elm House (3 founders from 2024-01-31, 5
    members joined 2024-01-01 of whom one left on 2024-05-01 and one lapsed on 2024-07-01 after the
    cut-off) and Oak Court (3 founders, 2 joined on 2024-07-01, after the cut-off); South has Birch
    Row, founded 2024-08-01 (after the cut-off), with 4 founders. Counted on 2024-06-01: Elm House
    7 (3 + 5 - 1 who left), Oak Court 3; Birch Row gets no seats."""
    top = builders.unit(org, "federation", "Federation")
    north = builders.unit(org, "district", "North", top)
    south = builders.unit(org, "district", "South", top)
    elm = builders.founded_basic_unit(org, "Elm House", north)
    oak = builders.founded_basic_unit(org, "Oak Court", north)
    joined = builders.members(org, elm, 5)
    people.end_membership(person=joined[0], by="test", on=dt.date(2024, 5, 1), status="resigned")
    people.change_status(person=joined[1], status="lapsed", by="test", on=dt.date(2024, 7, 1))
    for _ in range(2):
        people.join_unit(person=builders.person(org), unit=oak, by="test", on=dt.date(2024, 7, 1), status="member")
    birch = builders.unit(org, "building_committee", "Birch Row", south, state="preparing")
    core = [builders.person(org) for _ in range(4)]
    birch = units.found_unit(
        unit=birch, by="test", on=dt.date(2024, 8, 1), founding_members=core, officers={"secretary": core[0]}
    )
    return {"federation": top, "north": north, "south": south, "elm": elm, "oak": oak, "birch": birch}


def conference(unit, **options):
    """A planned conference of `unit` with its members counted on CUTOFF (D'Hondt, 5 seats by default)."""
    rule = {"method": "dhondt", "seats": 5} | options
    return actions.add_conference(unit=unit, name="Founding conference", cutoff=CUTOFF, by="test", **rule)


def api_client(user, org):
    """A test client with a bearer token of `user` in `org`."""
    from django.test import Client

    from grassroots.accounts.actions import create_api_token

    token = create_api_token(user=user, organization=org, name="t", by="test")[1]
    return Client(headers={"Authorization": f"Bearer {token}"})


def post_json(client, url, body=None):
    """POST `body` (default: {}) as JSON."""
    import json

    return client.post(url, json.dumps(body or {}), content_type="application/json")


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run `grassroots ARGS` in process: its exit code, standard output and standard error."""
    from grassroots.cli import main

    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err

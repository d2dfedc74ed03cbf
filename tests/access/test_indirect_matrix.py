"""The authorization matrix of the indirect paths (issue 9): for every role of the scene, each
path that matches, links or reports a *related* record (import, members export, subject access,
person page and API, unit events on the page and the API, audit trail) is run twice: once with
the related record outside the caller's scope, once with no such record at all. A caller who
may not read the related record directly must get the same answer both times: the same status,
the same counts, the same message, byte for byte (after the per-request tokens are taken out).
An administrator, who reads everything, must see the difference, so each case has teeth.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import Client
from django.urls import reverse

from grassroots.access import Right
from grassroots.audit.actions import write_audit_record
from grassroots.imports.actions import import_members
from grassroots.organizations.models import UnitEvent
from grassroots.people.models import Person
from tests.support.scene import ROLES, Actor, Scene, build_scene
from tests.support.sessions import sign_in

VOLATILE = re.compile(rb'(name="csrfmiddlewaretoken" value=|nonce=|csrf-token" content=)"[^"]*"')


@dataclass(frozen=True)
class Case:
    """`present` puts the related record in place (outside most callers' scope), `absent` makes
    it not exist; `run` is what the caller does; `sees` is the oracle: whether this caller may
    read the related record directly (then the two answers may differ)."""

    present: Callable[[Scene], None]
    absent: Callable[[Scene], None]
    run: Callable[[Scene, Actor, Client, object], object]
    sees: Callable[[Scene, Actor], bool]


SID = "sid@example.org"


def sid_recruited_mia(scene: Scene) -> None:
    Person.objects.filter(pk=scene.people["in south"].pk).update(email=SID)
    Person.objects.filter(pk=scene.people["member"].pk).update(recruiter=scene.people["in south"])


def nobody_recruited_mia(scene: Scene) -> None:
    Person.objects.filter(pk=scene.people["in south"].pk).update(email=SID)
    Person.objects.filter(pk=scene.people["member"].pk).update(recruiter=None)


def sees_sid(scene: Scene, actor: Actor) -> bool:
    return scene.sees_person(actor, scene.people["in south"])


def exports_sid(scene: Scene, actor: Actor) -> bool:
    return scene.holds(actor, Right.IMPORT_EXPORT, scene.units["oak"])


def api(path: str) -> Callable[[Scene, Actor, Client, object], object]:
    def run(scene: Scene, actor: Actor, client: Client, tmp_path) -> object:
        headers = {"Authorization": f"Bearer {actor.token}"} if actor.token else {}
        response = client.get(
            "/api/orgs/" + path.format(org=scene.org.slug, mia=scene.people["member"].pk), headers=headers
        )
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return response.status_code, body

    return run


def page(name: str, *args: str) -> Callable[[Scene, Actor, Client, object], object]:
    def run(scene: Scene, actor: Actor, client: Client, tmp_path) -> object:
        if actor.user is not None:
            sign_in(client, actor.user)
        values = {"org": scene.org.slug, "mia": scene.people["member"].pk, "elm": scene.units["child unit"].slug}
        response = client.get(reverse(name, args=[values[arg] for arg in args]))
        return response.status_code, VOLATILE.sub(b"", response.content)

    return run


def imported(scene: Scene, actor: Actor, client: Client, tmp_path) -> object:
    """A dry run naming Sid South by email (which would update him) and as a recruiter."""
    path = tmp_path / "members.csv"
    path.write_text(f"name,email,unit,recruiter\nSid Again,{SID},elm-house,{SID}\n", encoding="utf-8")
    # As a request would load them (the scene's deactivated user is switched off in the database).
    by = get_user_model().objects.get(pk=actor.user.pk) if actor.user is not None else AnonymousUser()
    result = import_members(organization=scene.org, path=path, by=by, dry_run=True, on_duplicate="update")
    return result.as_json() | {"seconds": 0}, [
        (r.line, r.column, r.value, r.reason) for r in result.rejections + result.notes
    ]


def sid_has_an_email(scene: Scene) -> None:
    Person.objects.filter(pk=scene.people["in south"].pk).update(email=SID)


def sid_has_another_email(scene: Scene) -> None:
    Person.objects.filter(pk=scene.people["in south"].pk).update(email="someone-else@example.org")


def moved_under_their_parents(scene: Scene) -> None:
    """Elm House and North each moved under the parent they have (North, the federation)."""
    for unit in (scene.units["child unit"], scene.units["own unit"]):
        UnitEvent.objects.filter(unit=unit, kind="created").update(kind="moved")


def moved_to_the_top(scene: Scene) -> None:
    """The same events as if those parents did not exist."""
    moved_under_their_parents(scene)
    UnitEvent.objects.filter(unit__organization=scene.org).update(parent=None)


def sees_north(scene: Scene, actor: Actor) -> bool:
    return scene.sees_unit(actor, scene.units["own unit"])


def sees_federation(scene: Scene, actor: Actor) -> bool:
    return scene.sees_unit(actor, scene.units["parent unit"])


def sams_transfer_into_elm(scene: Scene) -> None:
    """A record in Elm written by the officer of the sibling district, naming Oak Court."""
    write_audit_record(
        by=scene.actors["officer of a sibling"].user,
        action="membership.transfer",
        target=scene.people["member"],
        organization=scene.org,
        unit=scene.units["child unit"],
        changes={"unit": ["oak-court", "elm-house"]},
    )


def an_anonymous_transfer_into_elm(scene: Scene) -> None:
    """The same record as if neither Sam nor Oak Court existed."""
    write_audit_record(
        by=AnonymousUser(),
        action="membership.transfer",
        target=scene.people["member"],
        organization=scene.org,
        unit=scene.units["child unit"],
        changes={"unit": [None, "elm-house"]},
    )


def audit_api(query: str) -> Callable[[Scene, Actor, Client, object], object]:
    fetch = api("{org}/audit" + query)

    def run(scene: Scene, actor: Actor, client: Client, tmp_path) -> object:
        status, body = fetch(scene, actor, client, tmp_path)
        # Which record and when differ between the two runs, whoever reads them.
        body = re.sub(rb'"(id|at)": ?("[^"]*"|\d+)', b"", body)
        body = re.sub(rb'"actor": ?"(anonymous|AnonymousUser)?"', b'"actor": ""', body)
        return status, body

    return run


def sees_sam_or_oak(scene: Scene, actor: Actor) -> bool:
    return scene.sees_person(actor, scene.people["officer of a sibling"]) or scene.sees_unit(actor, scene.units["oak"])


RECRUITER = (sid_recruited_mia, nobody_recruited_mia)
MOVED = (moved_under_their_parents, moved_to_the_top)
CASES = {
    "import (dry run)": Case(sid_has_an_email, sid_has_another_email, imported, exports_sid),
    "members export": Case(*RECRUITER, api("{org}/members/export?format=csv"), exports_sid),
    "subject access": Case(*RECRUITER, api("{org}/people/{mia}/export"), sees_sid),
    "person API": Case(*RECRUITER, api("{org}/people/{mia}"), sees_sid),
    "person page": Case(*RECRUITER, page("person", "org", "mia"), sees_sid),
    "unit events API": Case(*MOVED, api("{org}/units/elm-house/events"), sees_north),
    "unit events API (north)": Case(*MOVED, api("{org}/units/north/events"), sees_federation),
    "unit page": Case(*MOVED, page("unit", "org", "elm"), sees_north),
    "audit trail": Case(sams_transfer_into_elm, an_anonymous_transfer_into_elm, audit_api(""), sees_sam_or_oak),
    "audit trail by actor": Case(
        sams_transfer_into_elm,
        an_anonymous_transfer_into_elm,
        audit_api("?actor=officer-of-a-sibling"),
        sees_sam_or_oak,
    ),
}


@pytest.fixture
def scene(db) -> Scene:
    return build_scene()


def run_in(scene: Scene, setup, case: Case, actor: Actor, tmp_path) -> object:
    with transaction.atomic():
        setup(scene)
        outcome = case.run(scene, actor, Client(), tmp_path)
        transaction.set_rollback(True)
    return outcome


def test_indirect_paths_answer_for_out_of_scope_as_for_absent(scene, tmp_path):
    failures, cases = [], 0
    for role in ROLES:
        actor = scene.actors[role]
        for name, case in CASES.items():
            cases += 1
            present = run_in(scene, case.present, case, actor, tmp_path)
            absent = run_in(scene, case.absent, case, actor, tmp_path)
            if role == "administrator" and present == absent:
                failures.append(f"{role} / {name}: the related record changes nothing even for an administrator")
            if not case.sees(scene, actor) and present != absent:
                failures.append(f"{role} / {name}: {present!r:.600} != {absent!r:.600}")
    print(f"indirect-path matrix: {cases} cases, {len(failures)} failures")
    assert not failures, "\n".join(failures)


def test_refusals_name_only_the_units_the_caller_may_see(scene):
    """Leak 10: a refusal names a unit by its display name only for a caller who may see it;
    otherwise in neutral words (the subject access export, a move, an appointment all refuse
    through `authorize`)."""
    from grassroots.access import OutOfScope, authorize, authorize_post

    checked = 0
    for role in ROLES:
        actor = scene.actors[role]
        if actor.user is None:
            continue
        user = get_user_model().objects.get(pk=actor.user.pk)
        for unit in scene.units.values():
            for check, what in ((authorize, Right.MANAGE_UNITS), (authorize_post, "secretary")):
                try:
                    check(user, what, unit)
                except OutOfScope as refusal:
                    checked += 1
                    if scene.sees_unit(actor, unit):
                        assert unit.name in refusal.message, (role, refusal.message)
                    else:
                        assert unit.name not in refusal.message, (role, refusal.message)
                        assert refusal.message.endswith("in a unit outside your scope"), refusal.message
    assert checked > 20

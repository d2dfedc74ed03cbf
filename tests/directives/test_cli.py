"""`grassroots directive ...` and `grassroots assignment ...`, run in process: the issue's
commands with the known values, and bad input refused in one line naming the field."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from grassroots.accounts.actions import create_api_token
from grassroots.cli import main
from grassroots.directives.models import Assignment, Directive
from tests.support import builders
from tests.support.directives import region

pytestmark = pytest.mark.django_db


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_issue_answer_report_and_status_from_the_terminal(capsys, tmp_path):
    scene = region(secretaries=False)
    form = tmp_path / "form.yaml"
    form.write_text(
        "fields:\n  - {name: Leaflets distributed, type: number, required: true}\n"
        "  - {name: mood, type: choice, choices: [good, bad]}\n"
    )
    code, out, err = run(
        capsys, "directive", "issue", "region", "--title", "Leaflets", "--due", "2027-05-01 23:59",
        "--kind", "report", "--targets-kind", "building_committee", "--form", str(form), "--json",
    )  # fmt: skip
    assert (code, err) == (0, "")
    directive = json.loads(out)["id"]
    assert Directive.objects.get(pk=directive).status == "issued"
    houses = [unit.slug for district in scene.districts for unit in scene.committees[district.slug]]
    for slug, count in zip(houses[:3], ["120", "80", "0"], strict=True):
        code, out, err = run(
            capsys, "assignment", "report", str(directive), slug, "--value", f"Leaflets distributed={count}"
        )
        assert (code, out.strip(), err) == (0, "1", "")
    for value, words in [("1_000", "'1_000' is not a number"), ("true", "'true' is not a number")]:
        code, out, err = run(
            capsys, "assignment", "report", str(directive), houses[3], "--value", f"Leaflets distributed={value}"
        )
        assert (code, err) == (1, f"refused: Leaflets distributed: {words}\n")
    for slug in houses[3:9]:
        assert run(capsys, "assignment", "set", str(directive), slug, "done")[0] == 0
    code, out, err = run(capsys, "assignment", "set", str(directive), houses[9], "declined")
    assert (code, err) == (1, "refused: reason: required to decline\n")
    assert run(capsys, "assignment", "set", str(directive), houses[9], "declined", "--reason", "no one")[0] == 0
    code, out, _ = run(capsys, "directive", "status", str(directive), "--json")
    status = json.loads(out)
    assert {key: status[key] for key in ("directive", "targets", "done", "declined", "pending", "completion")} == {
        "directive": directive, "targets": 12, "done": 9, "declined": 1, "pending": 2, "completion": 0.75,
    }  # fmt: skip
    assert status["overdue"] == 0
    code, out, _ = run(capsys, "directive", "status", str(directive), "--unit", "district-1", "--json")
    district = json.loads(out)
    assert (district["completion"], district["fields"]["Leaflets distributed"]) == (
        1.0,
        {"sum": 200, "mean": 66.666667, "reported": 3, "of": 4},
    )
    code, out, _ = run(capsys, "directive", "status", str(directive))
    assert "region: 9 of 12 done (75 %), 1 declined, 2 pending" in out
    assert "Leaflets distributed: 200 (mean 66.666667), reported by 3 of 12" in out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--due", "2027-05-01"], "refused: due: '2027-05-01' is not a date and time (YYYY-MM-DD HH:MM)\n"),
        (["--due", "2027-05-01 10:00", "--kind", "party"], "refused: kind: 'party' is not one of task, report"),
        (["--due", "2027-05-01 10:00", "--targets-kind", "planet"], "refused: targets_kind: 'planet' is not a kind"),
        (["--due", "2027-05-01 10:00", "--targets", "nowhere"], "error: --targets: no unit 'nowhere'\n"),
        (["--due", "2027-05-01 10:00", "--form", "/no/such.yaml"], "error: --form: /no/such.yaml cannot be read"),
        (["--due", "2027-05-01 10:00", "--targets-kind", "federation"],
         "refused: targets: no unit of federation in the subtree of District 1 to send it to\n"),
        (["--due", "2027-05-01 10:00", "--targets-kind", "district"],
         "refused: targets_kind: District 1 issues the directive; it goes to units below it, not to a district"
         " committee (its own kind)\n"),
        (["--due", "2027-05-01 10:00", "--targets", "d1-house-1,district-1"],
         "refused: targets: District 1 issues the directive; it goes to units below it, not to District 1\n"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_in_one_line(capsys, arguments, message):
    region(secretaries=False)
    code, out, err = run(capsys, "directive", "issue", "district-1", "--title", "T", *arguments)
    assert code == 1 and err.startswith(message) and "Traceback" not in err
    assert Directive.objects.count() == 0


def test_a_bad_report_value_names_the_field_and_passing_on_goes_down(capsys, tmp_path):
    scene = region(secretaries=False)
    code, out, _ = run(
        capsys, "directive", "issue", "region", "--title", "Campaign", "--due", "2027-05-01 23:59",
        "--targets-kind", "district", "--json",
    )  # fmt: skip
    directive = json.loads(out)["id"]
    code, out, err = run(capsys, "directive", "pass-on", str(directive), "district-2", "--json")
    assert (code, err) == (0, "")
    child = Directive.objects.get(pk=json.loads(out)["id"])
    assert (child.parent_id, child.assignments.count()) == (directive, 4)
    code, _, err = run(capsys, "assignment", "report", str(child.pk), scene.committees["district-2"][0].slug,
                       "--value", "colour=red")  # fmt: skip
    assert (code, err) == (1, "refused: colour: the report form has no such field (the directive has no report form)\n")
    for unit in scene.committees["district-2"]:
        run(capsys, "assignment", "set", str(child.pk), unit.slug, "done")
    assert Assignment.objects.get(directive_id=directive, unit__slug="district-2").status == "done"
    code, out, _ = run(capsys, "assignment", "list", "district-1", "--json")
    assert [row["directive"] for row in json.loads(out)] == [directive]


def test_reissue_reads_the_new_due_time_in_the_directives_own_zone(capsys):
    """Issued in Europe/Berlin; the organization then moves to America/New_York. The directive
    still shows Berlin time, so a new due of 2027-06-01 18:00 is 18:00 in Berlin (16:00 UTC, summer
    time), on the command line and the API alike, not 18:00 in New York (22:00 UTC)."""
    scene = region(secretaries=False)
    code, out, _ = run(
        capsys, "directive", "issue", "region", "--title", "Leaflets", "--due", "2027-05-01 23:59",
        "--targets-kind", "district", "--json",
    )  # fmt: skip
    directive = Directive.objects.get(pk=json.loads(out)["id"])
    scene.org.time_zone = "America/New_York"
    scene.org.save(update_fields=["time_zone"])
    code, out, err = run(capsys, "directive", "reissue", str(directive.pk), "--due", "2027-06-01 18:00")
    assert (code, out, err) == (0, "version 2\n", "")
    directive.refresh_from_db()
    assert (directive.due.isoformat(), directive.time_zone) == ("2027-06-01T16:00:00+00:00", "Europe/Berlin")
    admin = builders.account(scene.org, "admin@example.org", is_admin=True)
    token = create_api_token(user=admin, organization=scene.org, name="t", by="test")[1]
    answer = Client(headers={"Authorization": f"Bearer {token}"}).post(
        f"/api/orgs/{scene.org.slug}/directives/{directive.pk}/reissue",
        json.dumps({"due": "2027-12-01 18:00"}),
        content_type="application/json",
    )
    assert (answer.status_code, answer.json()["due"]) == (200, "2027-12-01T18:00:00+01:00")

"""Property: what an export writes, an import reads back unchanged, field by field (CSV and XLSX)."""

import csv
import datetime as dt

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grassroots.imports.actions import export_members, import_members
from grassroots.imports.validation import plain
from grassroots.people.models import Person
from tests.support import builders

BY = "cli:test"
PHONES = [f"+44791112{number:04d}" for number in range(100)]
STATUSES = ["supporter", "candidate", "member", "lapsed", "resigned"]
EMAIL = r"[a-z0-9][a-z0-9._+-]{0,10}@[a-z]{1,8}\.(org|net)"
HEADER = ["name", "email", "phone", "address", "unit", "status", "joined", "recruiter"]

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff"),
    max_size=30,
).map(str.strip)
person = st.fixed_dictionaries(
    {
        "name": text.filter(bool),
        "email": st.one_of(st.just(""), st.from_regex(EMAIL, fullmatch=True)),
        "phone": st.one_of(st.just(""), st.sampled_from(PHONES)),
        "address": st.lists(text.filter(bool), max_size=3).map("\n".join),
        "unit": st.sampled_from(["elm-house", "oak-court", "ash-tower"]),
        "status": st.sampled_from(STATUSES),
        "joined": st.dates(dt.date(2000, 1, 1), dt.date(2024, 12, 31)).map(dt.date.isoformat),
        "recruiter": st.integers(0, 20),
    }
)


def unique_people(people: list[dict]) -> list[dict]:
    """Distinct emails and phones (they identify people), recruiters among those with an email."""
    seen, kept = set(), []
    for candidate in people:
        keys = {key for key in (candidate["email"], candidate["phone"]) if key}
        if keys & seen:
            continue
        seen |= keys
        kept.append(candidate)
    with_email = [other["email"] for other in kept if other["email"]]
    for candidate in kept:
        choice = with_email[candidate["recruiter"] % len(with_email)] if with_email and candidate["recruiter"] else ""
        candidate["recruiter"] = "" if choice == candidate["email"] else choice
    return kept


def organization_with_units():
    """An organization with three basic units people may join, and no one in them yet."""
    org = builders.organization()
    top = builders.unit(org, "federation", "Federation")
    for name in ("Elm House", "Oak Court", "Ash Tower"):
        builders.unit(org, "building_committee", name, top, state="preparing")
    return org


def read_back(path, format):
    if format == "csv":
        with path.open(newline="", encoding="utf-8-sig") as stream:
            return sorted(map(tuple, list(csv.reader(stream))[1:]))
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    return sorted(tuple(value or "" for value in row) for row in list(sheet.iter_rows(values_only=True))[1:])


@pytest.mark.django_db
@pytest.mark.parametrize("format", ["csv", "xlsx"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(person, min_size=1, max_size=8).map(unique_people))
def test_export_then_import_gives_back_every_field(tmp_path_factory, format, people):
    tmp = tmp_path_factory.mktemp("round")
    source = organization_with_units()
    original = tmp / "original.csv"
    with original.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        writer.writerows([[candidate[name] for name in HEADER] for candidate in people])
    first = import_members(organization=source, path=original, by=BY, today=dt.date(2025, 1, 1))
    assert (first.created, first.rejected) == (len(people), 0), first.rejections

    exported = tmp / f"exported.{format}"
    assert export_members(organization=source, by=BY, path=exported, format=format) == len(people)
    target = organization_with_units()
    second = import_members(organization=target, path=exported, by=BY, today=dt.date(2025, 1, 1))
    assert second.rejected == 0, second.rejections
    again = tmp / f"again.{format}"
    export_members(organization=target, by=BY, path=again, format=format)

    assert read_back(exported, format) == read_back(again, format)

    # Every field comes back: the target holds what the source held, which is what the file said
    # (a leading apostrophe before a formula character is a spreadsheet's text marker, not content).
    def fields(org):
        people = Person.objects.filter(organization=org)
        return sorted(people.values_list("name", "email", "phone", "address", "memberships__status"))

    said = sorted((plain(c["name"]), c["email"], c["phone"], plain(c["address"]), c["status"]) for c in people)
    assert fields(source) == said
    assert fields(target) == fields(source)

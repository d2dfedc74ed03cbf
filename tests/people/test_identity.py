"""One identity whatever the path: the normal form of a person's fields, search by any variant of a
name, duplicates refused unless confirmed, edits audited, and two records of one person merged."""

from __future__ import annotations

import datetime as dt
import importlib
import unicodedata
from types import SimpleNamespace

import phonenumbers
import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grassroots.access import OutOfScope
from grassroots.audit.models import AuditRecord
from grassroots.errors import ActionRefused
from grassroots.keyset import keyset_page
from grassroots.meetings import actions as meeting_actions
from grassroots.meetings.models import Attendance
from grassroots.people import actions
from grassroots.people.merging import merge_people
from grassroots.people.models import Consent, Membership, Person
from grassroots.people.normalize import (
    names_agree,
    normal_address,
    normal_email,
    normal_phone,
    normal_text,
    phone_e164,
    search_key,
    search_keys,
)
from grassroots.people.selectors import duplicates_visible_to, reads_scope, search_people, values_to_check
from tests.support import builders

OPERATOR = "test"
MERGE_QUERIES = 47  # measured on SQLite and PostgreSQL alike: the same for any number of rows moved


def names(people) -> list[str]:
    return sorted(person.name for person in people)


# -- the normal form --------------------------------------------------------------------------


def test_text_is_nfc_without_invisible_characters_and_with_one_space():
    decomposed = unicodedata.normalize("NFD", "José")
    assert normal_text(f"  {decomposed}\u200b  Ma\u00adría\t\nPérez\x07 ") == "José María Pérez"
    assert normal_address(" 1  Ash Tower \r\n\n  Southside\u200d ") == "1 Ash Tower\nSouthside"
    assert normal_email("  Rosa@Example.ORG\u200b ") == "rosa@example.org"
    # Characters that show nothing, and marks that follow no letter, go: no name looks empty.
    assert normal_text("\u0301") == normal_text("\u2800") == normal_text(" \u3164 ") == ""
    assert normal_text("Hangul\u3164Filler \u0301Ana") == "HangulFiller Ana"
    assert normal_text("Jose\u200b\u0301") == "José"  # composed once the invisible character is gone


@pytest.mark.parametrize(
    "typed",
    ["07911 123458", "+44 7911 123458", "+447911123458", "(07911) 123-458", "0044 7911 123458", "07911\u00a0123458"],
)
def test_every_formatting_of_one_number_is_one_e164_number(typed):
    assert normal_phone(typed, "GB") == "+447911123458"


def test_the_region_reads_national_numbers():
    assert normal_phone("(202) 555-0123", "US") == "+12025550123"
    assert normal_phone("01 23 45 67 89", "FR") == "+33123456789"


def parser_e164(text: str, region: str) -> str | None:
    """The one rule, straight from phonenumbers: what `phone_e164` answers without its quick paths."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


REGIONS = ["GB", "US", "CA", "FR", "DE", "IT", "AR", "BR", "RU", "AU", "IN", "NL", "JP", "MX", "ZA", "NG", "KR"]
EXAMPLES = [
    (region, phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL))
    for region in REGIONS
    for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE)
    if (example := phonenumbers.example_number_for_type(region, kind)) is not None
]


@settings(max_examples=300, deadline=None)
@given(
    example=st.sampled_from(EXAMPLES),
    digits=st.lists(st.sampled_from("0123456789"), min_size=12, max_size=12),
    keep=st.integers(0, 12),
    cut=st.integers(-2, 2),
    separators=st.sampled_from(["as written", "none", "spaces", "hyphens"]),
)
def test_a_number_written_nationally_is_read_as_the_parser_reads_it(example, digits, keep, cut, separators):
    """Property: the quick path for national numbers (`07400 123456`) gives what phonenumbers gives,
    the number or its refusal, in every region: numbers shaped as the region writes them, some
    digits changed, one or two dropped or added, the separators changed."""
    region, written = example
    changed = iter(digits)
    text = "".join(next(changed) if char.isdigit() and index > keep else char for index, char in enumerate(written))
    text = text[:cut] if cut < 0 else text + "".join(digits[:cut])
    bare = "".join(char for char in text if char.isdigit())
    text = {"as written": text, "none": bare, "spaces": " ".join(bare[i : i + 3] for i in range(0, len(bare), 3))}.get(
        separators, "-".join(bare[i : i + 4] for i in range(0, len(bare), 4))
    )
    assert phone_e164(text, region) == parser_e164(text.strip(), region), text


@pytest.mark.parametrize("number", ["+447700900555", "07700 900556", "+44 7700 900000"])
def test_the_demo_numbers_in_the_drama_range_pass_the_one_rule(number):
    assert normal_phone(number, "GB").startswith("+447700900")


@pytest.mark.parametrize(
    "typed", ["abc", "+4412345", "0123", "12345678901234567", "0770090055x", "07700 900557 ext 12"]
)
def test_what_is_not_a_phone_number_is_refused_naming_the_field(typed):
    with pytest.raises(ActionRefused) as refused:
        normal_phone(typed, "GB")
    assert refused.value.field == "phone"
    assert refused.value.message.startswith(f"phone: '{typed}' is not a phone number for GB")


def test_adding_a_person_stores_the_normal_form(org):
    person = builders.person(
        org, "  Ana\u200b   Lima ", email=" Ana@Example.org ", phone="07911 123458", address="1  Elm St\r\nX"
    )
    person.refresh_from_db()
    assert (person.name, person.email, person.phone, person.address) == (
        "Ana Lima",
        "ana@example.org",
        "+447911123458",
        "1 Elm St\nX",
    )
    assert (person.search_key, person.family_key) == ("ana lima", "lima ana")


def test_adding_a_person_with_a_phone_that_is_no_number_is_refused_and_writes_nothing(org):
    with pytest.raises(ActionRefused) as refused:
        builders.person(org, "Ana Lima", phone="abc")
    assert refused.value.field == "phone"
    assert not Person.objects.filter(organization=org).exists()


# -- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("Иванов Иван", "ИВАНОВ"),
        ("Иван Иванов", "иванов"),
        ("José Álvarez", "jose"),
        (unicodedata.normalize("NFD", "José Álvarez"), "José"),
        ("José Álvarez", unicodedata.normalize("NFD", "JOSÉ")),
        ("Siobhán D’Arcy", "d'arcy"),
        ("Siobhán D'Arcy", "D’ARCY"),
        ("Ελένη Παπαδοπούλου", "παπαδοπουλου"),
        ("Straße Weiß", "STRASSE"),
        ("Işık Yılmaz", "YILMAZ"),
        ("Rosa Lindqvist", "lindq"),
        # A letter that casefolds into letter and mark (a subscript iota) is found by the letter.
        ("ᾀA Νίκη", "αA"),
        ("ᾼλκηστις", "Αλκ"),
        # Letters with a stroke, and ligatures, are found by the letters people type for them.
        ("Đorđe Łukasz", "lukasz"),
        ("Đorđe Łukasz", "dorde"),
        ("Ŀuis Øster", "oster"),
        ("Ŀuis Øster", "luis"),
        ("Ærø Þórsson", "aero"),
    ],
)
def test_search_ignores_case_accents_and_unicode_form(org, stored, typed):
    builders.person(org, stored)
    builders.person(org, "Someone Else")
    found = search_people(OPERATOR, org, typed)
    assert [person.name for person in found] == [normal_text(stored)]


def test_search_finds_by_the_start_of_the_email(org):
    builders.person(org, "Rosa Lindqvist", email="rosa@example.org")
    assert names(search_people(OPERATOR, org, "ROSA@exam")) == ["Rosa Lindqvist"]
    assert names(search_people(OPERATOR, org, "example.org")) == []


def test_search_filters_by_unit_subtree_and_status(org, tree):
    north, elm, ash = tree["north"], tree["elm"], tree["ash"]
    candidate = builders.person(org, "Ada Candidate", unit=elm, status="candidate", on=builders.START)
    builders.person(org, "Ada Southern", unit=ash, status="candidate", on=builders.START)
    assert candidate in search_people(OPERATOR, org, "ada", unit=north)
    assert names(search_people(OPERATOR, org, "ada", unit=north)) == ["Ada Candidate"]
    assert names(search_people(OPERATOR, org, "ada", status="candidate")) == ["Ada Candidate", "Ada Southern"]
    assert names(search_people(OPERATOR, org, "ada", unit=north, status="member")) == []


def test_a_small_scope_is_read_by_its_path_and_pages_in_name_order(org, tree):
    """A district secretary's people (a scope of a few) are read by the path range and sorted, on
    PostgreSQL with their name an expression no index orders: the same people in the same order
    (name, then id) page after page by cursor as the organization's name index gives, for the
    list and a search."""
    secretary = builders.officer(org, tree["north"], "secretary", "north@example.org", member_of=tree["elm"])
    for name, unit in [("Ada Elm", "elm"), ("Ada Elm", "oak"), ("ada Oak", "oak"), ("Émile Adams", "elm")]:
        builders.person(org, name, unit=tree[unit], status="member", on=builders.START, allow_duplicate=True)
    builders.person(org, "Ada South", unit=tree["ash"], status="member", on=builders.START)
    # SQLite, with its statistics, takes the path range by itself (`reads_scope`).
    assert reads_scope(secretary, org) is (connection.vendor == "postgresql")
    assert not reads_scope(OPERATOR, org)
    assert ("|| '')" in str(search_people(secretary, org, "ada").query)) is (connection.vendor == "postgresql")
    assert "|| '')" not in str(search_people(OPERATOR, org, "ada").query)
    north = tree["north"].path

    for query in ("", "ada"):
        everyone = list(search_people(OPERATOR, org, query).order_by("name", "pk"))
        expected = [person.pk for person in everyone if person.unit_path.startswith(north)]
        seen, after = [], None
        while True:
            page = keyset_page(search_people(secretary, org, query), after=after, size=2)
            seen += [person.pk for person in page.rows]
            if page.next_cursor is None:
                break
            after = page.next_cursor
        assert seen == expected
    assert names(Person.objects.filter(pk__in=seen).order_by("name", "pk")) == [
        "Ada Elm",
        "Ada Elm",
        "ada Oak",
        "Émile Adams",
    ]


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_search_is_one_range_of_an_index_on_sqlite(org):
    """Once SQLite knows the table (ANALYZE: the migration runs it), each alternative of the search
    is a range of its own index, never a scan of the organization's people."""
    Person.objects.bulk_create(Person(organization=org, name=f"p{n}", search_key=f"p{n}") for n in range(500))
    sql, params = search_people(OPERATOR, org, "iva").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE people_person")
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "MULTI-INDEX OR" in plan
    assert "person_org_search_key (organization_id=? AND search_key>? AND search_key<?)" in plan
    assert "person_org_family_key (organization_id=? AND family_key>? AND family_key<?)" in plan
    assert "SCAN people_person" not in plan


def test_a_common_prefix_finds_the_same_page_by_walking_the_names(org, monkeypatch):
    """On SQLite, a prefix that at least COMMON_PREFIX people match is found by walking the
    (organization, name, id) index: the same people, in the same order, page after page, as
    gathering the matches by the prefix indexes gives; a rarer prefix is still gathered."""
    from grassroots.people import selectors

    for name, email in [("Anna Berg", ""), ("Zoe Annan", ""), ("Carl Ek", "anna@example.org"), ("Anna Berg", "")]:
        builders.person(org, name, email=email, allow_duplicate=True)
    builders.person(org, "Bob Other")
    gathered = [person.pk for person in search_people(OPERATOR, org, "anna")]
    assert "|| '')" not in str(search_people(OPERATOR, org, "anna").query)
    monkeypatch.setattr(selectors, "COMMON_PREFIX", 3)
    walked = search_people(OPERATOR, org, "anna")
    assert ("|| '')" in str(walked.query)) is (connection.vendor == "sqlite")
    assert [person.pk for person in walked] == gathered
    assert names(walked) == ["Anna Berg", "Anna Berg", "Carl Ek", "Zoe Annan"]
    seen, after = [], None
    while True:
        page = keyset_page(search_people(OPERATOR, org, "anna"), after=after, size=3)
        seen += [person.pk for person in page.rows]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == gathered
    assert "|| '')" not in str(search_people(OPERATOR, org, "zoe").query)  # 1 match: gathered


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_search_uses_the_pattern_indexes_on_postgresql(org):
    """LIKE 'text%' is a range of the varchar_pattern_ops indexes whatever the database's collation."""
    Person.objects.bulk_create(Person(organization=org, name=f"p{n}", search_key=f"p{n}") for n in range(5000))
    sql, params = search_people(OPERATOR, org, "iva").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE people_person")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on person_org_search_key" in plan
    assert "Bitmap Index Scan on person_org_family_key" in plan
    assert "Seq Scan" not in plan


# Greek letters with a subscript iota (ᾳ) are left out: their capital adds a letter (ᾳ is ΑΙ in
# capitals) where taking the accents off drops the iota (α), and one search key cannot be both;
# the key follows the accents-off form (`ᾀ` is found by `α`, not by `ΑΙ`).
NAME_WORD = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Lo", "Mn"), max_codepoint=0x2FFF), min_size=1, max_size=8
).filter(
    lambda word: (
        search_key(word).strip()
        and not unicodedata.combining(word[0])
        and "\u0345" not in unicodedata.normalize("NFD", word)
    )
)


def variants(name: str) -> list[str]:
    return [
        name.upper(),
        name.lower(),
        unicodedata.normalize("NFD", name),
        unicodedata.normalize("NFC", name.casefold()),
        "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c)),
    ]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(NAME_WORD, min_size=1, max_size=3), how=st.sampled_from(["action", "edit"]))
def test_any_name_written_is_normal_and_found_by_any_variant(org, words, how):
    """Property: whatever name is written through the actions, normalizing it again changes nothing,
    and search finds the person by any case, accent or Unicode-form variant of it."""
    typed = " ".join(words)
    if how == "action":
        person = actions.add_person(organization=org, name=typed, by=OPERATOR, allow_duplicate=True)
    else:
        person = actions.add_person(organization=org, name="Placeholder", by=OPERATOR, allow_duplicate=True)
        person = actions.edit_person(person=person, name=typed, by=OPERATOR, allow_duplicate=True)
    person.refresh_from_db()
    assert normal_text(person.name) == person.name
    assert search_key(person.name) == person.search_key
    assert search_keys(typed) == {"search_key": person.search_key, "family_key": person.family_key}
    for variant in variants(person.name):
        assert person in search_people(OPERATOR, org, variant), variant
    person.delete()


# -- duplicates and conflicts ----------------------------------------------------------------


def test_the_same_name_and_email_is_refused_with_the_known_persons_number(org):
    rosa = builders.person(org, "Rosa Lindqvist", email="rosa@example.org")
    with pytest.raises(ActionRefused) as refused:
        builders.person(org, "ROSA  LINDQVIST", email="Rosa@Example.org")
    assert refused.value.message == (
        f"person {rosa.pk} (Rosa Lindqvist) has the same name and email; "
        "confirm that this is another person to record them anyway"
    )
    assert refused.value.field == "allow_duplicate"
    second = builders.person(org, "Rosa Lindqvist", email="rosa@example.org", allow_duplicate=True)
    assert second.pk != rosa.pk


def test_the_same_name_and_phone_in_another_formatting_is_refused(org):
    rosa = builders.person(org, "Rosa Maria Lindqvist", phone="+44 7911 123458")
    with pytest.raises(ActionRefused, match=f"person {rosa.pk} \\(Rosa Maria Lindqvist\\) has the same name and phone"):
        builders.person(org, "Rosa Lindqvist", phone="07911 123458")


def test_a_household_sharing_a_landline_is_two_people(org):
    first = builders.person(org, "Rosa Lindqvist", phone="020 7946 0000", email="home@example.org")
    second = builders.person(org, "Karl Lindqvist", phone="+44 20 7946 0000", email="home@example.org")
    assert first.pk != second.pk
    assert (first.name, second.name) == ("Rosa Lindqvist", "Karl Lindqvist")


def test_names_agree_when_only_middle_names_differ():
    assert names_agree("Rosa Lindqvist", "rosa maria LINDQVIST")
    assert names_agree("José Pérez", unicodedata.normalize("NFD", "JOSE PEREZ"))
    assert not names_agree("Rosa Lindqvist", "Karl Lindqvist")
    assert not names_agree("Rosa", "Rosa Lindqvist")


def test_a_duplicate_out_of_the_callers_scope_is_not_named(org, tree):
    builders.person(org, "Rosa Lindqvist", email="rosa@example.org", unit=tree["ash"], on=builders.START)
    steward = builders.officer(org, tree["elm"], "secretary", "sec@example.org")
    added = actions.add_person(
        organization=org, name="Rosa Lindqvist", email="rosa@example.org", unit=tree["elm"], by=steward
    )
    assert added.unit_path == tree["elm"].path


# -- edit ------------------------------------------------------------------------------------


def test_editing_normalizes_and_audits_old_and_new_values(org):
    rosa = builders.person(org, "Rosa Lindqvist", email="rosa@example.org")
    actions.edit_person(person=rosa, name="Rosa  Lindqvist-Berg", phone="07911 123458", by=OPERATOR)
    rosa.refresh_from_db()
    assert (rosa.name, rosa.email, rosa.phone) == ("Rosa Lindqvist-Berg", "rosa@example.org", "+447911123458")
    assert search_people(OPERATOR, org, "lindqvist-b").get() == rosa
    record = AuditRecord.objects.get(action="person.edit")
    assert record.changes == {
        "name": ["Rosa Lindqvist", "Rosa Lindqvist-Berg"],
        "phone": ["", "+447911123458"],
    }


def test_an_edit_that_changes_nothing_writes_no_record(org):
    rosa = builders.person(org, "Rosa Lindqvist", phone="+447911123458")
    actions.edit_person(person=rosa, phone="07911 123458", by=OPERATOR)
    assert not AuditRecord.objects.filter(action="person.edit").exists()


def test_an_edit_to_a_bad_phone_or_into_a_duplicate_is_refused(org):
    rosa = builders.person(org, "Rosa Lindqvist", email="rosa@example.org")
    karl = builders.person(org, "Karl Lindqvist", email="rosa@example.org")
    with pytest.raises(ActionRefused, match="phone: 'abc' is not a phone number"):
        actions.edit_person(person=karl, phone="abc", by=OPERATOR)
    with pytest.raises(ActionRefused, match=f"person {rosa.pk} \\(Rosa Lindqvist\\) has the same name and email"):
        actions.edit_person(person=karl, name="Rosa Lindqvist", by=OPERATOR)
    karl.refresh_from_db()
    assert karl.name == "Karl Lindqvist"


def test_a_stored_value_no_rule_accepts_does_not_block_an_edit_of_another_field(org):
    rosa = builders.person(org, "Rosa Lindqvist", email="rosa@example.org")
    Person.objects.filter(pk=rosa.pk).update(phone="abc")  # written before the rule, or by hand
    rosa.refresh_from_db()
    actions.edit_person(person=rosa, email="Bad@Example.org", by=OPERATOR)
    actions.edit_person(person=rosa, name="Rosa Berg", phone="abc", by=OPERATOR)  # a form sends it unchanged
    rosa.refresh_from_db()
    assert (rosa.name, rosa.email, rosa.phone) == ("Rosa Berg", "bad@example.org", "abc")
    with pytest.raises(ActionRefused, match="phone: 'abd' is not a phone number"):
        actions.edit_person(person=rosa, phone="abd", by=OPERATOR)


def test_an_edit_out_of_scope_is_refused(org, tree):
    rosa = builders.person(org, "Rosa Lindqvist", unit=tree["ash"], on=builders.START)
    steward = builders.officer(org, tree["elm"], "secretary", "sec@example.org")
    with pytest.raises(OutOfScope):
        actions.edit_person(person=rosa, name="Someone", by=steward)


# -- duplicates list and merge ---------------------------------------------------------------


def test_duplicates_are_pairs_with_their_reasons_within_scope(org, tree):
    a = builders.person(org, "Rosa Lindqvist", email="rosa@example.org", unit=tree["elm"], on=builders.START)
    b = builders.person(org, "R. Lindqvist", email="rosa@example.org", phone="+447911123458")
    c = builders.person(org, "Rosa Lindqvist", phone="07911 123458", allow_duplicate=True)
    builders.person(org, "Rosa Lindqvist", unit=tree["ash"], on=builders.START, allow_duplicate=True)
    pairs = {(p.first_id, p.second_id): p.reasons for p in duplicates_visible_to(OPERATOR, org)}
    assert pairs[(a.pk, b.pk)] == ("same email",)
    assert pairs[(b.pk, c.pk)] == ("same phone",)
    assert pairs[(a.pk, c.pk)] == ("same name",)
    steward = builders.officer(org, tree["elm"], "secretary", "sec@example.org")
    assert duplicates_visible_to(steward, org) == []


@pytest.fixture
def two_records(org, tree):
    """Rosa twice: once a member of Elm House since 2024-01-01, once a member of Oak Court from
    2023-01-01 to 2024-01-01 (ended the day the other began, as a transfer would) who consented
    and recruited someone."""
    keep = builders.person(org, "Rosa Lindqvist", email="rosa@example.org", unit=tree["elm"], on=builders.START)
    other = builders.person(
        org,
        "Rosa M. Lindqvist",
        email="rosa.m@example.org",
        phone="07911 123458",
        address="2 Oak Court",
        unit=tree["oak"],
        status="candidate",
        on=dt.date(2023, 1, 1),
    )
    actions.change_status(person=other, status="member", by=OPERATOR, on=dt.date(2023, 6, 1))
    actions.end_membership(person=other, by=OPERATOR, on=builders.START)
    actions.record_consent(person=other, purpose="email bulletins", policy_version="1", by=OPERATOR)
    recruit = builders.person(org, "Kofi Mensah", recruiter=other)
    return keep, other, recruit


def _refusal(keep: Person, other: Person) -> str:
    with pytest.raises(ActionRefused) as refused:
        merge_people(keep=keep, other=other, by=OPERATOR)
    return refused.value.message


def test_merging_is_refused_when_memberships_overlap_naming_both(org, tree):
    """Emil in Elm House since 2024-10-10; Amara in Elm House from 2024-10-13 to 2025-02-08: one
    record would be a member twice from 13 October, so the merge is refused either way round."""
    emil = builders.person(org, "Emil Novak", unit=tree["elm"], on=dt.date(2024, 10, 10))
    amara = builders.person(org, "Amara Novak", unit=tree["elm"], on=dt.date(2024, 10, 13))
    actions.end_membership(person=amara, by=OPERATOR, on=dt.date(2025, 2, 8))
    rule = "a person is a member of one basic unit at a time, so one record cannot hold both"
    assert _refusal(emil, amara) == (
        f"the memberships overlap: person {emil.pk} in Elm House since 2024-10-10 and person {amara.pk} in "
        f"Elm House from 2024-10-13 to 2025-02-08; {rule} (correct the dates of one of them first)"
    )
    assert _refusal(amara, emil) == (
        f"the memberships overlap: person {amara.pk} in Elm House from 2024-10-13 to 2025-02-08 and person "
        f"{emil.pk} in Elm House since 2024-10-10; {rule} (correct the dates of one of them first)"
    )
    assert Membership.objects.filter(person__in=[emil, amara]).count() == 2
    assert not AuditRecord.objects.filter(action="person.merge").exists()


def test_ending_one_current_membership_today_still_leaves_an_overlap(org, tree):
    keep = builders.person(org, "Rosa Lindqvist", unit=tree["elm"], on=builders.START)
    other = builders.person(org, "Rosa M. Lindqvist", unit=tree["oak"], on=builders.START)
    assert _refusal(keep, other).startswith(
        f"the memberships overlap: person {keep.pk} in Elm House since 2024-01-01 and person {other.pk} in "
        "Oak Court since 2024-01-01;"
    )
    actions.end_membership(person=other, by=OPERATOR)
    today = timezone.localdate()
    assert _refusal(keep, other).startswith(
        f"the memberships overlap: person {keep.pk} in Elm House since 2024-01-01 and person {other.pk} in "
        f"Oak Court from 2024-01-01 to {today};"
    )
    assert Person.objects.filter(pk=other.pk).exists()


def test_merging_moves_everything_and_the_record_keeps_the_other(org, tree, two_records):
    keep, other, recruit = two_records
    other_pk, whole = other.pk, {f.attname: getattr(other, f.attname) for f in Person._meta.concrete_fields}
    membership = Membership.objects.get(person=other)
    status_changes = sorted(membership.status_changes.values_list("pk", flat=True))
    consent = Consent.objects.get(person=other)
    own_records = {
        r.pk: (r.target_label, r.changes)
        for r in AuditRecord.objects.filter(target_type="people.person", target_id=str(other_pk))
    }
    merge = merge_people(keep=keep, other=other, by=OPERATOR)
    merged = merge.person
    assert not Person.objects.filter(pk=other_pk).exists()
    assert (merged.name, merged.email, merged.phone, merged.address) == (
        "Rosa Lindqvist",
        "rosa@example.org",
        "+447911123458",
        "2 Oak Court",
    )
    assert merge.not_kept == {"name": "Rosa M. Lindqvist", "email": "rosa.m@example.org"}
    assert merge.not_kept_text() == (
        f" Not kept from person {other_pk}: name Rosa M. Lindqvist, email rosa.m@example.org (in the audit record)."
    )
    units = sorted(m.unit.name for m in Membership.objects.filter(person=keep))
    assert units == ["Elm House", "Oak Court"]
    assert Membership.objects.get(pk=membership.pk).status_changes.count() == len(status_changes)
    recruit.refresh_from_db()
    assert recruit.recruiter_id == keep.pk
    assert merged.unit_path == tree["elm"].path
    record = AuditRecord.objects.get(action="person.merge")
    assert record.changes["merged"] == [other_pk, keep.pk]
    other_record = record.changes["other"][0]
    assert set(other_record) == set(whole)
    assert (other_record["id"], other_record["name"], other_record["email"]) == (
        other_pk,
        "Rosa M. Lindqvist",
        "rosa.m@example.org",
    )
    assert (other_record["phone"], other_record["address"]) == ("+447911123458", "2 Oak Court")
    assert other_record["unit_path"] == tree["oak"].path
    assert record.changes["not_kept"] == [{"name": "Rosa M. Lindqvist", "email": "rosa.m@example.org"}, None]
    assert record.changes["address"] == ["", "2 Oak Court"]
    assert record.changes["memberships"] == [None, [membership.pk]]
    assert record.changes["status_changes"] == [None, status_changes]
    assert record.changes["consents"] == [None, [consent.pk]]
    assert record.changes["recruits"] == [None, [recruit.pk]]
    assert record.changes["audit_records"] == [None, sorted(own_records)]
    # The other's own records now point at the kept person, and say what they said.
    for moved in AuditRecord.objects.filter(pk__in=own_records):
        assert (moved.target_id, moved.target_label, moved.changes) == (str(keep.pk), *own_records[moved.pk])
    assert own_records and all(label == "Rosa M. Lindqvist" for label, _ in own_records.values())


def _meeting(unit, day: int):
    start = dt.datetime(2024, 3, day, 19, tzinfo=dt.UTC)
    return meeting_actions.schedule_meeting(unit=unit, title=f"March {day}", start=start, by=OPERATOR)


def _attended(meeting, person: Person, status: str) -> None:
    # Written directly: two records of one person are never members of one unit at once, so the
    # meeting's actions would refuse one side (the kept person's row, if the meeting listed them, changes).
    Attendance.objects.update_or_create(
        meeting=meeting,
        person=person,
        defaults={"status": status, "guest": True, "recorded_by": "test", "recorded_at": meeting.start},
    )


def test_attendance_keeps_the_more_informative_row_and_records_the_dropped(org, tree, two_records):
    """Both have a row: present beats registered, excused beats absent whichever side holds it,
    a tie keeps the kept person's row, and the other's presence beats the kept person's invitation
    (the meeting listed the members of Elm House as invited when it was scheduled)."""
    keep, other, _recruit = two_records
    meetings = [_meeting(tree["elm"], day) for day in (1, 8, 15, 22, 29)]
    statuses = [("registered", "present"), ("excused", "absent"), ("absent", "excused"), ("present", "present")]
    for meeting, (mine, theirs) in zip(meetings, statuses, strict=False):
        _attended(meeting, keep, mine)
        _attended(meeting, other, theirs)
    _attended(meetings[4], other, "present")
    rows = {(a.meeting_id, a.person_id): a.pk for a in Attendance.objects.filter(person__in=[keep, other])}
    other_pk = other.pk
    merge_people(keep=keep, other=other, by=OPERATOR)
    after = {a.meeting_id: (a.pk, a.status) for a in Attendance.objects.filter(person=keep)}
    assert after == {
        meetings[0].pk: (rows[meetings[0].pk, other_pk], "present"),
        meetings[1].pk: (rows[meetings[1].pk, keep.pk], "excused"),
        meetings[2].pk: (rows[meetings[2].pk, other_pk], "excused"),
        meetings[3].pk: (rows[meetings[3].pk, keep.pk], "present"),
        meetings[4].pk: (rows[meetings[4].pk, other_pk], "present"),
    }
    record = AuditRecord.objects.get(action="person.merge")
    dropped = record.changes["attendance_dropped"][0]
    assert [(row["id"], row["meeting_id"], row["person_id"], row["status"]) for row in dropped] == [
        (rows[meetings[0].pk, keep.pk], meetings[0].pk, keep.pk, "registered"),
        (rows[meetings[1].pk, other_pk], meetings[1].pk, other_pk, "absent"),
        (rows[meetings[2].pk, keep.pk], meetings[2].pk, keep.pk, "absent"),
        (rows[meetings[3].pk, other_pk], meetings[3].pk, other_pk, "present"),
        (rows[meetings[4].pk, keep.pk], meetings[4].pk, keep.pk, "invited"),
    ]
    assert record.changes["attendance"] == [
        None,
        sorted(rows[m.pk, other_pk] for m in (meetings[0], meetings[2], meetings[4])),
    ]


def test_merging_out_of_scope_is_refused(org, tree):
    keep = builders.person(org, "Rosa Lindqvist", unit=tree["elm"], on=builders.START)
    other = builders.person(org, "Rosa Lindqvist", unit=tree["ash"], on=builders.START, allow_duplicate=True)
    steward = builders.officer(org, tree["elm"], "secretary", "sec@example.org")
    with pytest.raises(OutOfScope):
        merge_people(keep=keep, other=other, by=steward)


# -- stored rows -----------------------------------------------------------------------------


def test_the_data_migration_normalizes_what_it_can_and_check_lists_the_rest(org):
    fine = builders.person(org, "Placeholder")
    broken = builders.person(org, "Another")
    Person.objects.filter(pk=fine.pk).update(
        name=unicodedata.normalize("NFD", " José  Pérez "), email=" Jose@Example.org", phone="07911 123458"
    )
    Person.objects.filter(pk=broken.pk).update(name="Ana\u200bLima", phone="abc", email="not-an-email")
    migration = importlib.import_module("grassroots.people.migrations.0005_normalize_people")
    editor = SimpleNamespace(connection=connection, execute=lambda sql: connection.cursor().execute(sql))
    migration.normalize_people(apps, editor)
    fine.refresh_from_db()
    broken.refresh_from_db()
    assert (fine.name, fine.email, fine.phone, fine.search_key) == (
        "José Pérez",
        "jose@example.org",
        "+447911123458",
        "jose perez",
    )
    assert (broken.name, broken.phone, broken.email) == ("AnaLima", "abc", "not-an-email")
    assert [(found["field"], found["value"], found["normal"]) for found in values_to_check(OPERATOR, org)] == [
        ("email", "not-an-email", None),
        ("phone", "abc", None),
    ]


def test_the_search_keys_migration_rewrites_only_keys_that_change(org):
    stale = builders.person(org, "ᾀA Νίκη")
    plain = builders.person(org, "Rosa Lindqvist")
    # As the keys were before marks went ahead of casefolding.
    Person.objects.filter(pk=stale.pk).update(search_key="αιa νικη", family_key="νικη αιa")
    migration = importlib.import_module("grassroots.people.migrations.0009_search_keys_marks_first")
    migration.refresh_search_keys(apps, None)
    stale.refresh_from_db()
    plain.refresh_from_db()
    assert (stale.search_key, stale.family_key) == ("αa νικη", "νικη αa")
    assert (plain.search_key, plain.family_key) == ("rosa lindqvist", "lindqvist rosa")
    assert stale in search_people(OPERATOR, org, "αA")


@pytest.mark.parametrize("shared", [1, 6])
def test_a_merge_runs_a_fixed_number_of_queries_however_much_moves(org, tree, two_records, shared):
    """One meeting both attended or six, each with its dropped row: the same queries."""
    keep, other, _recruit = two_records
    for day in range(1, shared + 1):
        meeting = _meeting(tree["elm"], day)
        _attended(meeting, keep, "absent")
        _attended(meeting, other, "present")
    with CaptureQueriesContext(connection) as queries:
        merge_people(keep=keep, other=other, by=OPERATOR)
    assert Attendance.objects.filter(person=keep, status="present").count() == shared
    assert len(queries) == MERGE_QUERIES

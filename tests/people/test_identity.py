"""One identity whatever the path: the normal form of a person's fields, search by any variant of a
name, duplicates refused unless confirmed, edits audited, and two records of one person merged."""

from __future__ import annotations

import importlib
import unicodedata
from types import SimpleNamespace

import phonenumbers
import pytest
from django.apps import apps
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grassroots.access import OutOfScope
from grassroots.audit.models import AuditRecord
from grassroots.errors import ActionRefused
from grassroots.keyset import keyset_page
from grassroots.organizations.models import OfficerPost
from grassroots.people import actions
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
    """Rosa twice: once a member of Elm House since 2024 with a consent, once an old member of Oak
    Court who recruited someone and held a post."""
    keep = builders.person(org, "Rosa Lindqvist", email="rosa@example.org", unit=tree["elm"], on=builders.START)
    other = builders.person(org, "Rosa M. Lindqvist", phone="07911 123458", unit=tree["oak"], on=builders.START)
    actions.change_status(person=other, status="member", by=OPERATOR, on=builders.START)
    actions.record_consent(person=other, purpose="email bulletins", policy_version="1", by=OPERATOR)
    recruit = builders.person(org, "Kofi Mensah", recruiter=other)
    return keep, other, recruit


def test_merging_is_refused_while_both_are_current_members(two_records):
    keep, other, _recruit = two_records
    with pytest.raises(ActionRefused) as refused:
        actions.merge_people(keep=keep, other=other, by=OPERATOR)
    assert refused.value.message == (
        f"both are current members (person {keep.pk} of Elm House, person {other.pk} of Oak Court); "
        f"end the membership of person {other.pk} first: one person is a member of one basic unit"
    )
    assert Person.objects.filter(pk=other.pk).exists()


def test_merging_moves_everything_to_the_kept_person(org, tree, two_records):
    keep, other, recruit = two_records
    actions.end_membership(person=other, by=OPERATOR)
    other_pk = other.pk
    posts_before = OfficerPost.objects.filter(person=other).count()
    merged = actions.merge_people(keep=keep, other=other, by=OPERATOR)
    assert not Person.objects.filter(pk=other_pk).exists()
    assert (merged.name, merged.email, merged.phone) == ("Rosa Lindqvist", "rosa@example.org", "+447911123458")
    units = sorted(m.unit.name for m in Membership.objects.filter(person=keep))
    assert units == ["Elm House", "Oak Court"]
    assert Membership.objects.filter(person=keep, unit=tree["oak"]).get().status_changes.count() == 1
    assert Consent.objects.filter(person=keep).get().purpose == "email bulletins"
    recruit.refresh_from_db()
    assert recruit.recruiter_id == keep.pk
    assert OfficerPost.objects.filter(person=keep).count() >= posts_before
    assert merged.unit_path == tree["elm"].path
    record = AuditRecord.objects.get(action="person.merge")
    assert record.changes["merged"] == [other_pk, keep.pk]
    assert record.changes["memberships"] == [None, 1]
    assert not AuditRecord.objects.filter(target_type="people.person", target_id=str(other_pk)).exists()


def test_merging_out_of_scope_is_refused(org, tree):
    keep = builders.person(org, "Rosa Lindqvist", unit=tree["elm"], on=builders.START)
    other = builders.person(org, "Rosa Lindqvist", unit=tree["ash"], on=builders.START, allow_duplicate=True)
    steward = builders.officer(org, tree["elm"], "secretary", "sec@example.org")
    with pytest.raises(OutOfScope):
        actions.merge_people(keep=keep, other=other, by=steward)


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

"""Importing members through the action: outcomes, de-duplication, transactions, scope, audit."""

import csv
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection

from grassroots.access import OutOfScope
from grassroots.audit.models import AuditRecord
from grassroots.imports import batches, exporting, writing
from grassroots.imports.actions import export_members, import_members
from grassroots.imports.models import ImportRun
from grassroots.imports.reading import ImportFileError
from grassroots.people.models import Membership, Person, StatusChange
from tests.support import builders

FILES = Path(__file__).parent / "files"
BY = "cli:test"


def write(tmp_path, text: str, name: str = "members.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def imported(org):
    return {person.email: person for person in Person.objects.filter(organization=org).exclude(email="")}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    ["utf8_bom.csv", "utf16.csv", "members.xlsx", "semicolon.csv", "tab.tsv", "quoted_newlines.csv", "cp1252.csv"],
)
def test_good_files_import(tree, org, name):
    result = import_members(organization=org, path=FILES / name, by=BY)
    assert (result.created, result.rejected, result.state, result.written) == (2, 0, "done", True)
    people = Person.objects.filter(
        organization=org, name__in=["Anna Müller", "Bob Smith", "José Pérez", "Françoise Dœuf"]
    )
    assert people.count() == 2
    for person in people:
        membership = person.memberships.get()
        assert person.unit_path == membership.unit.path
        assert membership.end is None


@pytest.mark.django_db
def test_values_are_normalized_and_memberships_dated(tree, org):
    import_members(organization=org, path=FILES / "utf8_bom.csv", by=BY)
    anna, bob = imported(org)["anna@example.org"], imported(org)["bob@example.org"]
    assert (anna.name, anna.phone, anna.unit_path) == ("Anna Müller", "+447911123456", tree["elm"].path)
    membership = anna.memberships.get()
    assert (membership.status, membership.start.isoformat()) == ("member", "2024-02-01")
    assert bob.memberships.get().unit == tree["oak"]
    assert bob.memberships.get().start.isoformat() == "2024-03-01"  # 01/03/2024 in GB: day first


HEADER_OF_BAD_ROWS = ["first_name", "last_name", "email", "phone", "unit", "status", "joined", "recruiter"]


@pytest.mark.django_db
def test_every_bad_row_is_reported_and_nothing_written(tree, org, tmp_path):
    before = Person.objects.count()
    errors = tmp_path / "errors.csv"
    result = import_members(organization=org, path=FILES / "bad_rows.csv", by=BY, errors_path=errors)
    # Nothing written: 0 created, and the two valid rows are what it would have created.
    assert (result.created, result.rejected, result.state, result.written) == (0, 7, "rejected", False)
    assert (result.would_create, result.would_update) == (2, 0)
    assert Person.objects.count() == before
    lines = {rejection.line: rejection for rejection in result.rejections}
    assert sorted(lines) == [3, 4, 5, 6, 7, 8, 9]
    assert lines[4].column == "email" and lines[4].value == "carl@@example"
    assert lines[7].reason == "North is a district committee; people are members of basic units"
    with errors.open() as stream:
        rows = list(csv.reader(stream))
    # Each rejected row as it was (its original columns), with its line and every problem it has.
    assert rows[0] == ["line", "reason", *HEADER_OF_BAD_ROWS]
    assert [row[0] for row in rows[1:]] == ["3", "4", "5", "6", "7", "8", "9"]
    assert rows[2] == ["4", "email 'carl@@example': not a valid email address", "Carl", "Jones", "carl@@example"] + [
        "",
        "elm-house",
        "",
        "",
        "",
    ]
    run = ImportRun.objects.get(pk=result.run_id)
    assert (run.state, run.rejected, run.created, run.would_create, run.batches_committed) == ("rejected", 7, 0, 2, 0)


@pytest.mark.django_db
def test_valid_rows_commits_the_good_ones_and_links_the_recruiter(tree, org):
    result = import_members(organization=org, path=FILES / "bad_rows.csv", by=BY, valid_rows=True)
    assert (result.created, result.rejected, result.written) == (2, 7, True)
    people = imported(org)
    assert people["ivy@example.org"].recruiter == people["anna@example.org"]


@pytest.mark.django_db
def test_recruiter_later_in_the_file_and_unknown_recruiter(tree, org, tmp_path):
    path = write(
        tmp_path,
        "name,email,unit,recruiter\n"
        "Ivy Moss,ivy@example.org,elm-house,anna@example.org\n"
        "Anna Müller,anna@example.org,elm-house,\n"
        "Finn Ray,finn@example.org,elm-house,nobody@example.org\n",
    )
    result = import_members(organization=org, path=path, by=BY, batch_size=1)
    assert result.created == 3
    people = imported(org)
    assert people["ivy@example.org"].recruiter == people["anna@example.org"]
    assert people["finn@example.org"].recruiter is None
    assert [(note.line, note.value) for note in result.notes] == [(4, "nobody@example.org")]


@pytest.mark.django_db
def test_dry_run_writes_nothing_but_reports(tree, org):
    before = (Person.objects.count(), ImportRun.objects.count(), AuditRecord.objects.count())
    result = import_members(organization=org, path=FILES / "bad_rows.csv", by=BY, dry_run=True)
    assert (result.created, result.rejected, result.written) == (2, 7, False)
    assert (Person.objects.count(), ImportRun.objects.count(), AuditRecord.objects.count()) == before


@pytest.mark.django_db
def test_duplicates_within_the_file_and_a_rerun_create_no_one(tree, org, tmp_path):
    """Rows agree with an earlier one by email or phone and by name (equal once normalized, or
    equal but for a middle name): the same person."""
    path = write(
        tmp_path,
        "name,email,phone,unit\n"
        "Anna Müller,anna@example.org,,elm-house\n"
        "ANNA  MÜLLER,ANNA@example.org,,elm-house\n"
        "Bob Smith,,07911 123457,elm-house\n"
        "Bob J. Smith,,+447911123457,elm-house\n",
    )
    first = import_members(organization=org, path=path, by=BY, batch_size=2)
    assert (first.created, first.skipped, first.conflicts) == (2, 2, 0)
    again = import_members(organization=org, path=path, by=BY)
    assert (again.created, again.skipped) == (0, 4)
    assert Person.objects.filter(organization=org, name__in=["Anna Müller", "Bob Smith"]).count() == 2
    dry = import_members(organization=org, path=path, by=BY, dry_run=True)
    assert (dry.created, dry.skipped) == (0, 4)


@pytest.mark.django_db
@pytest.mark.parametrize("batch_size", [1, 10_000])
def test_a_shared_contact_with_another_name_is_a_conflict_never_merged(tree, org, tmp_path, batch_size):
    rosa = builders.person(org, "Rosa Lindqvist", email="home@example.org", unit=tree["elm"], on=builders.START)
    path = write(
        tmp_path,
        "name,email,phone,unit\n"
        "Karl Lindqvist,HOME@example.org,,elm-house\n"
        "Bob Smith,,07911 123457,elm-house\n"
        "Robert Smith,,+447911123457,elm-house\n",
    )
    errors = tmp_path / "errors.csv"
    for on_duplicate in ("skip", "update"):
        result = import_members(
            organization=org, path=path, by=BY, on_duplicate=on_duplicate, batch_size=batch_size, errors_path=errors
        )
        assert (result.created, result.updated, result.conflicts, result.rejected) == (1, 0, 2, 0)
        rosa.refresh_from_db()
        assert rosa.name == "Rosa Lindqvist"
        Person.objects.filter(organization=org, name="Bob Smith").get().memberships.all().delete()
        Person.objects.filter(organization=org, name="Bob Smith").delete()
    with errors.open(newline="", encoding="utf-8") as stream:
        lines = list(csv.reader(stream))
    assert lines[0] == ["line", "reason", "name", "email", "phone", "unit"]
    assert lines[1] == [
        "2",
        f"email 'home@example.org': conflict: the email is that of person {rosa.pk} (Rosa Lindqvist), whose name "
        "differs; nothing written (on conflict 'create' records a new person who shares the contact)",
        "Karl Lindqvist",
        "HOME@example.org",
        "",
        "elm-house",
    ]
    bob = "line 3 of the file" if batch_size > 1 else "person "
    assert lines[2][0] == "4" and lines[2][2:] == ["Robert Smith", "", "'+447911123457", "elm-house"]
    assert lines[2][1].startswith(f"phone '+447911123457': conflict: the phone is that of {bob}")
    assert "(Bob Smith), whose name differs" in lines[2][1]
    created = import_members(organization=org, path=path, by=BY, on_conflict="create")
    assert (created.created, created.conflicts) == (3, 0)
    assert Person.objects.filter(organization=org, email="home@example.org").count() == 2
    assert Person.objects.filter(organization=org, phone="+447911123457").count() == 2


@pytest.mark.django_db
def test_on_duplicate_update_and_fill_empty(tree, org, tmp_path):
    anna = builders.person(org, "Anna Müller", email="anna@example.org", phone="+447911123456")
    builders.people.join_unit(person=anna, unit=tree["elm"], by=BY, status="supporter")
    path = write(
        tmp_path,
        "name,email,phone,address,unit,status\nAnna Maria Müller,anna@example.org,,1 Elm St,elm-house,member\n",
    )
    fill = import_members(organization=org, path=path, by=BY, on_duplicate="fill-empty")
    assert fill.updated == 1
    anna.refresh_from_db()
    assert (anna.name, anna.address, anna.memberships.get().status) == ("Anna Müller", "1 Elm St", "supporter")
    update = import_members(organization=org, path=path, by=BY, on_duplicate="update")
    assert update.updated == 1
    anna.refresh_from_db()
    membership = anna.memberships.get()
    assert (anna.name, anna.phone, membership.status) == ("Anna Maria Müller", "+447911123456", "member")
    assert (anna.search_key, anna.family_key) == ("anna maria muller", "muller anna maria")
    assert StatusChange.objects.filter(membership=membership, old="supporter", new="member").exists()
    unchanged = import_members(organization=org, path=path, by=BY, on_duplicate="update")
    assert unchanged.unchanged == 1


@pytest.mark.django_db
@pytest.mark.parametrize("batch_size", [1, 2, 3, 10_000])
@pytest.mark.parametrize("in_child", [False, True], ids=["in process", "read by a child process"])
def test_outcomes_do_not_depend_on_where_batches_end(tree, org, tmp_path, monkeypatch, batch_size, in_child):
    """Whatever the batch size, a person met again later in the file (in the same batch or a later
    one) is updated, not created twice, their status changes are written and recorded, and
    recruiters are linked whether they come before or after their recruits."""
    monkeypatch.setattr(batches, "PIPELINE_MIN_BYTES", 0 if in_child else 10**12)
    dora = builders.person(org, "Dora New", email="dora@example.org")
    builders.people.join_unit(person=dora, unit=tree["elm"], by=BY, status="supporter")
    path = write(
        tmp_path,
        "name,email,phone,address,unit,status,recruiter\n"
        "Anna Müller,anna@example.org,,,elm-house,member,\n"
        "Bob Smith,bob@example.org,07911 123457,,elm-house,supporter,anna@example.org\n"
        "Anna Maria Müller,anna@example.org,07911 123458,1 Elm St,elm-house,lapsed,\n"
        "Bob J. Smith,,+447911123457,,elm-house,member,\n"
        "Dora New,dora@example.org,,,elm-house,member,cara@example.org\n"
        "Cara Lee,cara@example.org,,,elm-house,member,\n",
    )
    result = import_members(organization=org, path=path, by=BY, on_duplicate="update", batch_size=batch_size)
    assert (result.created, result.updated, result.rejected) == (3, 3, 0)
    people = imported(org)
    assert {
        email: (
            person.name,
            person.phone,
            person.address,
            person.recruiter.email if person.recruiter else None,
            person.memberships.get().status,
        )
        for email, person in people.items()
    } == {
        "anna@example.org": ("Anna Maria Müller", "+447911123458", "1 Elm St", None, "lapsed"),
        "bob@example.org": ("Bob J. Smith", "+447911123457", "", "anna@example.org", "member"),
        "dora@example.org": ("Dora New", "", "", "cara@example.org", "member"),
        "cara@example.org": ("Cara Lee", "", "", None, "member"),
    }
    changes = StatusChange.objects.filter(membership__person__organization=org)
    assert sorted(changes.values_list("membership__person__email", "old", "new")) == [
        ("anna@example.org", "member", "lapsed"),
        ("bob@example.org", "supporter", "member"),
        ("dora@example.org", "supporter", "member"),
    ]


@pytest.mark.django_db
def test_reserved_ids_are_not_given_to_another_writer(tree, org):
    """Ids an import reserves for a batch are its own: a person added afterwards gets a later one
    (on SQLite, the table's AUTOINCREMENT counter moves past them, as a sequence does)."""
    reserved = writing.BulkStatements().reserve_person_ids(5)
    assert len(set(reserved)) == 5
    assert builders.person(org, "Meanwhile").pk > max(reserved)
    assert writing.BulkStatements().reserve_person_ids(1)[0] > max(reserved)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's per-connection settings")
def test_the_connection_gets_its_settings_back(tree, org, tmp_path):
    """An import enlarges the page cache and spaces checkpoints out for its own connection; a
    worker goes on with the same connection, so they are restored, however the import ends."""

    def settings():
        with connection.cursor() as cursor:
            return [cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in writing.BulkStatements.SQLITE_PRAGMAS]

    before = settings()
    assert before != list(writing.BulkStatements.SQLITE_PRAGMAS.values())
    import_members(organization=org, path=FILES / "utf8_bom.csv", by=BY)
    assert settings() == before
    unreadable = write(tmp_path, "name,email,unit\nAnna,anna@example.org,elm-house\nHuge," + "x" * 70_000 + ",elm\n")
    with pytest.raises(ImportFileError):
        import_members(organization=org, path=unreadable, by=BY, valid_rows=True, batch_size=1)
    assert settings() == before


@pytest.mark.django_db
def test_one_current_membership_rule(tree, org, tmp_path):
    anna = builders.person(org, "Anna", email="anna@example.org")
    builders.people.join_unit(person=anna, unit=tree["oak"], by=BY)
    path = write(tmp_path, "name,email,unit\nAnna,anna@example.org,elm-house\n")
    result = import_members(organization=org, path=path, by=BY, on_duplicate="update", valid_rows=True)
    assert result.rejected == 1
    assert "already a current member of Oak Court" in result.rejections[0].reason
    assert Membership.objects.filter(person=anna).count() == 1
    loose = builders.person(org, "Loose", email="loose@example.org")
    path = write(tmp_path, "name,email,unit\nLoose,loose@example.org,elm-house\n")
    assert import_members(organization=org, path=path, by=BY, on_duplicate="update").updated == 1
    loose.refresh_from_db()
    assert loose.unit_path == tree["elm"].path and loose.memberships.get().unit == tree["elm"]


@pytest.mark.django_db
def test_failure_mid_write_leaves_nothing(tree, org, tmp_path):
    text = "name,email,unit\n" + "".join(f"P{i},p{i}@example.org,elm-house\n" for i in range(30))
    path = write(tmp_path, text)
    before = Person.objects.count()
    calls = {"n": 0}
    original = writing.BulkStatements.insert_memberships

    def failing(self, rows):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return original(self, rows)

    with mock.patch.object(writing.BulkStatements, "insert_memberships", failing), pytest.raises(RuntimeError):
        import_members(organization=org, path=path, by=BY, batch_size=10)
    assert Person.objects.count() == before
    run = ImportRun.objects.get()
    assert (run.state, run.batches_committed) == ("failed", 0)
    assert "disk full" in run.error


@pytest.mark.django_db
def test_audit_record_has_counts_and_no_personal_values(tree, org):
    result = import_members(organization=org, path=FILES / "utf8_bom.csv", by=BY)
    record = AuditRecord.objects.get(action="people.import")
    assert record.changes["created"] == [None, 2]
    assert record.changes["file"] == [None, "utf8_bom.csv"]
    assert len(record.changes["sha256"][1]) == 64
    assert "anna" not in str(record.changes).lower()
    assert record.target_id == str(result.run_id)


@pytest.mark.django_db
def test_rows_outside_the_actors_scope_are_rejected(tree, org, tmp_path):
    user = builders.officer(org, tree["oak"], "secretary", "sec@example.org")
    path = write(tmp_path, "name,email,unit\nA,a@example.org,oak-court\nB,b@example.org,elm-house\n")
    result = import_members(organization=org, path=path, by=user, valid_rows=True)
    assert (result.created, result.rejected) == (1, 1)
    assert result.rejections[0].line == 3
    assert imported(org)["a@example.org"].unit_path == tree["oak"].path


@pytest.mark.django_db
def test_export_neutralizes_formulas_and_is_scoped(tree, org, tmp_path):
    path = write(tmp_path, "name,email,phone,unit\n=HYPERLINK(1),x@example.org,+447911123456,elm-house\n")
    import_members(organization=org, path=path, by=BY)
    out = tmp_path / "out.csv"
    count = export_members(organization=org, by=BY, path=out, unit=tree["elm"])
    text = out.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK(1)" in text and "'+447911123456" in text
    assert count == Person.objects.filter(unit_path=tree["elm"].path).count()
    assert AuditRecord.objects.filter(action="people.export", changes__rows=[None, count]).exists()
    with pytest.raises(OutOfScope):
        export_members(organization=org, by=builders.account(org, "nobody@example.org"), path=out, unit=tree["elm"])


@pytest.mark.django_db
@pytest.mark.parametrize("in_child", [False, True], ids=["in process", "read by a child process"])
def test_large_files_are_read_by_a_child_process_with_the_same_outcomes(tree, org, tmp_path, monkeypatch, in_child):
    """Files over PIPELINE_MIN_BYTES are read and validated in a forked child while the import
    writes; the outcomes, the errors file and the progress are the same either way."""
    monkeypatch.setattr(batches, "PIPELINE_MIN_BYTES", 0 if in_child else 10**12)
    rows = [f"P{i},p{i}@example.org,{'elm-house' if i % 7 else 'nowhere'}\n" for i in range(95)]
    path = write(tmp_path, "name,email,unit\n" + "".join(rows) + "p1,P1@example.org,elm-house\n")
    errors = tmp_path / "errors.csv"
    reports = []
    result = import_members(
        organization=org,
        path=path,
        by=BY,
        valid_rows=True,
        batch_size=20,
        errors_path=errors,
        progress=lambda p: reports.append((p.rows_done, round(p.fraction, 2))),
    )
    assert (result.created, result.skipped, result.rejected, result.rows) == (81, 1, 14, 96)
    with errors.open() as stream:
        lines = [int(row[0]) for row in list(csv.reader(stream))[1:]]
    assert lines == [2 + i for i in range(95) if i % 7 == 0]
    assert reports[-1] == (96, 1.0) and [done for done, _ in reports] == sorted(done for done, _ in reports)
    run = ImportRun.objects.get(pk=result.run_id)
    assert (run.state, run.batches_committed, run.rows_done) == ("done", 5, 96)


@pytest.mark.django_db
def test_an_unreadable_row_found_by_the_child_process_fails_the_import(tree, org, tmp_path, monkeypatch):
    monkeypatch.setattr(batches, "PIPELINE_MIN_BYTES", 0)
    rows = "".join(f"P{i},p{i}@example.org,elm-house\n" for i in range(50))
    path = write(tmp_path, "name,email,unit\n" + rows + "Huge," + "x" * 70_000 + ",elm-house\n")  # over MAX_LINE
    with pytest.raises(ImportFileError, match="line 52"):
        import_members(organization=org, path=path, by=BY, valid_rows=True, batch_size=20)
    run = ImportRun.objects.get()
    assert (run.state, run.batches_committed, run.rows_done) == ("failed", 2, 40)
    assert Person.objects.filter(organization=org, email__startswith="p").count() == 40


@pytest.mark.django_db
def test_export_reads_in_chunks_of_fixed_queries(tree, org, tmp_path, monkeypatch):
    """The export reads people a chunk at a time (by id), each chunk with its memberships, their
    units' slugs and the recruiters in a query each: the queries follow the chunks, not the people,
    and every person is written once, whichever chunk they fall in."""
    from django.test.utils import CaptureQueriesContext

    out = tmp_path / "out.csv"

    def export() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            count = export_members(organization=org, by=BY, path=out, unit=tree["elm"])
        return count, len(queries)

    monkeypatch.setattr(exporting, "EXPORT_CHUNK", 100)
    few, few_queries = export()
    builders.members(org, tree["elm"], 20)
    more, more_queries = export()
    assert more == few + 20 and more_queries == few_queries
    monkeypatch.setattr(exporting, "EXPORT_CHUNK", 4)  # six chunks and more
    count, _ = export()
    with out.open(encoding="utf-8-sig", newline="") as stream:
        names = [row["name"] for row in csv.DictReader(stream)]
    assert count == more == len(names) == len(set(names))
    assert set(names) == set(Person.objects.filter(unit_path=tree["elm"].path).values_list("name", flat=True))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="dead row versions and VACUUM are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_large_import_leaves_the_member_counts_vacuumed(tmp_path, monkeypatch):
    """Every batch adds to the same per-unit count rows, and on PostgreSQL each addition leaves a
    dead version that the path index's ranges visit until a vacuum: a large import ends with one
    (a transaction=True test: VACUUM cannot run inside a transaction, where it is skipped)."""
    from grassroots.imports import actions as import_actions

    monkeypatch.setattr(import_actions, "STATISTICS_AFTER_ROWS", 4)
    org = builders.organization()
    builders.federation(org)
    rows = "".join(f"Person {n},person{n}@example.org,elm-house\n" for n in range(6))
    result = import_members(organization=org, path=write(tmp_path, "name,email,unit\n" + rows), by=BY, batch_size=1)
    assert result.created == 6
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpages, relallvisible FROM pg_class WHERE relname = 'people_membercount'")
        pages, all_visible = cursor.fetchone()
        cursor.execute("SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'people_membercount'")
        (vacuumed,) = cursor.fetchone()
    assert pages > 0 and all_visible == pages and vacuumed

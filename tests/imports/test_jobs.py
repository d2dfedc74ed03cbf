"""Imports as background jobs, through the web pages and the API: upload, check, preview,
progress, import, errors file, export. The jobs run through the database backend's own claim and
run (`run_jobs`), as a `grassroots worker` would; test_workers.py runs real worker processes."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grassroots.accounts.actions import create_api_token
from grassroots.audit.models import AuditRecord
from grassroots.imports import jobs
from grassroots.imports.models import ImportRun
from grassroots.people.models import Person
from tests.support import builders
from tests.support.builders import run_jobs
from tests.support.sessions import sign_in

GOOD = "name,email,phone,unit,status\nAnna Lee,anna@example.org,07911 123456,elm-house,member\n"
MIXED = GOOD + "Bob Ray,not-an-email,,elm-house,member\nCleo Fox,cleo@example.org,,nowhere,member\n"


@pytest.fixture(autouse=True)
def imports_dir(settings, tmp_path):
    settings.IMPORTS_DIR = tmp_path / "imports"
    return settings.IMPORTS_DIR


def upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


@pytest.fixture
def admin_client(client, staff):
    return sign_in(client, staff)


# -- the web pages ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_upload_checks_then_imports_with_progress_and_errors_file(tree, org, staff, admin_client):
    page = admin_client.get(reverse("imports", args=[org.slug]))
    assert page.status_code == 200 and b"Upload and check" in page.content
    response = admin_client.post(
        reverse("imports", args=[org.slug]), {"file": upload("members.csv", MIXED), "on_duplicate": "skip"}
    )
    check = ImportRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("import_run", args=[org.slug, check.pk])
    assert (check.state, check.dry_run, check.requested_by) == ("queued", True, staff)

    # Queued: the page says so and polls its status block.
    waiting = admin_client.get(response.url)
    assert b"waiting for a worker" in waiting.content and b'hx-trigger="every 1s"' in waiting.content

    assert run_jobs() == 1
    check.refresh_from_db()
    assert (check.state, check.rows_done, check.created, check.rejected) == ("done", 3, 1, 2)
    assert Person.objects.filter(organization=org, email="anna@example.org").count() == 0  # a check writes nothing
    page = admin_client.get(response.url).content.decode()
    assert "2 rows would be rejected." in page
    assert "→ email" in page and "Anna Lee" in page  # the preview of the mapped columns
    assert "not-an-email" in page and "nowhere" in page  # the first rejected rows, with their values
    errors = admin_client.get(reverse("import_errors", args=[org.slug, check.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(errors.streaming_content).decode())))
    assert rows[0][:2] == ["line", "reason"]
    assert [(row[0], row[1].split(" ")[0]) for row in rows[1:]] == [("3", "email"), ("4", "unit")]

    # Import the valid rows: a second run of the same stored file.
    columns = {f"column_{index}": name for index, name in enumerate(name for _header, name in check.columns)}
    response = admin_client.post(
        reverse("import_again", args=[org.slug, check.pk]),
        {**columns, "action": "import", "on_duplicate": "skip", "valid_rows": "on"},
    )
    run = ImportRun.objects.exclude(pk=check.pk).get()
    assert response.url == reverse("import_run", args=[org.slug, run.pk]) and not run.dry_run
    assert run_jobs() == 1
    run.refresh_from_db()
    assert (run.state, run.created, run.rejected) == ("done", 1, 2)
    assert Person.objects.get(organization=org, email="anna@example.org").phone == "+447911123456"
    assert not jobs.stored_path(run).exists()  # imported: the uploaded file is not kept
    assert AuditRecord.objects.filter(action="people.import").count() == 1  # the import, not the check
    queued = AuditRecord.objects.filter(action="people.import.queued").order_by("id")
    assert [record.changes["check"][1] for record in queued] == [True, False]  # who asked for both
    assert all(record.actor_id == staff.pk for record in queued)
    status = admin_client.get(reverse("import_run", args=[org.slug, run.pk]), headers={"HX-Request": "true"})
    assert status["HX-Refresh"] == "true" and b'id="run-state">done' in status.content


@pytest.mark.django_db
def test_all_or_nothing_import_rejected_writes_nothing(tree, org, staff, admin_client):
    admin_client.post(
        reverse("imports", args=[org.slug]), {"file": upload("members.csv", MIXED), "on_duplicate": "skip"}
    )
    check = ImportRun.objects.get()
    run_jobs()
    again = jobs.rerun_import(check, by=staff, dry_run=False, valid_rows=False, on_duplicate="skip")
    run_jobs()
    again.refresh_from_db()
    assert (again.state, again.rejected) == ("rejected", 2)
    # Nothing was written, and the counts say so; what the valid row would have done is apart.
    assert (again.created, again.updated, again.would_create, again.would_update) == (0, 0, 1, 0)
    assert not Person.objects.filter(email="anna@example.org").exists()
    page = admin_client.get(reverse("import_run", args=[org.slug, again.pk])).content.decode()
    assert "nothing was imported" in page
    counts = " ".join(page.split('<dl class="facts" id="run-counts">')[1].split("</dl>")[0].split())
    assert "<dt>Created</dt><dd>0</dd>" in counts
    assert '<dt>Would have been created (nothing was written)</dt><dd id="run-would-create">1</dd>' in counts
    record = AuditRecord.objects.filter(action="people.import").latest("id")
    assert (record.changes["created"], record.changes["would_create"]) == ([None, 0], [None, 1])


@pytest.mark.django_db
def test_columns_not_recognised_are_mapped_on_the_page_and_checked_again(tree, org, staff, admin_client):
    text = "Member,Mail,Where\nAnna Lee,anna@example.org,elm-house\n"
    admin_client.post(reverse("imports", args=[org.slug]), {"file": upload("odd.csv", text), "on_duplicate": "skip"})
    check = ImportRun.objects.get()
    assert check.columns == [["Member", "ignore"], ["Mail", "email"], ["Where", "ignore"]]
    run_jobs()
    check.refresh_from_db()
    assert check.state == "failed" and check.error.startswith("no name column")
    page = admin_client.get(reverse("import_run", args=[org.slug, check.pk])).content.decode()
    assert "no name column" in page and 'name="column_0"' in page  # the mapping form, to say which

    admin_client.post(
        reverse("import_again", args=[org.slug, check.pk]),
        {"column_0": "name", "column_1": "ignore", "column_2": "unit", "action": "check", "on_duplicate": "skip"},
    )
    second = ImportRun.objects.exclude(pk=check.pk).get()
    assert second.dry_run and second.columns == [["Member", "name"], ["Mail", "ignore"], ["Where", "unit"]]
    run_jobs()
    second.refresh_from_db()
    assert (second.state, second.created, second.rejected) == ("done", 1, 0)
    # Importing with a mapping that still lacks a unit is refused at once, saying why.
    response = admin_client.post(
        reverse("import_again", args=[org.slug, second.pk]),
        {"column_0": "name", "column_1": "email", "column_2": "ignore", "action": "import", "on_duplicate": "skip"},
        follow=True,
    )
    assert "no unit column" in response.content.decode() and ImportRun.objects.count() == 2


@pytest.mark.django_db
def test_hostile_and_oversized_uploads_are_refused_by_name(tree, org, admin_client, settings):
    for name, content, message in [
        ("empty.csv", b"", b"The submitted file is empty"),
        ("header.csv", b"name,unit\n", b"no data rows"),
        ("junk.csv", bytes(range(256)) * 40, b"looks binary"),
    ]:
        page = admin_client.post(
            reverse("imports", args=[org.slug]), {"file": SimpleUploadedFile(name, content), "on_duplicate": "skip"}
        )
        assert page.status_code == 400 and message in page.content, name
    settings.GRASSROOTS_IMPORT_MAX_BYTES = 10
    page = admin_client.post(
        reverse("imports", args=[org.slug]), {"file": upload("big.csv", GOOD), "on_duplicate": "skip"}
    )
    assert page.status_code == 400 and b"over the limit" in page.content
    assert ImportRun.objects.count() == 0


@pytest.mark.django_db
def test_an_officer_imports_only_into_their_subtree_and_sees_only_their_imports(tree, org, staff, client):
    officer = builders.officer(org, tree["north"], "secretary", "sec@example.org", member_of=tree["elm"])
    sign_in(client, officer)
    text = "name,email,unit\nIn North,in@example.org,elm-house\nIn South,out@example.org,ash-tower\n"
    client.post(reverse("imports", args=[org.slug]), {"file": upload("m.csv", text), "on_duplicate": "skip"})
    run = ImportRun.objects.get()
    run_jobs()
    run.refresh_from_db()
    assert (run.created, run.rejected) == (1, 1)
    rows = list(csv.reader(jobs.errors_path(run).open()))
    # A unit outside the officer's scope reads as one that does not exist (issue 9).
    assert rows[1] == [
        "3",
        "unit 'ash-tower': no basic unit with this slug, name or path",
        "In South",
        "out@example.org",
        "ash-tower",
    ]
    # The administrator's import is not the officer's to see.
    theirs = jobs.stage_import(organization=org, upload=upload("a.csv", GOOD), by=staff)
    assert client.get(reverse("import_run", args=[org.slug, theirs.pk])).status_code == 404
    listed = client.get(reverse("imports", args=[org.slug])).content.decode()
    assert f"/imports/{run.pk}/" in listed and f"/imports/{theirs.pk}/" not in listed


@pytest.mark.django_db
def test_a_job_acts_with_the_rights_its_requester_has_when_it_runs(tree, org, staff):
    officer = builders.officer(org, tree["north"], "secretary", "sec@example.org", member_of=tree["elm"])
    run = jobs.stage_import(organization=org, upload=upload("m.csv", GOOD), by=officer, dry_run=False)
    tree["north"].posts.filter(person=officer.person).update(end=builders.APPOINTED)  # the post ends meanwhile
    run_jobs()
    run.refresh_from_db()
    assert (run.state, run.created, run.rejected) == ("rejected", 0, 1)


@pytest.mark.django_db
def test_export_download_csv_and_xlsx(tree, org, admin_client):
    builders.members(org, tree["elm"], 2)
    response = admin_client.get(reverse("members_export", args=[org.slug]), {"format": "csv"})
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:6] == ["id", "name", "email", "phone", "address", "unit"]
    assert len(rows) == 1 + Person.objects.filter(organization=org).count()
    numbers = set(Person.objects.filter(organization=org).values_list("pk", flat=True))
    assert {int(row[0]) for row in rows[1:]} == numbers
    response = admin_client.get(reverse("members_export", args=[org.slug]), {"format": "xlsx", "unit": "oak-court"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    units = {row[5] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert units == {"oak-court"}
    assert AuditRecord.objects.filter(action="people.export").count() == 2
    refused = admin_client.get(reverse("members_export", args=[org.slug]), {"unit": "nowhere"})
    assert refused.status_code == 400 and "no unit &#x27;nowhere&#x27; that you can see" in refused.content.decode()
    page = admin_client.get(reverse("members_export", args=[org.slug]), {"format": "pdf"})
    assert page.status_code == 400 and b"pdf is not one of the available choices" in page.content


# -- the API ------------------------------------------------------------------------------------


@pytest.fixture
def token(staff, org):
    _record, secret = create_api_token(user=staff, organization=org, by="test")
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.django_db
def test_api_starts_an_import_reports_its_status_and_errors(tree, org, client, token):
    response = client.post(
        f"/api/orgs/{org.slug}/imports",
        {"file": upload("members.csv", MIXED), "valid_rows": "true"},
        headers=token,
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["state"], body["dry_run"], body["valid_rows"], body["on_duplicate"]) == ("queued", False, True, "skip")
    run_jobs()
    status = client.get(f"/api/orgs/{org.slug}/imports/{body['id']}", headers=token).json()
    assert (status["state"], status["rows"], status["created"], status["rejected"], status["progress"]) == (
        "done",
        3,
        1,
        2,
        1.0,
    )
    assert status["columns"]["email"] == "email"
    assert (status["would_create"], status["would_update"]) == (0, 0)  # valid rows: what was written is said
    errors = client.get(f"/api/orgs/{org.slug}/imports/{body['id']}/errors", headers=token)
    assert errors.status_code == 200
    assert b"not-an-email" in b"".join(errors.streaming_content)
    listed = client.get(f"/api/orgs/{org.slug}/imports", headers=token).json()
    assert [run["id"] for run in listed["items"]] == [body["id"]]
    # The file is gone once imported: running it again is refused, saying why.
    again = client.post(
        f"/api/orgs/{org.slug}/imports/{body['id']}/again",
        {"dry_run": True},
        content_type="application/json",
        headers=token,
    )
    assert again.status_code == 409 and "no longer kept" in again.json()["detail"]


@pytest.mark.django_db
def test_api_check_then_import_again_with_a_mapping(tree, org, client, token):
    text = "Member,Email,Unit\nAnna Lee,anna@example.org,elm-house\n"
    refused = client.post(f"/api/orgs/{org.slug}/imports", {"file": upload("m.csv", text)}, headers=token)
    assert refused.status_code == 409 and refused.json()["detail"].startswith("file: no name column")
    assert refused.json()["field"] == "file"
    text = "Name,Email,Unit,Notes\nAnna Lee,anna@example.org,elm-house,x\n"
    check = client.post(
        f"/api/orgs/{org.slug}/imports", {"file": upload("m.csv", text), "dry_run": "true"}, headers=token
    )
    run_jobs()
    bad = client.post(
        f"/api/orgs/{org.slug}/imports/{check.json()['id']}/again",
        {"mapping": {"Notes": "shoe size"}},
        content_type="application/json",
        headers=token,
    )
    assert bad.status_code == 409 and "'shoe size' is not a field" in bad.json()["detail"]
    again = client.post(
        f"/api/orgs/{org.slug}/imports/{check.json()['id']}/again",
        {"mapping": {"Email": "ignore"}},
        content_type="application/json",
        headers=token,
    )
    assert again.status_code == 202 and again.json()["dry_run"] is False
    run_jobs()
    assert Person.objects.get(organization=org, name="Anna Lee").email == ""


@pytest.mark.django_db
def test_api_export_download(tree, org, client, token):
    builders.members(org, tree["elm"], 3)
    response = client.get(f"/api/orgs/{org.slug}/members/export", {"unit": "elm-house"}, headers=token)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 1 + Person.objects.filter(unit_path__startswith=tree["elm"].path).count()
    assert client.get(f"/api/orgs/{org.slug}/members/export", {"format": "pdf"}, headers=token).status_code == 422


# -- the sheet of a workbook, and what was read (issue 10) -----------------------------------


def two_sheet_workbook() -> SimpleUploadedFile:
    """An active sheet of last year's members and the sheet to import, both with recognised headers."""
    book = openpyxl.Workbook()
    book.active.title = "Last year"
    book.active.append(["Name", "Email", "Unit"])
    book.active.append(["Old Timer", "old@example.org", "elm-house"])
    members = book.create_sheet("Members")
    members.append(["Name", "Email", "Unit", "Joined"])
    members.append(["Ada Lee", "ada@example.org", "elm-house", "12/01/2024"])
    members.append(["Bo Ray", "bo@example.org", "elm-house", "01/13/2025"])
    stream = io.BytesIO()
    book.save(stream)
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return SimpleUploadedFile("book.xlsx", stream.getvalue(), content_type=kind)


@pytest.mark.django_db
def test_the_page_takes_a_sheet_and_shows_what_was_read(tree, org, admin_client):
    response = admin_client.post(
        reverse("imports", args=[org.slug]), {"file": two_sheet_workbook(), "sheet": "Members", "on_duplicate": "skip"}
    )
    check = ImportRun.objects.get()
    assert response.status_code == 302 and check.options["sheet"] == "Members"
    run_jobs()
    check.refresh_from_db()
    assert (check.state, check.created, check.rejected) == ("done", 2, 0)
    page = admin_client.get(response.url).content.decode()
    assert "How the file was read" in page
    assert '<th scope="row">Sheet</th><td>Members</td>' in page
    assert '<th scope="row">Dates in &#x27;Joined&#x27;</th><td>month first (line 3: 01/13/2025)</td>' in page
    assert "Ada Lee" in page and "Old Timer" not in page  # the preview is of the chosen sheet
    columns = {f"column_{index}": name for index, (_header, name) in enumerate(check.columns)}
    admin_client.post(
        reverse("import_again", args=[org.slug, check.pk]), {**columns, "action": "import", "on_duplicate": "skip"}
    )
    run_jobs()
    run = ImportRun.objects.exclude(pk=check.pk).get()
    assert (run.state, run.created, run.options["sheet"]) == ("done", 2, "Members")
    ada = Person.objects.get(organization=org, email="ada@example.org")
    assert ada.memberships.get().start.isoformat() == "2024-12-01"  # 12/01/2024, month first as its column
    assert not Person.objects.filter(organization=org, email="old@example.org").exists()
    refused = admin_client.post(
        reverse("imports", args=[org.slug]), {"file": two_sheet_workbook(), "sheet": "People", "on_duplicate": "skip"}
    )
    assert refused.status_code == 400
    assert "book.xlsx has no sheet &#x27;People&#x27; (its sheets: &#x27;Last year&#x27;, &#x27;Members&#x27;)" in (
        refused.content.decode()
    )


@pytest.mark.django_db
def test_the_api_takes_a_sheet_and_reports_what_was_read(tree, org, client, token):
    refused = client.post(
        f"/api/orgs/{org.slug}/imports", {"file": two_sheet_workbook(), "sheet": "People"}, headers=token
    )
    assert refused.status_code == 409
    assert refused.json()["detail"] == "file: book.xlsx has no sheet 'People' (its sheets: 'Last year', 'Members')"
    response = client.post(
        f"/api/orgs/{org.slug}/imports", {"file": two_sheet_workbook(), "sheet": "members"}, headers=token
    )
    assert response.status_code == 202, response.content
    assert (response.json()["sheet"], response.json()["read"]["sheet"]) == ("Members", "Members")
    run_jobs()
    status = client.get(f"/api/orgs/{org.slug}/imports/{response.json()['id']}", headers=token).json()
    assert (status["state"], status["created"]) == ("done", 2)
    assert status["read"] == {
        "format": "xlsx",
        "header_line": 1,
        "sheet": "Members",
        "dates": {
            "joined": {
                "column": "Joined",
                "order": "month first",
                "line": 3,
                "value": "01/13/2025",
                "because": "line 3: 01/13/2025",
            }
        },
    }


@pytest.mark.django_db
def test_api_import_of_a_workbook_rejects_error_and_uncomputed_formula_cells_naming_them(
    tree, org, client, token, tmp_path
):
    """A workbook as a spreadsheet program saves it (a formula whose saved value is an error) and
    as a program that computes nothing writes it (a formula with an empty value), through the API:
    only those rows are rejected under valid_rows, each naming its cell; a formula in a column not
    imported is ignored."""
    import re
    import zipfile

    path = tmp_path / "members.xlsx"
    book = openpyxl.Workbook()
    for row in [
        ["Name", "Email", "Unit", "Notes"],
        ["Anna Lee", "anna@example.org", "elm-house", "=1+1"],
        ["Bob Ray", "=VLOOKUP(A3,Z:Z,2,0)", "elm-house", ""],
        ["Cleo Fox", "cleo@example.org", "=B4", ""],
    ]:
        book.active.append(row)
    book.save(path)
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    # B3 as Excel saves a lookup that found nothing: the formula and its error value.
    sheet, count = re.subn(
        r'<c r="B3"[^>]*>(<f>[^<]*</f>)<v\s*/?>(</v>)?</c>', r'<c r="B3" t="e">\1<v>#N/A</v></c>', sheet
    )
    assert count == 1
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    xlsx = SimpleUploadedFile("members.xlsx", path.read_bytes(), content_type="application/octet-stream")
    response = client.post(f"/api/orgs/{org.slug}/imports", {"file": xlsx, "valid_rows": "true"}, headers=token)
    assert response.status_code == 202, response.content
    run_jobs()
    status = client.get(f"/api/orgs/{org.slug}/imports/{response.json()['id']}", headers=token).json()
    assert (status["state"], status["created"], status["rejected"]) == ("done", 1, 2)
    errors = client.get(f"/api/orgs/{org.slug}/imports/{response.json()['id']}/errors", headers=token)
    rows = list(csv.reader(io.StringIO(b"".join(errors.streaming_content).decode("utf-8-sig"))))
    assert [(row[0], row[1].split(" (")[0], row[2:5]) for row in rows[1:]] == [
        ("3", "Email '#N/A': cell B3 holds the spreadsheet error #N/A", ["Bob Ray", "#N/A", "elm-house"]),
        ("4", "Unit '=B4': cell C4 holds a formula with no saved value", ["Cleo Fox", "cleo@example.org", "#N/A"]),
    ]
    assert list(
        Person.objects.filter(organization=org, name__in=["Anna Lee", "Bob Ray", "Cleo Fox"]).values_list(
            "name", flat=True
        )
    ) == ["Anna Lee"]


@pytest.mark.django_db
def test_api_import_of_a_workbook_rejects_a_row_with_a_value_right_of_the_header(tree, org, client, token):
    book = openpyxl.Workbook()
    book.active.append(["Name", "Email", "Unit"])
    book.active.append(["X One", "x1@example.org", "elm-house"])
    book.active.append(["X Two", "x2@example.org", "elm-house", "stray note"])
    stream = io.BytesIO()
    book.save(stream)
    xlsx = SimpleUploadedFile("f.xlsx", stream.getvalue(), content_type="application/octet-stream")
    response = client.post(f"/api/orgs/{org.slug}/imports", {"file": xlsx, "dry_run": "true"}, headers=token)
    assert response.status_code == 202, response.content
    run_jobs()
    status = client.get(f"/api/orgs/{org.slug}/imports/{response.json()['id']}", headers=token).json()
    assert (status["state"], status["created"], status["rejected"]) == ("done", 1, 1), status
    errors = client.get(f"/api/orgs/{org.slug}/imports/{response.json()['id']}/errors", headers=token)
    rows = list(csv.reader(io.StringIO(b"".join(errors.streaming_content).decode("utf-8-sig"))))
    assert rows[1] == [
        "3",
        "cell D3 'stray note': the row has values in 4 columns, the header names 3: "
        "give column D a header in row 1, or remove the value",
        "X Two",
        "x2@example.org",
        "elm-house",
        "stray note",
    ]


@pytest.mark.django_db
def test_the_page_and_the_api_say_which_columns_were_left_out(tree, org, admin_client, client, token):
    content = b"Name,,Unit\nAl Pha,something,elm-house\nBo Ba,,elm-house\n"
    response = client.post(
        f"/api/orgs/{org.slug}/imports",
        {"file": SimpleUploadedFile("members.csv", content, content_type="text/csv")},
        headers=token,
    )
    assert response.status_code == 202, response.content
    run_jobs()
    status = client.get(f"/api/orgs/{org.slug}/imports/{response.json()['id']}", headers=token).json()
    assert status["read"]["ignored"] == [{"column": "B", "header": "", "reason": "no header", "values": 1}]
    page = admin_client.get(reverse("import_run", args=[org.slug, response.json()["id"]])).content.decode()
    assert '<th scope="row">Ignored</th><td>column B (no header, 1 value)</td>' in page


@pytest.mark.django_db
def test_a_running_all_or_nothing_import_shows_its_progress_in_the_lists(tree, org, client, token, admin_client):
    """An all-or-nothing import commits its counts only at its end; the lists (page and API) show
    the rows read and the fraction as of its last batch, as the run's own page does."""
    from django.utils import timezone

    from grassroots.imports.progress import write_progress

    run = ImportRun.objects.create(
        organization=org, file_name="big.csv", state=ImportRun.State.RUNNING, started_at=timezone.now()
    )
    write_progress(run.pk, rows_done=30000, progress=0.25, created=29990, rejected=0)
    listed = client.get(f"/api/orgs/{org.slug}/imports", headers=token).json()["items"]
    assert [(item["rows"], item["progress"], item["created"]) for item in listed] == [(30000, 0.25, 29990)]
    page = admin_client.get(reverse("imports", args=[org.slug])).content.decode()
    assert '<td class="num">30000</td>' in page


@pytest.mark.django_db
def test_an_all_or_nothing_import_reports_its_progress_batch_by_batch(tree, org, tmp_path, monkeypatch):
    """Rows read and the fraction of the file, written where other processes read them
    (`progress.read_progress`) after each batch, before the one transaction commits (here each
    batch takes a second, so none is held back)."""
    from grassroots.imports import progress as progress_file
    from grassroots.imports.actions import import_members
    from grassroots.imports.progress import read_progress

    seconds = iter(range(1000))
    monkeypatch.setattr(progress_file, "monotonic", lambda: float(next(seconds)))

    path = tmp_path / "members.csv"
    path.write_text("name,unit\n" + "".join(f"Person {i},elm-house\n" for i in range(7)), encoding="utf-8")
    seen = []

    def progress(report):
        run = ImportRun.objects.get(file_name="members.csv")
        seen.append((report.rows_done, read_progress(run.pk)["rows_done"], read_progress(run.pk)["created"]))

    result = import_members(organization=org, path=path, by="cli:test", batch_size=3, progress=progress)
    assert (result.created, result.written) == (7, True)
    assert seen == [(3, 3, 3), (6, 6, 6), (7, 7, 7)]


@pytest.mark.django_db
def test_the_page_and_the_api_take_the_encoding_of_a_csv_file(tree, org, client, token, admin_client):
    data = "name,email,unit\n山田太郎,taro@example.org,elm-house\n".encode("shift_jis")
    refused = admin_client.post(
        reverse("imports", args=[org.slug]), {"file": SimpleUploadedFile("jp.csv", data), "on_duplicate": "skip"}
    )
    assert refused.status_code == 400
    assert "its encoding cannot be told for certain: it reads as cp932 (&#x27;山田太郎," in refused.content.decode()
    response = admin_client.post(
        reverse("imports", args=[org.slug]),
        {"file": SimpleUploadedFile("jp.csv", data), "encoding": "shift_jis", "on_duplicate": "skip"},
    )
    assert response.status_code == 302
    run_jobs()
    check = ImportRun.objects.get()
    assert (check.state, check.created, check.read["encoding"], check.read["encoding_by"]) == (
        "done",
        1,
        "shift_jis",
        "given",
    )
    assert "山田太郎" in admin_client.get(response.url).content.decode()  # the preview reads the file as given
    body = client.post(
        f"/api/orgs/{org.slug}/imports",
        {"file": SimpleUploadedFile("jp.csv", data), "encoding": "shift_jis"},
        headers=token,
    ).json()
    run_jobs()
    assert Person.objects.get(organization=org, email="taro@example.org").name == "山田太郎"
    assert ImportRun.objects.get(pk=body["id"]).options["encoding"] == "shift_jis"


@pytest.mark.django_db
@pytest.mark.parametrize("valid_rows", [False, True])
def test_the_rows_read_are_reported_while_a_batch_is_read(tree, org, tmp_path, monkeypatch, valid_rows):
    """A file of 2,500 rows is one batch: every 1,000 rows read the progress says so (all or
    nothing as with valid rows), before the batch is decided and written."""
    from grassroots.imports import progress
    from grassroots.imports.actions import import_members

    written = []

    def write_progress(run_id, **values):
        written.append(values["rows_done"])

    monkeypatch.setattr(progress, "write_progress", write_progress)
    seconds = iter(range(1000))
    monkeypatch.setattr(progress, "monotonic", lambda: float(next(seconds)))
    path = tmp_path / "members.csv"
    path.write_text("name,unit\n" + "".join(f"Member {i},elm-house\n" for i in range(2500)), encoding="utf-8")
    result = import_members(organization=org, path=path, by="cli:test", valid_rows=valid_rows)
    assert result.created == 2500
    assert written == [1000, 2000, 2500]


@pytest.mark.django_db
@pytest.mark.parametrize("valid_rows", [False, True])
def test_the_progress_file_is_written_at_most_once_a_second_and_ends_with_the_last_counts(
    tree, org, tmp_path, monkeypatch, valid_rows
):
    """A small import read within a second writes its progress file twice, not every 1,000 rows
    (a replace costs milliseconds): the first report at once, and the counts of its end."""
    from grassroots.imports import progress
    from grassroots.imports.actions import import_members

    written = []
    real_write = progress.write_progress

    def write_progress(run_id, **values):
        written.append((values["rows_done"], values["created"]))
        real_write(run_id, **values)

    monkeypatch.setattr(progress, "write_progress", write_progress)
    monkeypatch.setattr(progress, "monotonic", lambda: 50.0)
    path = tmp_path / "members.csv"
    path.write_text("name,unit\n" + "".join(f"Member {i},elm-house\n" for i in range(3500)), encoding="utf-8")
    result = import_members(organization=org, path=path, by="cli:test", valid_rows=valid_rows, batch_size=1500)
    assert result.created == 3500
    assert written == [(1000, 0), (3500, 3500)]

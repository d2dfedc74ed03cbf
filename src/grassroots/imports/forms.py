"""Forms of the import pages: the upload, the next run of a stored file, and the export."""

from __future__ import annotations

from django import forms

from grassroots.web import ActionForm

from .columns import FIELDS, IGNORE
from .deciding import ON_CONFLICT, ON_DUPLICATE

ON_DUPLICATE_CHOICES = [
    ("skip", "Skip them (change nothing)"),
    ("update", "Update them with the file's values"),
    ("fill-empty", "Fill only their empty fields"),
]
assert [value for value, _ in ON_DUPLICATE_CHOICES] == list(ON_DUPLICATE)
ON_CONFLICT_CHOICES = [
    ("report", "Report them and write nothing for them"),
    ("create", "Record them as new people who share the contact"),
]
assert [value for value, _ in ON_CONFLICT_CHOICES] == list(ON_CONFLICT)
FIELD_CHOICES = [(IGNORE, "— not imported —"), *((name, name.replace("_", " ")) for name in FIELDS)]
FIELD_LABELS = dict(FIELD_CHOICES)


class ImportOptions(ActionForm):
    on_duplicate = forms.ChoiceField(
        label="People already known (same email, or same phone)", choices=ON_DUPLICATE_CHOICES, initial="skip"
    )
    on_conflict = forms.ChoiceField(
        label="Rows with a known person's email or phone but another name",
        choices=ON_CONFLICT_CHOICES,
        initial="report",
        required=False,
    )
    valid_rows = forms.BooleanField(
        label="Import the valid rows even if some are rejected (otherwise nothing is imported)", required=False
    )

    def clean_on_conflict(self) -> str:
        return self.cleaned_data["on_conflict"] or "report"


class UploadForm(ImportOptions):
    file = forms.FileField(label="Member file (CSV or XLSX)")
    sheet = forms.CharField(
        label="Sheet (XLSX; empty: the active one, or else the first whose headers are recognised)",
        required=False,
        max_length=200,
    )
    encoding = forms.CharField(
        label="Encoding (CSV; empty: decided on the file, which asks for it when it cannot tell)",
        required=False,
        max_length=40,
    )
    field_order = ["file", "sheet", "encoding", "on_duplicate", "on_conflict", "valid_rows"]


class RunAgainForm(ImportOptions):
    """The mapping of each column of the file, the options, and whether to import or check again."""

    action = forms.ChoiceField(choices=[("import", "Import"), ("check", "Check again")], widget=forms.HiddenInput)

    def __init__(self, *args, columns: list[list[str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = [header for header, _name in columns]
        for index, (header, name) in enumerate(columns):
            self.fields[f"column_{index}"] = forms.ChoiceField(label=header, choices=FIELD_CHOICES, initial=name)

    def mapping(self) -> dict[str, str]:
        return {header: self.cleaned_data[f"column_{index}"] for index, header in enumerate(self.headers)}

    def column_fields(self):
        return [self[f"column_{index}"] for index in range(len(self.headers))]


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[("csv", "CSV"), ("xlsx", "XLSX (Excel)")], initial="csv", required=False)
    unit = forms.CharField(
        label="Unit (its name or slug; empty for all you may export)", required=False, max_length=200
    )

"""The record of each member import: what was read, by whom, and how far it got."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ImportRun(models.Model):
    """One import of a member file. Written before the first row and updated with each committed
    batch, so after a crash it says how far the import got; counts only, never personal values."""

    class State(models.TextChoices):
        QUEUED = "queued"  # waiting for a worker (imports started from the web or the API)
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        REJECTED = "rejected"  # all or nothing, and some rows were rejected: nothing written
        INTERRUPTED = "interrupted"  # its process died; whole batches may have been committed

    FINISHED = (State.DONE, State.FAILED, State.REJECTED, State.INTERRUPTED)

    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="imports")
    actor_label = models.CharField(max_length=200)
    # Who asked for an import run as a job: the worker acts with their rights as they are then.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dry_run = models.BooleanField(default=False)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    options = models.JSONField(default=dict)
    # The uploaded file and the errors file of a job, relative to the data directory's imports folder.
    stored_file = models.CharField(max_length=255, blank=True)
    errors_file = models.CharField(max_length=255, blank=True)
    columns = models.JSONField(default=list)  # [header, field] for each column of the file ("ignore": none)
    # What was decided about the file as a whole: format, encoding, delimiter, sheet, header line,
    # each date column's day/month order and why (`reading.Table.what_was_read`, `dates.DateOrder`).
    read = models.JSONField(default=dict, blank=True)
    host = models.CharField(max_length=255, blank=True)  # where the importing process runs...
    pid = models.PositiveIntegerField(null=True, blank=True)  # ...and which one: to tell when it died
    state = models.CharField(max_length=12, choices=State.choices, default=State.RUNNING)
    error = models.TextField(blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(
        default=0, help_text="Rows whose email or phone is a known person's but whose name differs."
    )
    rejected = models.PositiveIntegerField(default=0)
    # All or nothing, refused for its rejected rows (state rejected): created and updated are 0,
    # and these say what its valid rows would have created and updated.
    would_create = models.PositiveIntegerField(default=0)
    would_update = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    batches_committed = models.PositiveIntegerField(default=0)
    progress = models.FloatField(default=0.0)  # fraction of the file read, at the last committed batch
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["organization", "sha256"]), models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"import of {self.file_name} ({self.state})"

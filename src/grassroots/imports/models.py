"""The record of each member import: what was read, by whom, and how far it got."""

from __future__ import annotations

from django.db import models


class ImportRun(models.Model):
    """One import of a member file. Written before the first row and updated with each committed
    batch, so after a crash it says how far the import got; counts only, never personal values."""

    class State(models.TextChoices):
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        REJECTED = "rejected"  # all or nothing, and some rows were rejected: nothing written

    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="imports")
    actor_label = models.CharField(max_length=200)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    options = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    error = models.TextField(blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    batches_committed = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["organization", "sha256"])]

    def __str__(self) -> str:
        return f"import of {self.file_name} ({self.state})"

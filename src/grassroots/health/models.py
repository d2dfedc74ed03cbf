"""Daily health snapshots: what each unit's health was on a day, kept so that trends and
roll-ups read one range of rows instead of replaying the records."""

from __future__ import annotations

from django.db import models


class HealthSnapshot(models.Model):
    """One unit's health on one day, written by the daily snapshot job (or a backfill) and never
    changed: a backfill deletes the organization's rows of a day and writes them again.

    `indicators` is the list of `{"indicator", "value", "threshold", "passed"}` of the unit's kind
    (rates as shares from 0 to 1). `members`: people counted as members that day (of the whole
    subtree, for a body above the basic level); `in_good_standing`: those of them in good standing
    under the constitution's standing rule (all of them with no rule). `present` and `expected`:
    the sums, over the meetings in the attendance window, of the members in good standing present
    and of those expected (0 and 0 when the kind measures no attendance), so that a roll-up
    weights each unit by its members instead of averaging rates. The unit's path is kept beside
    the row, as it stood that day, so a subtree's rows of a day are one index range.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="health_snapshots", db_index=False
    )
    unit = models.ForeignKey("organizations.Unit", on_delete=models.CASCADE, related_name="health_snapshots")
    on = models.DateField()
    path = models.CharField(max_length=255)
    kind = models.CharField(max_length=60)
    basic = models.BooleanField()
    consolidated = models.BooleanField()
    tier = models.PositiveSmallIntegerField(null=True)
    score = models.FloatField(null=True)
    members = models.IntegerField()
    in_good_standing = models.IntegerField()
    present = models.IntegerField()
    expected = models.IntegerField()
    indicators = models.JSONField(default=list)
    written_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "on"], name="one_health_snapshot_per_unit_day")]
        indexes = [models.Index(fields=["organization", "on", "path"], name="health_snapshot_day_path")]

    def __str__(self) -> str:
        return f"{self.unit_id} on {self.on}: tier {self.tier}"

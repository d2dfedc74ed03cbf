"""The audit trail: one append-only record per action, written by the action itself."""

from django.conf import settings
from django.db import models


class AppendOnly(Exception):
    """Raised on an attempt to change or delete an audit record: the trail is only ever appended to."""


class AuditRecordQuerySet(models.QuerySet["AuditRecord"]):
    def delete(self):
        raise AppendOnly("audit records are never deleted")


class AuditRecord(models.Model):
    """Who did what to which object, when, with the old and new values of what changed.

    Append-only: saving a record that already exists and deleting one both raise `AppendOnly`.
    The one rewrite allowed is erasure's (`people.actions.erase_person`), which removes what it
    erased from the records about the person with a set-based UPDATE.
    """

    organization = models.ForeignKey(
        "organizations.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "organizations.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The unit the record concerns, which scopes who may read it; none for the whole organization.",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200, help_text="Who acted, as shown: a user or 'cli:name'.")
    action = models.CharField(max_length=80, db_index=True)
    target_type = models.CharField(max_length=80)
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, help_text="{field: [old, new]} for what the action changed.")
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organization", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_label}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnly(f"audit record {self.pk} cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly(f"audit record {self.pk} cannot be deleted")

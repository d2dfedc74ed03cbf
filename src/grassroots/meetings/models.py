"""Meetings of a unit. Minimal for now: the founding meeting that founds a basic unit."""

from django.db import models


class Meeting(models.Model):
    """A meeting of a unit on a day, with who attended and its minutes."""

    class Kind(models.TextChoices):
        FOUNDING = "founding"
        REGULAR = "regular"

    unit = models.ForeignKey("organizations.Unit", on_delete=models.PROTECT, related_name="meetings")
    on = models.DateField()
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.REGULAR)
    attendees = models.ManyToManyField("people.Person", related_name="meetings_attended", blank=True)
    minutes = models.TextField(blank=True)

    class Meta:
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} meeting of {self.unit} on {self.on}"

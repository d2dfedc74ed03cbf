"""The outbox: the one way Grassroots sends mail. A mailing is one message for many people; a
delivery is one row per mailing and person, marked as it goes, so that a send survives any crash."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

# Replaced in each recipient's copy by their own one-click unsubscribe address.
UNSUBSCRIBE_MARK = "[[unsubscribe-url]]"


class Mailing(models.Model):
    """One message to many recipients (an issue of a bulletin, later a notice): the rendered
    subject and parts, the list it belongs to, and whether its sending is paused."""

    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")
    # What the message is, as "<app>.<model>:<pk>" (e.g. "bulletin.issue:12"): unique, so a source is queued once.
    source = models.CharField(max_length=100, unique=True)
    subject = models.CharField(max_length=300)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    # The RFC 2919 List-Id ("Bulletin <bulletin.federation.example.org>"), and the key that the
    # list's unsubscribe tokens are signed with.
    list_id = models.CharField(max_length=255, blank=True)
    list_key = models.CharField(max_length=100, blank=True)
    # Other editions of the message, for recipients who may read other parts of it (a bulletin's
    # members and subscribers): {"<variant>": {"text": ..., "html": ...}}. A delivery of a variant
    # not named here gets `text_body` and `html_body`.
    editions = models.JSONField(default=dict, blank=True)
    paused = models.BooleanField(default=False)
    # The last refusal or failure any worker met sending it, so a stalled send says why.
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.subject

    def parts_for(self, variant: int) -> tuple[str, str]:
        """The plain text and HTML of the edition a delivery of `variant` gets."""
        edition = self.editions.get(str(variant))
        if edition is None:
            return self.text_body, self.html_body
        return edition["text"], edition["html"]


class Delivery(models.Model):
    """One recipient of a mailing. queued -> sending -> sent, or failed, bounced, complained,
    skipped; a row left `sending` by a dead worker is queued again after a timeout."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"
        BOUNCED = "bounced"
        COMPLAINED = "complained"
        SKIPPED = "skipped"  # no address, or nothing they may read: kept so the report says who was not reached

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+", db_index=False)
    address = models.CharField(max_length=254)
    # Which edition of the mailing this recipient gets (`Mailing.parts_for`); 0 for the one message.
    variant = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    message_id = models.CharField(max_length=255, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mailing", "person"], name="one_delivery_per_mailing_and_person")
        ]
        indexes = [
            # Workers claim the queued rows of a mailing in order; the report counts per status.
            models.Index(fields=["mailing", "status", "id"], name="delivery_claim"),
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="delivery_in_flight"),
            models.Index(fields=["sent_at"], condition=Q(sent_at__isnull=False), name="delivery_sent_at"),
            # A bounce is matched to the message it returns by its Message-ID (only sent rows have one).
            models.Index(fields=["message_id"], condition=~Q(message_id=""), name="delivery_message_id"),
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.status})"


class MailAddress(models.Model):
    """What the outbox knows of an address from its bounces: a score (a hard bounce 1, a soft one
    0.5, at most one bounce counted a day) and, above the configured threshold, a hold: no mail
    goes to it until someone lifts it."""

    address = models.CharField(max_length=254, unique=True)
    score = models.DecimalField(max_digits=8, decimal_places=1, default=0)
    on_hold = models.BooleanField(default=False)
    last_counted_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return self.address


class Bounce(models.Model):
    """One bounce or complaint about an address, with the raw reason the server or provider gave."""

    class Kind(models.TextChoices):
        HARD = "hard"
        SOFT = "soft"
        COMPLAINT = "complaint"

    address = models.ForeignKey(MailAddress, on_delete=models.CASCADE, related_name="bounces")
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.TextField(blank=True)
    source = models.CharField(max_length=40, help_text="mbox, webhook:<provider>...")
    occurred_at = models.DateTimeField()
    counted = models.BooleanField(default=False, help_text="Whether it added to the address's score.")

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} bounce of {self.address}"

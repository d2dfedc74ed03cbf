"""The organ: publications of the organization or of a unit, their issues and articles, and who
subscribed to which (supporters by double opt-in; members receive it by their membership)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from grassroots.people.models import Person


class Publication(models.Model):
    """A bulletin or magazine of the organization (no unit) or of one unit (a district's newsletter),
    with what its mail looks like: colours and the footer with the publisher's address."""

    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("organizations.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    colour = models.CharField(max_length=7, default="#8b1e1e", help_text="Heading colour, as #rrggbb.")
    footer = models.TextField(blank=True, help_text="The publisher's name and postal address, under every mail.")
    consent_version = models.CharField(
        max_length=40, default="1", help_text="Version of the consent text supporters confirm to subscribe."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "slug"], name="one_publication_slug_per_org")]

    def __str__(self) -> str:
        return self.name

    @property
    def list_key(self) -> str:
        """What the outbox signs unsubscribe tokens with: this publication and no other."""
        return f"publication-{self.pk}"


class Issue(models.Model):
    """One numbered issue of a publication: draft -> scheduled -> sending -> sent, with its audience
    (a subtree and member statuses) fixed when it is sent."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        SCHEDULED = "scheduled"
        SENDING = "sending"
        SENT = "sent"

    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="issues")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    audience_unit = models.ForeignKey(
        "organizations.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    audience_statuses = models.JSONField(default=list)
    mailing = models.OneToOneField(
        "outbox.Mailing", null=True, blank=True, on_delete=models.PROTECT, related_name="issue"
    )
    scheduled_for = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["publication", "number"], name="one_issue_number_per_publication")
        ]

    def __str__(self) -> str:
        return f"{self.publication} no. {self.number}: {self.title}"

    @property
    def label(self) -> str:
        """How messages name the issue in every interface: "<publication> no. <number>"."""
        return f"{self.publication.name} no. {self.number}"


class Article(models.Model):
    """An article of an issue: Markdown, rendered to sanitized HTML once, when it is saved (the
    pages, feeds and mails read `body_html`); seen by everyone, by the organization's members, or
    by the members of one subtree."""

    class Visibility(models.TextChoices):
        PUBLIC = "public"
        MEMBERS = "members"
        SUBTREE = "subtree"

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="articles")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    author = models.CharField(max_length=200, blank=True)
    body = models.TextField(help_text="Markdown.")
    # `rendering.article_html(body)`, written by the actions with the body: a long body takes a
    # second or more to render, too long for every page view, feed and mail.
    body_html = models.TextField(blank=True, editable=False, help_text="The body as sanitized HTML.")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.MEMBERS)
    visibility_unit = models.ForeignKey(
        "organizations.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class Subscription(models.Model):
    """A person's subscription to a publication: unconfirmed until they confirm (double opt-in,
    recorded as a consent), or unsubscribed. Unsubscribing never touches a membership."""

    class State(models.TextChoices):
        UNCONFIRMED = "unconfirmed"
        CONFIRMED = "confirmed"
        UNSUBSCRIBED = "unsubscribed"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="subscriptions")
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="subscriptions")
    state = models.CharField(max_length=12, choices=State.choices)
    source = models.CharField(max_length=40, help_text="Where it came from: web form, import, one-click link...")
    consent = models.ForeignKey("people.Consent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    consent_version = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "person"], name="one_subscription_per_person_and_publication"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} to {self.publication}: {self.state}"


class FeedToken(models.Model):
    """The secret in the address of someone's members' feed of a publication: it shows them, as
    their rights are when the feed is read, what they may read in the archive. Stored as its
    SHA-256 digest; revoked, it answers nothing."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="feed_tokens")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"members' feed of {self.publication} for {self.user}"

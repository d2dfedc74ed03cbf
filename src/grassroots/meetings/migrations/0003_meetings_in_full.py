"""Meetings in full: the founding records written so far become held meetings of kind founding
that start at midnight of their day in the organization's zone (UTC until now), their attendees
present (recorded as from a paper sheet) and their minutes a first draft."""

import datetime as dt
import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def forward(apps, schema_editor):
    Meeting = apps.get_model("meetings", "Meeting")
    Attendance = apps.get_model("meetings", "Attendance")
    Minutes = apps.get_model("meetings", "Minutes")
    Through = Meeting.attendees.through
    now = timezone.now()
    for meeting in Meeting.objects.all().iterator():
        meeting.uid = uuid.uuid4()
        meeting.start = dt.datetime.combine(meeting.on, dt.time(0, 0), tzinfo=dt.UTC)
        meeting.time_zone = "UTC"
        meeting.status = "held"
        meeting.title = "Founding meeting" if meeting.kind == "founding" else "Meeting"
        meeting.save(update_fields=["uid", "start", "time_zone", "status", "title"])
        Attendance.objects.bulk_create(
            Attendance(
                meeting_id=meeting.pk,
                person_id=person_id,
                status="present",
                method="paper",
                recorded_by="migration",
                recorded_at=now,
            )
            for person_id in Through.objects.filter(meeting_id=meeting.pk).values_list("person_id", flat=True)
        )
        if meeting.minutes:
            Minutes.objects.create(
                meeting_id=meeting.pk, version=1, text=meeting.minutes, status="draft", written_by="migration"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0002_initial"),
        ("organizations", "0004_time_zones"),
        ("people", "0006_member_counts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="MeetingSeries",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("uid", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("kind", models.CharField(default="regular", max_length=40)),
                ("title", models.CharField(max_length=200)),
                (
                    "first_start",
                    models.DateTimeField(help_text="The first occurrence's start (its local time sets every one's)."),
                ),
                ("time_zone", models.CharField(max_length=60)),
                ("duration", models.PositiveIntegerField(default=120, help_text="Minutes.")),
                ("place", models.CharField(blank=True, max_length=500)),
                (
                    "place_visibility",
                    models.CharField(
                        choices=[("members", "Members"), ("officers", "Officers")], default="members", max_length=10
                    ),
                ),
                ("online_link", models.URLField(blank=True, max_length=500)),
                (
                    "rule",
                    models.CharField(help_text="RRULE value, e.g. FREQ=MONTHLY;BYDAY=2TU;COUNT=6.", max_length=300),
                ),
                (
                    "excluded",
                    models.JSONField(default=list, help_text="Local dates (YYYY-MM-DD) with no occurrence."),
                ),
                ("sequence", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "unit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="meeting_series",
                        to="organizations.unit",
                    ),
                ),
            ],
            options={"ordering": ["unit", "first_start"]},
        ),
        migrations.AddField(
            model_name="meeting", name="uid", field=models.UUIDField(null=True, editable=False)
        ),
        migrations.AddField(model_name="meeting", name="start", field=models.DateTimeField(null=True)),
        migrations.AddField(model_name="meeting", name="title", field=models.CharField(blank=True, max_length=200)),
        migrations.AddField(
            model_name="meeting", name="time_zone", field=models.CharField(default="UTC", max_length=60)
        ),
        migrations.AddField(
            model_name="meeting",
            name="duration",
            field=models.PositiveIntegerField(default=120, help_text="Minutes."),
        ),
        migrations.AddField(model_name="meeting", name="place", field=models.CharField(blank=True, max_length=500)),
        migrations.AddField(
            model_name="meeting",
            name="place_visibility",
            field=models.CharField(
                choices=[("members", "Members"), ("officers", "Officers")], default="members", max_length=10
            ),
        ),
        migrations.AddField(
            model_name="meeting", name="online_link", field=models.URLField(blank=True, max_length=500)
        ),
        migrations.AddField(
            model_name="meeting",
            name="status",
            field=models.CharField(
                choices=[
                    ("planned", "Planned"),
                    ("held", "Held"),
                    ("approved", "minutes approved"),
                    ("cancelled", "Cancelled"),
                ],
                default="planned",
                max_length=10,
            ),
        ),
        migrations.AddField(model_name="meeting", name="sequence", field=models.PositiveIntegerField(default=0)),
        migrations.AddField(
            model_name="meeting",
            name="series",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="occurrences",
                to="meetings.meetingseries",
            ),
        ),
        migrations.AddField(
            model_name="meeting",
            name="series_start",
            field=models.DateTimeField(
                blank=True,
                help_text="For an occurrence: the start the series gave it (its RECURRENCE-ID).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="meeting",
            name="changed",
            field=models.BooleanField(
                default=False,
                help_text="An occurrence changed on its own: editing the series leaves it as it is.",
            ),
        ),
        migrations.AddField(
            model_name="meeting",
            name="host_key",
            field=models.CharField(
                blank=True, help_text="Secret of the current host check-in link; empty: none.", max_length=40
            ),
        ),
        migrations.AddField(
            model_name="meeting",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="meeting", name="updated_at", field=models.DateTimeField(auto_now=True)
        ),
        migrations.AlterField(
            model_name="meeting",
            name="kind",
            field=models.CharField(default="regular", max_length=40),
        ),
        migrations.CreateModel(
            name="Attendance",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("invited", "Invited"),
                            ("registered", "Registered"),
                            ("excused", "Excused"),
                            ("present", "Present"),
                            ("absent", "Absent"),
                        ],
                        max_length=10,
                    ),
                ),
                ("arrived_at", models.DateTimeField(blank=True, null=True)),
                (
                    "method",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("host", "host check-in"),
                            ("qr", "QR scan"),
                            ("self", "self check-in"),
                            ("paper", "paper sheet"),
                            ("import", "Import"),
                        ],
                        max_length=10,
                    ),
                ),
                (
                    "guest",
                    models.BooleanField(default=False, help_text="Not a member of the unit: a walk-in, a supporter."),
                ),
                ("recorded_by", models.CharField(max_length=200)),
                ("recorded_at", models.DateTimeField()),
                ("code", models.CharField(blank=True, max_length=40, null=True, unique=True)),
                (
                    "meeting",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="attendance", to="meetings.meeting"
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="attendance", to="people.person"
                    ),
                ),
            ],
            options={
                "ordering": ["meeting", "person"],
                "indexes": [models.Index(fields=["person", "status"], name="attendance_person_status")],
                "constraints": [
                    models.UniqueConstraint(fields=("meeting", "person"), name="one_attendance_per_person")
                ],
            },
        ),
        migrations.CreateModel(
            name="AgendaItem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveIntegerField()),
                ("title", models.CharField(max_length=300)),
                ("is_open", models.BooleanField(default=True)),
                (
                    "carried_from",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="carried_to",
                        to="meetings.agendaitem",
                    ),
                ),
                (
                    "meeting",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="agenda", to="meetings.meeting"
                    ),
                ),
                (
                    "parent",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sub_items",
                        to="meetings.agendaitem",
                    ),
                ),
            ],
            options={"ordering": ["meeting", "position"]},
        ),
        migrations.CreateModel(
            name="Decision",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("text", models.TextField()),
                (
                    "outcome",
                    models.CharField(
                        choices=[("carried", "Carried"), ("failed", "Failed"), ("deferred", "Deferred")],
                        max_length=10,
                    ),
                ),
                ("yes", models.PositiveIntegerField(blank=True, null=True)),
                ("no", models.PositiveIntegerField(blank=True, null=True)),
                ("abstain", models.PositiveIntegerField(blank=True, null=True)),
                ("due", models.DateField(blank=True, null=True)),
                ("present", models.PositiveIntegerField()),
                ("required", models.PositiveIntegerField()),
                ("quorate", models.BooleanField()),
                ("recorded_at", models.DateTimeField(auto_now_add=True)),
                (
                    "agenda_item",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="decisions",
                        to="meetings.agendaitem",
                    ),
                ),
                (
                    "meeting",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="decisions", to="meetings.meeting"
                    ),
                ),
                (
                    "responsible",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="people.person",
                    ),
                ),
            ],
            options={"ordering": ["meeting", "id"]},
        ),
        migrations.CreateModel(
            name="Minutes",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.PositiveIntegerField()),
                ("text", models.TextField()),
                (
                    "status",
                    models.CharField(
                        choices=[("draft", "Draft"), ("approved", "Approved")], default="draft", max_length=10
                    ),
                ),
                ("written_by", models.CharField(max_length=200)),
                ("written_at", models.DateTimeField(auto_now_add=True)),
                (
                    "approved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="meetings.decision",
                    ),
                ),
                (
                    "meeting",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="minutes_versions",
                        to="meetings.meeting",
                    ),
                ),
            ],
            options={
                "ordering": ["meeting", "-version"],
                "constraints": [models.UniqueConstraint(fields=("meeting", "version"), name="one_minutes_per_version")],
            },
        ),
        migrations.CreateModel(
            name="FeedToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "scope",
                    models.CharField(
                        choices=[("unit", "Unit"), ("subtree", "Subtree"), ("mine", "Mine")], max_length=10
                    ),
                ),
                ("digest", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="organizations.organization",
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="feed_tokens",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "unit",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="organizations.unit",
                    ),
                ),
            ],
            options={"ordering": ["-created_at"]},
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
        migrations.RemoveField(model_name="meeting", name="attendees"),
        migrations.RemoveField(model_name="meeting", name="minutes"),
        migrations.RemoveField(model_name="meeting", name="on"),
        migrations.AlterField(
            model_name="meeting", name="uid", field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
        ),
        migrations.AlterField(model_name="meeting", name="start", field=models.DateTimeField()),
        migrations.AlterModelOptions(name="meeting", options={"ordering": ["-start", "-id"]}),
        migrations.AddIndex(model_name="meeting", index=models.Index(fields=["unit", "start"], name="meetings_me_unit_id_4958bb_idx")),
        migrations.AddConstraint(
            model_name="meeting",
            constraint=models.UniqueConstraint(
                condition=models.Q(("series__isnull", False)),
                fields=("series", "series_start"),
                name="one_occurrence_per_start",
            ),
        ),
    ]

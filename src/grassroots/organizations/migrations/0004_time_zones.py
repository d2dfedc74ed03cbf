from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0003_unit_path_bytewise"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="time_zone",
            field=models.CharField(
                default="UTC",
                help_text="IANA time zone of its meetings, unless a unit says otherwise.",
                max_length=60,
            ),
        ),
        migrations.AddField(
            model_name="unit",
            name="time_zone",
            field=models.CharField(
                blank=True,
                default="",
                help_text="IANA time zone of its meetings; empty: the organization's.",
                max_length=60,
            ),
        ),
    ]

"""The unit's path beside each kept member count, with a covering (path, status, members) index:
a subtree's members are then one index range, with no join to the units (the top body's total
read 37,000 count rows through the units table). On PostgreSQL the column compares bytes, as
`organizations_unit.path` does, so the range `[path, path + "~")` means the same on both."""

from django.db import migrations, models


def copy_unit_paths(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE people_membercount ALTER COLUMN path TYPE varchar(255) COLLATE "C"')
    schema_editor.execute(
        "UPDATE people_membercount SET path = "
        "(SELECT path FROM organizations_unit WHERE organizations_unit.id = people_membercount.unit_id)"
    )


class Migration(migrations.Migration):
    dependencies = [("organizations", "0003_unit_path_bytewise"), ("people", "0006_member_counts")]

    operations = [
        migrations.AddField(
            model_name="membercount",
            name="path",
            field=models.CharField(
                default="",
                help_text="The unit's path, kept with it (as a person's `unit_path` is): a subtree's counts are "
                "one range of the (path, status, members) index, read with no join to the units.",
                max_length=255,
            ),
        ),
        migrations.RunPython(copy_unit_paths, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="membercount",
            index=models.Index(fields=["path", "status", "members"], name="member_count_subtree"),
        ),
    ]

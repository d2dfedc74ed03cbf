"""Compare assignments' unit paths byte by byte on PostgreSQL, as the units' own paths are
(organizations 0003): the roll-up joins the two in range conditions, which need one collation."""

from django.db import migrations


def use_c_collation(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE directives_assignment ALTER COLUMN unit_path TYPE varchar(255) COLLATE "C"'
        )


class Migration(migrations.Migration):
    dependencies = [("directives", "0001_directives")]
    operations = [migrations.RunPython(use_c_collation, migrations.RunPython.noop)]

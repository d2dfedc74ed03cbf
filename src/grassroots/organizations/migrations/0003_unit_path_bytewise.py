"""Compare unit paths byte by byte on PostgreSQL, whatever the database's default collation.

Subtree queries are ranges `[path, path + "~")`; under a linguistic collation punctuation
may sort differently, so the column uses the "C" collation. SQLite already compares bytes.
"""

from django.db import migrations


def use_c_collation(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE organizations_unit ALTER COLUMN path TYPE varchar(255) COLLATE "C"')


class Migration(migrations.Migration):
    dependencies = [("organizations", "0002_initial")]
    operations = [migrations.RunPython(use_c_collation, migrations.RunPython.noop)]

"""The people's (organization, name) index with the id: a page in (name, id) order is then the
index read in order on PostgreSQL as on SQLite (whose index entries end with the row id), not
an incremental sort of each name's ties under a parallel scan."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('organizations', '0003_unit_path_bytewise'),
        ('people', '0007_member_count_paths'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='person',
            name='people_pers_organiz_dfaccb_idx',
        ),
        migrations.AddIndex(
            model_name='person',
            index=models.Index(fields=['organization', 'name', 'id'], name='person_org_name_id'),
        ),
    ]

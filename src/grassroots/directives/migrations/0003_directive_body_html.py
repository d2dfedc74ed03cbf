"""Keep each directive's body rendered to sanitized HTML beside its Markdown (as articles keep
theirs, bulletin 0003), and fill it for the directives already stored, with the one rendering
function (`bulletin/rendering.py`), in batches by primary key."""

from django.db import migrations, models

BATCH = 500  # bodies run to 100,000 characters: a batch holds at most about 100 MB of text and HTML


def render_bodies(apps, schema_editor):
    from grassroots.bulletin.rendering import article_html

    Directive = apps.get_model("directives", "Directive")
    last = 0
    while True:
        batch = list(Directive.objects.filter(pk__gt=last).order_by("pk").only("pk", "body")[:BATCH])
        if not batch:
            break
        last = batch[-1].pk
        for directive in batch:
            directive.body_html = article_html(directive.body)
        Directive.objects.bulk_update(batch, ["body_html"])


class Migration(migrations.Migration):
    dependencies = [("directives", "0002_assignment_path_bytewise")]
    operations = [
        migrations.AddField(
            model_name="directive",
            name="body_html",
            field=models.TextField(blank=True, editable=False, help_text="The body as sanitized HTML."),
        ),
        migrations.RunPython(render_bodies, migrations.RunPython.noop, elidable=True),
    ]

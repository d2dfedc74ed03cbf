"""Keep each article's body rendered to sanitized HTML beside its Markdown, and fill it for the
articles already stored, with the one rendering function (`bulletin/rendering.py`), in batches by
primary key."""

from django.db import migrations, models

BATCH = 200  # bodies run to 200,000 characters: a batch holds at most about 80 MB of text and HTML


def render_bodies(apps, schema_editor):
    from grassroots.bulletin.rendering import article_html

    Article = apps.get_model("bulletin", "Article")
    last = 0
    while True:
        batch = list(Article.objects.filter(pk__gt=last).order_by("pk").only("pk", "body")[:BATCH])
        if not batch:
            break
        last = batch[-1].pk
        for article in batch:
            article.body_html = article_html(article.body)
        Article.objects.bulk_update(batch, ["body_html"])


class Migration(migrations.Migration):
    dependencies = [("bulletin", "0002_members_feed_tokens")]
    operations = [
        migrations.AddField(
            model_name="article",
            name="body_html",
            field=models.TextField(blank=True, editable=False, help_text="The body as sanitized HTML."),
        ),
        migrations.RunPython(render_bodies, migrations.RunPython.noop, elidable=True),
    ]

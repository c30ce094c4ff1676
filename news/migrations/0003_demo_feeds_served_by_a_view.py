from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Replace

OLD_PATH = "/static/news/demo-feeds/"
NEW_PATH = "/news/demo-feeds/"


def point_demo_sources_at_the_view(apps, schema_editor):
    """Demo sources seeded before the demo feeds moved from static files to news.views."""
    feed_source_model = apps.get_model("news", "FeedSource")
    feed_source_model.objects.filter(url__contains=OLD_PATH).update(
        url=Replace("url", Value(OLD_PATH), Value(NEW_PATH)), etag="", last_modified=""
    )


class Migration(migrations.Migration):
    dependencies = [("news", "0002_article_search_document")]

    operations = [
        migrations.RunPython(point_demo_sources_at_the_view, migrations.RunPython.noop),
    ]

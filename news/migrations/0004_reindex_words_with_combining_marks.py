"""Articles indexed before combining marks joined their words (Hindi "दुनिया" was indexed as
one-letter pieces, which no query finds): their search documents written again. Only rows whose
title or summary holds a mark are read."""

from django.db import migrations
from django.db.models import Q

from core.textsearch import MARK_PATTERN, document_vector

BATCH = 500


def reindex_articles_with_marks(apps, schema_editor):
    article_model = apps.get_model("news", "Article")
    rows = article_model.objects.filter(
        Q(title__regex=MARK_PATTERN) | Q(summary__regex=MARK_PATTERN)
    )
    batch = []
    for article in rows.only("id", "title", "summary").iterator(chunk_size=BATCH):
        article.search_document = document_vector([(article.title, "A"), (article.summary, "B")])
        batch.append(article)
        if len(batch) == BATCH:
            article_model.objects.bulk_update(batch, ["search_document"])
            batch = []
    article_model.objects.bulk_update(batch, ["search_document"])


class Migration(migrations.Migration):
    dependencies = [("news", "0003_demo_feeds_served_by_a_view")]

    operations = [
        migrations.RunPython(reindex_articles_with_marks, migrations.RunPython.noop, elidable=True),
    ]

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations

from core.textsearch import document_vector


def index_existing_articles(apps, schema_editor):
    article_model = apps.get_model("news", "Article")
    batch = []
    for article in article_model.objects.only("id", "title", "summary").iterator(chunk_size=500):
        article.search_document = document_vector([(article.title, "A"), (article.summary, "B")])
        batch.append(article)
        if len(batch) == 500:
            article_model.objects.bulk_update(batch, ["search_document"])
            batch = []
    article_model.objects.bulk_update(batch, ["search_document"])


class Migration(migrations.Migration):
    dependencies = [
        ("news", "0001_initial"),
        ("stocks", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="search_document",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="article",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_document"], name="article_search_idx"
            ),
        ),
        migrations.RunPython(index_existing_articles, migrations.RunPython.noop),
    ]

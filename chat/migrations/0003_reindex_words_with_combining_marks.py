"""Messages indexed before combining marks joined their words (Hindi "दुनिया" was indexed as
one-letter pieces, which no query finds): their search documents written again. Only rows whose
content holds a mark are read."""

from django.db import migrations

from core.textsearch import MARK_PATTERN, document_vector

BATCH = 500


def reindex_messages_with_marks(apps, schema_editor):
    message_model = apps.get_model("chat", "Message")
    rows = message_model.objects.filter(deleted_at__isnull=True, content__regex=MARK_PATTERN)
    batch = []
    for message in rows.only("id", "content").iterator(chunk_size=BATCH):
        message.search_document = document_vector([(message.content, "A")])
        batch.append(message)
        if len(batch) == BATCH:
            message_model.objects.bulk_update(batch, ["search_document"])
            batch = []
    message_model.objects.bulk_update(batch, ["search_document"])


class Migration(migrations.Migration):
    dependencies = [("chat", "0002_message_image")]

    operations = [
        migrations.RunPython(reindex_messages_with_marks, migrations.RunPython.noop, elidable=True),
    ]

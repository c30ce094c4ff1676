from __future__ import annotations

from rest_framework import serializers

from news.models import Sentiment
from news.selectors import QUERY_MAX_CHARS
from news.validators import validate_listed_stock_code, validate_search_query


class NewsFilterSerializer(serializers.Serializer):
    # Blank values mean "no filter", as a form submitted with empty fields sends them.
    stock = serializers.CharField(
        required=False, allow_blank=True, max_length=6, validators=[validate_listed_stock_code],
        help_text="A 6-digit stock code: articles linked to that stock.",
    )  # fmt: skip
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=QUERY_MAX_CHARS,
        validators=[validate_search_query],
        help_text="Words in the title or summary, Korean or English; ranked by relevance.",
    )  # fmt: skip
    source = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    sentiment = serializers.ChoiceField(choices=Sentiment.choices, required=False, allow_blank=True)
    page = serializers.IntegerField(required=False, min_value=1, max_value=10_000, default=1)

    def validate(self, attrs: dict) -> dict:
        return {
            "stock": attrs.get("stock") or None,
            "q": attrs.get("q") or None,
            "source": attrs.get("source"),
            "sentiment": attrs.get("sentiment") or None,
            "page": attrs["page"],
        }


class LinkedStockSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_ko = serializers.CharField()
    name_en = serializers.CharField()


class SourceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ArticleOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    summary = serializers.CharField()
    url = serializers.URLField()
    source = SourceSerializer()
    language = serializers.CharField()
    published_at = serializers.DateTimeField()
    sentiment = serializers.ChoiceField(choices=Sentiment.choices, allow_null=True)
    sentiment_score = serializers.FloatField(allow_null=True)
    stocks = LinkedStockSerializer(many=True)


class ArticlePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ArticleOutputSerializer(many=True)

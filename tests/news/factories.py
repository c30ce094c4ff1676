from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from news import services
from news.models import Article, FeedSource, Language


class FeedSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeedSource

    name = factory.Sequence(lambda n: f"Test Wire {n}")
    url = factory.Sequence(lambda n: f"https://feeds.example/{n}.xml")
    language = Language.ENGLISH


class ArticleFactory(factory.django.DjangoModelFactory):
    """An article saved through the service, so its search document is written as in production.

    ``stocks=[...]`` links it to stocks.
    """

    class Meta:
        model = Article
        skip_postgeneration_save = True

    source = factory.SubFactory(FeedSourceFactory)
    url = factory.Sequence(lambda n: f"https://news.example/articles/{n}")
    title = factory.Sequence(lambda n: f"Market update {n}")
    summary = "Shares moved on the day."
    published_at = factory.Sequence(lambda n: timezone.now() - timedelta(minutes=n))
    language = Language.ENGLISH

    @classmethod
    def _create(cls, model_class: type[Article], *args, **kwargs) -> Article:  # noqa: ANN002, ANN003
        return services.article_save(article=model_class(*args, **kwargs))

    @factory.post_generation
    def stocks(self, create: bool, extracted, **kwargs) -> None:  # noqa: ANN001, ANN003
        if create and extracted:
            self.stocks.add(*extracted)

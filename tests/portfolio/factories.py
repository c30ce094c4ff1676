from __future__ import annotations

import factory

from portfolio.models import Portfolio
from tests.accounts.factories import UserFactory


class PortfolioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Portfolio

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Portfolio {n}")

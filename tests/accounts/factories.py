import factory

from accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"investor{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    # Hashed before the one INSERT: a set_password() and second save would count as a password
    # change, whose after-commit "close this user's sockets" could reach a socket the test opens
    # right after (a flaky close in tests/chat).
    password = factory.django.Password("correct horse battery staple")

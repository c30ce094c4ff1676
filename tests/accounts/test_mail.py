"""E-mail (issue 17, item 2): configured from the environment, sent after commit by a real Celery
worker on the `default` queue, retried when the SMTP server fails, in the user's language."""

from __future__ import annotations

import contextlib
import email
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.html import escape

from accounts.mail import mail_send_after_commit
from config.celery import app as celery_app
from config.env import email_settings

PASSWORD = "smtp-pw-never-logged"  # noqa: S105 - the fake server's, to look for in the logs
ROOT = Path(__file__).resolve().parents[2]
# A link with "&": plain text must show it as is, HTML escaped.
VERIFY = {"link": "https://insightstock.example/verify/abc123?lang=ko&next=/", "code": "493021"}
SMTP = "django.core.mail.backends.smtp.EmailBackend"
FILES = "django.core.mail.backends.filebased.EmailBackend"


# --- configuration ------------------------------------------------------------------------------


def test_nothing_configured_writes_mail_as_files_under_the_var_dir(tmp_path):
    config = email_settings({}, var_dir=tmp_path)

    assert config["EMAIL_BACKEND"] == FILES
    assert config["EMAIL_FILE_PATH"] == str(tmp_path / "mail")
    assert config["EMAIL_CONFIGURED"] is False
    assert config["EMAIL_TIMEOUT"] == 10  # a hung server never holds a worker for ever


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://user:p%40ss@mail.example:2525/?tls=true&timeout=5",
            {"EMAIL_BACKEND": SMTP, "EMAIL_HOST": "mail.example", "EMAIL_PORT": 2525,
             "EMAIL_HOST_USER": "user", "EMAIL_HOST_PASSWORD": "p@ss", "EMAIL_USE_TLS": True,
             "EMAIL_USE_SSL": False, "EMAIL_TIMEOUT": 5.0},
        ),
        (  # django-environ's meaning: smtps is STARTTLS, on the submission port by default
            "smtps://user:pw@mail.example",
            {"EMAIL_BACKEND": SMTP, "EMAIL_PORT": 587, "EMAIL_USE_TLS": True,
             "EMAIL_USE_SSL": False},
        ),
        (
            "smtp+ssl://user:pw@mail.example",
            {"EMAIL_BACKEND": SMTP, "EMAIL_PORT": 465, "EMAIL_USE_TLS": False,
             "EMAIL_USE_SSL": True},
        ),
        ("filemail:///srv/insightstock/mail", {"EMAIL_BACKEND": FILES,
                                               "EMAIL_FILE_PATH": "/srv/insightstock/mail"}),
        ("consolemail://", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
    ],
)  # fmt: skip
def test_email_url_sets_the_backend_and_its_options(url, expected, tmp_path):
    config = email_settings({"EMAIL_URL": url}, var_dir=tmp_path)

    assert {key: config[key] for key in expected} == expected
    assert config["EMAIL_CONFIGURED"] is True


def test_the_usual_email_variables_configure_smtp(tmp_path):
    variables = {
        "EMAIL_HOST": "relay.example",
        "EMAIL_PORT": "2587",
        "EMAIL_HOST_USER": "u",
        "EMAIL_HOST_PASSWORD": "pw",
        "EMAIL_USE_TLS": "true",
        "EMAIL_TIMEOUT": "3",
    }

    config = email_settings(variables, var_dir=tmp_path)

    assert config["EMAIL_BACKEND"] == SMTP
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"], config["EMAIL_USE_TLS"]) == (
        "relay.example", 2587, True,
    )  # fmt: skip
    assert (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"], config["EMAIL_TIMEOUT"]) == (
        "u", "pw", 3.0,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"EMAIL_URL": "smtp://h/?tsl=true"}, "unknown option"),  # a typo must not send in clear
        ({"EMAIL_URL": "smtp://h/?tls=true&ssl=true"}, "exclusive"),
        ({"EMAIL_URL": "gopher://h"}, "Invalid email schema"),
    ],
)
def test_a_wrong_email_configuration_fails_at_start_up(variables, message, tmp_path):
    with pytest.raises(ImproperlyConfigured, match=message):
        email_settings(variables, var_dir=tmp_path)


# --- sending --------------------------------------------------------------------------------------


@pytest.fixture
def worker() -> Iterator[None]:
    """A real Celery worker (in a thread) consuming only the `default` queue, where mail goes;
    one thread, so messages are sent in the order they were queued."""
    celery_app.control.purge()  # nothing an earlier test queued without a worker
    with start_worker(celery_app, queues=["default"], perform_ping_check=False,
                      shutdown_timeout=20, pool="threads", concurrency=1):  # fmt: skip
        yield


def _mail_files(directory: Path, count: int) -> list[EmailMessage]:
    """Wait for ``count`` messages from the file backend and parse them (one per file). The file
    exists from the backend's open(): a message is whole once its closing line of 79 dashes is
    written."""
    separator = b"-" * 79 + b"\n"
    deadline = time.monotonic() + 30
    while True:
        written = [path.read_bytes() for path in sorted(directory.glob("*.log"))]
        if len(written) >= count and all(data.endswith(separator) for data in written):
            break
        assert time.monotonic() < deadline, f"{len(written)} of {count} messages written"
        time.sleep(0.1)
    return [
        email.message_from_bytes(data.removesuffix(separator), policy=default_policy)
        for data in written
    ]


@pytest.fixture
def mail_dir(settings, tmp_path) -> Path:
    settings.EMAIL_BACKEND = FILES
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.DEFAULT_FROM_EMAIL = "InsightStock <noreply@insightstock.example>"
    return tmp_path / "mail"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("language", "subject", "sentence"),
    [
        ("ko", "InsightStock 인증 코드: 493021",
         "아래 링크를 열어 InsightStock 이메일 주소를 인증하세요."),
        ("en", "InsightStock: your confirmation code is 493021",
         "Confirm your e-mail address for InsightStock by opening this link:"),
    ],
)  # fmt: skip
def test_mail_queued_in_a_committed_transaction_is_written_once_in_the_users_language(
    worker,
    mail_dir,
    language,
    subject,
    sentence,
):
    with transaction.atomic():
        mail_send_after_commit(to="min@example.com", template="email_verify", context=VERIFY,
                               language=language)  # fmt: skip

    [message] = _mail_files(mail_dir, 1)
    assert message["Subject"] == subject
    assert message["To"] == "min@example.com"
    assert message["From"] == "InsightStock <noreply@insightstock.example>"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert sentence in body
        assert VERIFY["code"] in body
    assert f"\n{VERIFY['link']}\n" in text
    assert f'<a href="{escape(VERIFY["link"])}">' in html
    assert f'<html lang="{language}">' in html


@pytest.mark.django_db(transaction=True)
def test_mail_of_a_rolled_back_transaction_is_never_sent(worker, mail_dir):
    with contextlib.suppress(RuntimeError), transaction.atomic():
        mail_send_after_commit(to="lost@example.com", template="email_verify", context=VERIFY,
                               language="en")  # fmt: skip
        raise RuntimeError("the sign-up failed")
    # A committed message queued after it: the worker sends in order, so once this one is
    # written, the other would have been too.
    with transaction.atomic():
        mail_send_after_commit(to="kept@example.com", template="email_verify", context=VERIFY,
                               language="en")  # fmt: skip

    assert [m["To"] for m in _mail_files(mail_dir, 1)] == ["kept@example.com"]


def test_unknown_language_falls_back_to_korean_and_a_missing_template_fails_the_caller(db):
    from django.template import TemplateDoesNotExist

    from accounts.mail import mail_render

    message = mail_render(to="a@example.com", template="email_verify", context=VERIFY,
                          language="xx")  # fmt: skip
    assert message.subject == "InsightStock 인증 코드: 493021"
    with pytest.raises(TemplateDoesNotExist), transaction.atomic():
        mail_send_after_commit(to="a@example.com", template="no_such", context={}, language="en")


class FailingSmtpServer:
    """An SMTP server outside our walls that greets every connection with ``reply`` and hangs
    up; counts the connections."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.connections = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):  # closed by close()
            while True:
                conn, _addr = self.sock.accept()
                self.connections += 1
                with conn:
                    conn.sendall(self.reply)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def smtp_settings(settings) -> Iterator[object]:
    settings.EMAIL_BACKEND = SMTP
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_HOST_USER = "insightstock"
    settings.EMAIL_HOST_PASSWORD = PASSWORD
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_SEND_RETRIES = 2
    settings.EMAIL_RETRY_BACKOFF_SECONDS = 0.05
    yield settings


class Records(logging.Handler):
    """Every log record of the process, the worker thread's included."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        return "\n".join(self.format(record) for record in self.records)

    def wait_for_error(self) -> list[logging.LogRecord]:
        deadline = time.monotonic() + 30
        while not (errors := [r for r in self.records if r.name == "accounts.tasks"
                              and r.levelno == logging.ERROR]):  # fmt: skip
            assert time.monotonic() < deadline, "the failed send was never logged"
            time.sleep(0.1)
        return errors


@pytest.fixture
def logs() -> Iterator[Records]:
    """Attached to the root logger once the worker runs (a starting worker replaces the root's
    handlers, pytest's capture included)."""
    handler = Records()
    root = logging.getLogger()
    saved_level = root.level
    yield handler
    root.removeHandler(handler)
    root.setLevel(saved_level)


def _start(logs: Records) -> None:
    logging.getLogger().addHandler(logs)
    logging.getLogger().setLevel(logging.DEBUG)


@pytest.mark.django_db(transaction=True)
def test_a_failing_smtp_server_is_retried_then_the_loss_is_logged_once_without_secrets(
    worker,
    smtp_settings,
    logs,
):
    server = FailingSmtpServer(b"421 mail.example busy, try later\r\n")
    smtp_settings.EMAIL_PORT = server.port
    _start(logs)

    with transaction.atomic():
        mail_send_after_commit(to="min@example.com", template="email_verify", context=VERIFY,
                               language="ko")  # fmt: skip

    [error] = logs.wait_for_error()
    assert server.connections == 3  # the first attempt and EMAIL_SEND_RETRIES more
    assert error.getMessage() == (
        "mail 'email_verify' not sent after 3 attempt(s): "
        "SMTPConnectError: (421, b'mail.example busy, try later')"
    )
    # The messages, and what the records carry for structured logging (Celery's task kwargs).
    logged = logs.text() + repr([record.__dict__ for record in logs.records])
    assert "retrying" in logged  # the retries were logged too: the check below has text to read
    for secret in (PASSWORD, VERIFY["code"], VERIFY["link"]):
        assert secret not in logged
    server.close()


@pytest.mark.django_db(transaction=True)
def test_a_permanent_smtp_refusal_is_not_retried(worker, smtp_settings, logs):
    server = FailingSmtpServer(b"554 no service for you\r\n")
    smtp_settings.EMAIL_PORT = server.port
    _start(logs)

    with transaction.atomic():
        mail_send_after_commit(to="min@example.com", template="email_verify", context=VERIFY,
                               language="en")  # fmt: skip

    [error] = logs.wait_for_error()
    assert "not sent after 1 attempt(s)" in error.getMessage()
    assert server.connections == 1
    server.close()


@pytest.fixture
def broker_unreachable(monkeypatch) -> Iterator[None]:
    """Celery publishes to a port nothing listens on, as when Redis is down (Celery reads
    CELERY_BROKER_WRITE_URL from the environment before its settings)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("CELERY_BROKER_WRITE_URL", f"redis://127.0.0.1:{closed_port}/0")
    _producers_forget()
    yield
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL")
    _producers_forget()


def _producers_forget() -> None:
    """Drop Celery's pooled broker connections, so the next publish connects to the URL now set."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_broker_loses_the_mail_not_the_request(broker_unreachable, caplog):
    from accounts.models import User

    with transaction.atomic():
        User.objects.create_user(username="signup", password="x")  # noqa: S106
        mail_send_after_commit(to="min@example.com", template="email_verify", context=VERIFY,
                               language="en")  # fmt: skip

    assert User.objects.filter(username="signup").exists()
    [error] = [r for r in caplog.records if r.name == "accounts.mail"]
    assert error.levelno == logging.ERROR
    assert error.getMessage() == "mail 'email_verify' could not be queued: OperationalError"
    assert "min@example.com" not in caplog.text


def _production_settings(**variables: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 50,
        "DATABASE_URL": "postgresql://u@localhost/db",
        "REDIS_URL": "redis://localhost:1/0",
        **variables,
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; print(s.EMAIL_HOST)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


def test_production_refuses_to_start_without_a_mail_configuration_or_a_sender():
    unconfigured = _production_settings(DEFAULT_FROM_EMAIL="InsightStock <noreply@example.com>")
    assert unconfigured.returncode != 0
    assert "Set EMAIL_URL" in unconfigured.stderr
    no_sender = _production_settings(EMAIL_HOST="relay.example")
    assert no_sender.returncode != 0
    assert "Set the DEFAULT_FROM_EMAIL environment variable" in no_sender.stderr

    configured = _production_settings(
        EMAIL_URL="smtp+ssl://u:pw@relay.example", DEFAULT_FROM_EMAIL="noreply@example.com"
    )
    assert configured.returncode == 0, configured.stderr
    assert configured.stdout.strip() == "relay.example"

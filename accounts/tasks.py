"""The accounts app's work on Celery: sending e-mail (accounts/mail.py) on the `default` queue."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from accounts.mail import mail_kwargsrepr, mail_render

logger = logging.getLogger(__name__)

# A refused connection, a timeout or a 4xx reply may pass; a 5xx reply (bad credentials, a
# refused recipient) will not, so it is not retried.
RETRYABLE = (OSError, smtplib.SMTPException)


def _permanent(exc: BaseException) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and code >= 500


@shared_task(
    name="accounts.send_mail",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # counted against EMAIL_SEND_RETRIES below, read when the task runs
)
def send_mail(self: Task, *, to: str, template: str, context: dict[str, Any], language: str) -> str:
    """Render ``template`` in ``language`` and send it; a failed send is tried again with
    exponential back-off, then logged once. Never raises: the caller's request is long done."""
    message = mail_render(to=to, template=template, context=context, language=language)
    try:
        message.send()
    except RETRYABLE as exc:
        attempt = self.request.retries + 1
        # The exception's class and the server's reply only: never the settings or the context
        # (credentials, a sign-in link).
        reason = f"{type(exc).__name__}: {exc}"
        if _permanent(exc) or attempt > settings.EMAIL_SEND_RETRIES:
            logger.error("mail %r not sent after %d attempt(s): %s", template, attempt, reason)
            return "failed"
        countdown = min(3600.0, settings.EMAIL_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1))
        logger.warning("mail %r attempt %d failed, retrying in %ss: %s", template, attempt,
                       countdown, reason)  # fmt: skip
        # A retry is a new message: it must hide its kwargs from the logs as the first one did.
        kwargsrepr = mail_kwargsrepr(template, language)
        raise self.retry(countdown=countdown, kwargsrepr=kwargsrepr) from None
    return "sent"

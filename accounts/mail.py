"""E-mail to people (issue 17): rendered in their language and sent after commit by a Celery task.

`mail_send_after_commit` is what flows (sign-up, password reset) call inside their transaction;
the `accounts.send_mail` task (accounts/tasks.py) renders and sends it on the `default` queue,
retrying failed sends. Templates: ``accounts/email/<template>_subject.txt``, ``<template>.txt``
and, when present, ``<template>.html``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


def mail_language(language: str) -> str:
    """One of the site's languages (a user's stored choice may be stale): Korean by default."""
    codes = {code for code, _name in settings.LANGUAGES}
    return language if language in codes else settings.LANGUAGE_CODE


def mail_kwargsrepr(template: str, language: str) -> str:
    """What Celery's logs and events show of the task's kwargs: no address, no link or code."""
    return repr({"template": template, "language": language})


def mail_render(
    *, to: str, template: str, context: dict[str, Any], language: str
) -> EmailMultiAlternatives:
    """The message for ``template`` in ``language``: subject, text body and optional HTML."""
    base = f"accounts/email/{template}"
    with translation.override(mail_language(language)):
        # A subject is one line: a template's trailing newline would become a header break.
        subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
        body = render_to_string(f"{base}.txt", context)
        try:
            html = get_template(f"{base}.html").render(context)
        except TemplateDoesNotExist:
            html = None
    message = EmailMultiAlternatives(subject=subject, body=body, to=[to])
    if html is not None:
        message.attach_alternative(html, "text/html")
    return message


def mail_send_after_commit(
    *, to: str, template: str, context: dict[str, Any], language: str
) -> None:
    """Send ``template`` to ``to`` once the current transaction commits (nothing if it rolls
    back). ``context`` must be JSON-serialisable: the task renders it in the worker.

    The templates are rendered now as well, so a missing one fails the caller's tests rather
    than a worker later. A broker that cannot be reached is logged: the request still succeeds.
    """
    mail_render(to=to, template=template, context=context, language=language)
    kwargs = {"to": to, "template": template, "context": context, "language": language}

    def send() -> None:
        from accounts.tasks import send_mail

        try:
            send_mail.apply_async(
                kwargs=kwargs, kwargsrepr=mail_kwargsrepr(template, language), queue="default"
            )
        except Exception as exc:  # noqa: BLE001 - an unreachable broker loses the mail, not the request
            # Neither the address nor the context (a sign-in link or code) is logged.
            logger.error("mail %r could not be queued: %s", template, type(exc).__name__)

    transaction.on_commit(send)

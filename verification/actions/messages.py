"""Every SMS and email of the portal leaves through `queue_message`: the text is rendered now
(in the request), stored encrypted, and a Celery task delivers it once the transaction commits."""

import logging
from datetime import datetime

from django.db import transaction
from django.template import Context
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import translation

from verification.models import Channel, OutboundMessage
from verification.tasks import deliver_message_task

logger = logging.getLogger(__name__)

MASK = "••••••"


def _render(template: str, part: str, context: dict, *, required: bool = True) -> str:
    try:
        loaded = get_template(f"{template}_{part}")
    except TemplateDoesNotExist:
        if required:
            raise
        return ""
    if part.endswith(".txt"):
        # Plain text is not HTML: a phone named "Asha's phone" is written as it is.
        return loaded.template.render(Context(context, autoescape=False)).strip()  # type: ignore[attr-defined]
    return loaded.render(context).strip()


def queue_message(
    *,
    channel: str,
    to: str,
    template: str,
    language: str,
    context: dict | None = None,
    secrets_: dict | None = None,
    expires_at: datetime | None = None,
    withhold: bool = False,
) -> OutboundMessage:
    """Render and queue one message; deliver it after the surrounding transaction commits.

    `template` names `templates/<template>_{subject.txt,body.txt,body.html}`, rendered in
    `language` (the person's, not necessarily the page's: a notice may be set off by staff);
    `secrets_` are context values (codes) that only the encrypted copy carries: the preview
    shows them masked. A message to `withhold` goes through every step, its task included,
    and is never sent: the caller's answer takes the same time as when it is sent.
    """
    with translation.override(language):
        return _queue(
            channel=channel,
            to=to,
            template=template,
            context=context,
            secrets_=secrets_,
            expires_at=expires_at,
            withhold=withhold,
        )


def _queue(
    *,
    channel: str,
    to: str,
    template: str,
    context: dict | None,
    secrets_: dict | None,
    expires_at: datetime | None,
    withhold: bool = False,
) -> OutboundMessage:
    context = dict(context or {})
    secret_context = context | (secrets_ or {})
    masked_context = context | {key: MASK for key in (secrets_ or {})}
    body = _render(template, "body.txt", secret_context)
    html = ""
    subject = ""
    if channel == Channel.EMAIL:
        subject = _render(template, "subject.txt", secret_context)
        html = _render(template, "body.html", secret_context, required=False)
    message = OutboundMessage(
        channel=channel,
        kind=template.rsplit("/", 1)[-1],
        to=to,
        subject=subject,
        preview=_render(template, "body.txt", masked_context),
        expires_at=expires_at,
    )
    return _store_and_enqueue(message, body=body, html=html, withhold=withhold)


def queue_rendered_email(
    *, to: str, kind: str, subject: str, body: str, html: str
) -> OutboundMessage:
    """Queue an email rendered elsewhere (allauth's mails). Its preview shows only the subject."""
    message = OutboundMessage(
        channel=Channel.EMAIL, kind=kind, to=to, subject=subject, preview=f"[{kind}] {subject}"
    )
    return _store_and_enqueue(message, body=body, html=html)


def _store_and_enqueue(
    message: OutboundMessage, *, body: str, html: str, withhold: bool = False
) -> OutboundMessage:
    message.set_content(body=body, html=html)
    if withhold:
        # Encrypted all the same, kept not at all; its task finds nothing to send.
        message.status = OutboundMessage.Status.WITHHELD
        message.encrypted_content = ""
    message.save()
    transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def _enqueue(message_id: int) -> None:
    try:
        deliver_message_task.delay(message_id)
    except Exception:
        # The broker is down: the row stays queued and `requeue_stuck_messages` sends it later.
        logger.exception("could not enqueue message %s; it stays queued", message_id)

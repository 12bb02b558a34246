"""Notify users in their inbox and by email.

Emails are written to the outbox inside the caller's transaction, so a rolled-back change sends
nothing; delivery over SMTP happens only after the commit (``deliver_queued``).
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from marketplace.accounts.models import User
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.notifications.models import EmailStatus, Notification, OutboxEmail


def queue_email(recipient: str, subject: str, body: str) -> OutboxEmail:
    smtp = bool(current_app.config.get("MAIL_SERVER"))
    email = OutboxEmail(
        recipient=recipient,
        subject=subject,
        body=body,
        status=EmailStatus.QUEUED if smtp else EmailStatus.OUTBOX,
    )
    db.session.add(email)
    db.session.flush()
    return email


def send_templated_email(recipient: str, template: str, *, locale: str, **context: object) -> None:
    """Render ``templates/emails/<template>.txt`` (first line is the subject) in ``locale``."""
    with force_locale(locale):
        text = render_template(f"emails/{template}.txt", **context)
    subject, _, body = text.strip().partition("\n")
    queue_email(recipient, subject.strip(), body.strip() + "\n")


def notify(
    user: User,
    *,
    title: str,
    body: str = "",
    link: str | None = None,
    email: bool = True,
) -> Notification:
    """Put a message in ``user``'s inbox and, unless ``email=False``, queue the same by email.

    ``title`` and ``body`` are already translated by the caller (see :func:`user_locale`).
    """
    note = Notification(user_id=user.id, title=title, body=body, link=link)
    db.session.add(note)
    if email and user.is_active:
        queue_email(user.email, title, body + (f"\n\n{link}" if link else ""))
    db.session.flush()
    return note


def user_locale(user: User) -> str:
    return user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(note: Notification) -> None:
    if note.read_at is None:
        note.read_at = utcnow()


def deliver_queued(limit: int = 100) -> int:
    """Send queued emails over SMTP; returns how many were sent. Call after commit."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return 0
    queued = db.session.scalars(
        sa.select(OutboxEmail).where(OutboxEmail.status == EmailStatus.QUEUED).limit(limit)
    ).all()
    sent = 0
    for email in queued:
        message = EmailMessage()
        message["From"] = config["MAIL_SENDER"]
        message["To"] = email.recipient
        message["Subject"] = email.subject
        message.set_content(email.body)
        try:
            with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
                if config.get("MAIL_USE_TLS"):
                    smtp.starttls()
                if config.get("MAIL_USERNAME"):
                    smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            email.status = EmailStatus.FAILED
            email.error = str(exc)[:500]
        else:
            email.status = EmailStatus.SENT
            email.sent_at = utcnow()
            sent += 1
    db.session.commit()
    return sent

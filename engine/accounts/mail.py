"""Outgoing mail: written to an outbox table in the transaction that needs it, sent after.

A crash between the two never loses a message (it is in the table) and never sends one
for a change that rolled back (it was never committed). In demo mode nothing leaves the
machine: the message is logged and the admin panel shows the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

import aiosmtplib
import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.clock import Clock
from engine.store.database import Database
from engine.store.tables import MailOutboxRow, table_of

log = structlog.get_logger("godark.mail")

SEND_INTERVAL_SECONDS = 2.0
MAX_ATTEMPTS = 5
BATCH = 50


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int = 587
    username: str | None = None
    password: str | None = None
    sender: str = "GoDark <no-reply@godark.local>"
    start_tls: bool = True


async def enqueue(
    connection: AsyncConnection, *, recipient: str, subject: str, body: str, at: datetime
) -> None:
    await connection.execute(
        table_of(MailOutboxRow)
        .insert()
        .values(recipient=recipient, subject=subject, body=body, created_at=at, attempts=0)
    )


class MailSender:
    """Drains the outbox: by SMTP when configured, else by logging (demo)."""

    def __init__(self, database: Database, clock: Clock, smtp: SmtpConfig | None) -> None:
        self._database = database
        self._clock = clock
        self._smtp = smtp
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mail-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def send_pending(self) -> int:
        table = table_of(MailOutboxRow)
        async with self._database.engine.connect() as connection:
            pending = (
                await connection.execute(
                    select(table)
                    .where(table.c.sent_at.is_(None), table.c.attempts < MAX_ATTEMPTS)
                    .order_by(table.c.id)
                    .limit(BATCH)
                )
            ).all()
        sent = 0
        for message in pending:
            error: str | None = None
            try:
                await self._deliver(message.recipient, message.subject, message.body)
            except (aiosmtplib.SMTPException, OSError) as failure:
                error = str(failure)[:500]
                log.warning("mail_failed", mail_id=message.id, error=error)
            async with self._database.transaction() as connection:
                await connection.execute(
                    update(table)
                    .where(table.c.id == message.id)
                    .values(
                        attempts=message.attempts + 1,
                        sent_at=None if error else self._clock.now(),
                        last_error=error,
                    )
                )
            sent += error is None
        return sent

    async def _deliver(self, recipient: str, subject: str, body: str) -> None:
        if self._smtp is None:
            # Demo: the address and subject only; the body holds single-use links.
            log.info("mail_demo_outbox", recipient=recipient, subject=subject)
            return
        message = EmailMessage()
        message["From"] = self._smtp.sender
        message["To"] = recipient
        message["Subject"] = subject
        message.set_content(body)
        await aiosmtplib.send(
            message,
            hostname=self._smtp.host,
            port=self._smtp.port,
            username=self._smtp.username,
            password=self._smtp.password,
            start_tls=self._smtp.start_tls,
        )

    async def _run(self) -> None:
        while True:
            try:
                await self.send_pending()
            except Exception:
                log.exception("mail_sender_failed")
            await asyncio.sleep(SEND_INTERVAL_SECONDS)

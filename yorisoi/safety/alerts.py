"""The on-call alert: telling a person at once that a message showed risk to life.

A `high` message books a durable job of kind `risk_alert` (`risk_alert_job`) in the same commit
as the crisis reply, so the alert survives a crash between the two and goes out after commit,
never before. The scheduler (`yorisoi.schedule`) runs the handler from `make_alert_handler`
and retries it with backoff while it raises.

The alert goes to the on-call contact the admin configured: a LINE push to a staff member's
LINE user id (of this bot's channel), a webhook URL (a JSON POST, with a `text` field that
Slack- and Teams-style incoming webhooks show as is), or both. It carries only what lets a
person act: the pseudonym (相談者 7F3A2K), the level, the time and the operator-view address of
the conversation - never the user's words or LINE user id. The payload is checked for a LINE
user id before anything is sent.

Retries: the LINE push uses a retry key derived from the job id, so a retry after a push LINE
accepted is answered 409 and not delivered twice (LINE keeps keys for 24 hours). A webhook has
no such key: when both targets are set and only the push failed, the retry posts the webhook
again; its body carries `alert_id` (the job id) so the receiver can drop repeats.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
import structlog

from yorisoi.line.client import CallResult
from yorisoi.schedule import Handler
from yorisoi.store.records import Job

__all__ = [
    "RISK_ALERT",
    "Alert",
    "AlertNotDelivered",
    "AlertPayloadInvalid",
    "LinePush",
    "OnCall",
    "OnCallNotConfigured",
    "alert_from_job",
    "alert_text",
    "make_alert_handler",
    "risk_alert_job",
]

log = structlog.get_logger("yorisoi.safety.alerts")

RISK_ALERT = "risk_alert"
PAYLOAD_KEYS = ("conversation_ref", "pseudonym", "level", "at")
LEVELS = ("concern", "high")
LEVEL_NAMES = {"high": "高（いのちの危険）", "concern": "注意"}
# The staff-facing alert stays in code, unlike the bot's words to users: its fields are fixed,
# and it must go out even when the content files are broken.
ALERT_TEMPLATE = (
    "【yorisoi 緊急】{pseudonym} のメッセージに危険のサインがあります。\n"
    "レベル: {level}\n"
    "時刻: {time}\n"
    "会話: {url}\n"
    "オペレーター画面で確認してください。"
)
# Namespace of the retry keys derived from job ids (any fixed UUID will do).
_RETRY_NAMESPACE = uuid.UUID("6f1d8a52-3c1b-4f0e-9b7a-2d5c7e4a9b10")
# A LINE user id (https://developers.line.biz/en/docs/messaging-api/getting-user-ids/).
_LINE_USER_ID = re.compile(r"U[0-9a-f]{32}")


class OnCallNotConfigured(ValueError):
    """Raised when an alert handler is asked for without a usable on-call target."""


class AlertPayloadInvalid(ValueError):
    """Raised when a risk_alert job's payload is missing a field or holds what it must not."""


class AlertNotDelivered(RuntimeError):
    """Raised when an on-call target did not take the alert; the scheduler retries the job."""


class LinePush(Protocol):
    """What the alert needs from the LINE client (`yorisoi.line.client.LineClient` fits)."""

    async def push(
        self, user_id: str, messages: list[dict[str, Any]], retry_key: str
    ) -> CallResult: ...


@dataclass(frozen=True)
class OnCall:
    """Where on-call alerts go; plain values, so this module does not depend on Settings.

    `conversation_url` is the operator-view address of a conversation with `{ref}` where the
    conversation's staff-facing id goes, e.g. "https://example.org/operators/c/{ref}".
    """

    line_user_id: str | None = None
    webhook_url: str | None = None
    conversation_url: str = ""
    timezone: str = "Asia/Tokyo"
    webhook_timeout: float = 10.0

    @property
    def configured(self) -> bool:
        """Return whether at least one target is set."""
        return bool(self.line_user_id or self.webhook_url)


@dataclass(frozen=True)
class Alert:
    """One alert as staff read it."""

    alert_id: str
    pseudonym: str
    level: str
    at: datetime
    url: str


def risk_alert_job(
    *,
    conversation_ref: str,
    pseudonym: str,
    level: str,
    at: datetime,
    event_id: str | None = None,
) -> Job:
    """Return the risk_alert job for a message received at `at`, due at once.

    With `event_id` the job has a key, so a redelivered or reprocessed event books no
    second alert.
    """
    key = f"{RISK_ALERT}:{conversation_ref}:{event_id}" if event_id else None
    payload = {
        "conversation_ref": conversation_ref,
        "pseudonym": pseudonym,
        "level": level,
        "at": at.isoformat(),
    }
    return Job(id=uuid.uuid4().hex, kind=RISK_ALERT, due_at=at, payload=payload, key=key)


def alert_from_job(job: Job, oncall: OnCall) -> Alert:
    """Return the alert a risk_alert job describes, refusing a payload that is unsafe to send."""
    payload = job.payload if isinstance(job.payload, dict) else {}
    values: dict[str, str] = {}
    for key in PAYLOAD_KEYS:
        value = payload.get(key)
        if not isinstance(value, str) or not value.strip():
            raise AlertPayloadInvalid(f"job {job.id}: {key} is missing or not text")
        if _LINE_USER_ID.search(value):
            # Staff may see pseudonyms only; an id in the payload is a bug upstream.
            raise AlertPayloadInvalid(f"job {job.id}: {key} holds a LINE user id")
        values[key] = value.strip()
    if values["level"] not in LEVELS:
        raise AlertPayloadInvalid(f"job {job.id}: unknown level {values['level']!r}")
    try:
        at = datetime.fromisoformat(values["at"])
    except ValueError as exc:
        raise AlertPayloadInvalid(f"job {job.id}: at is not an ISO time") from exc
    if at.tzinfo is None:
        raise AlertPayloadInvalid(f"job {job.id}: at has no time zone")
    url = oncall.conversation_url.replace("{ref}", values["conversation_ref"])
    return Alert(job.id, values["pseudonym"], values["level"], at, url)


def alert_text(alert: Alert, zone: ZoneInfo) -> str:
    """Return the alert as staff read it, with the time in `zone`."""
    local = alert.at.astimezone(zone)
    return ALERT_TEMPLATE.format(
        pseudonym=alert.pseudonym,
        level=LEVEL_NAMES.get(alert.level, alert.level),
        time=f"{local:%Y-%m-%d %H:%M} ({zone.key})",
        url=alert.url,
    )


def make_alert_handler(
    oncall: OnCall,
    *,
    http: aiohttp.ClientSession | None = None,
    line: LinePush | None = None,
) -> Handler:
    """Return the scheduler handler for risk_alert jobs; refuse an unusable configuration."""
    problems = []
    if not oncall.configured:
        problems.append("neither a LINE user id nor a webhook URL is set")
    if oncall.line_user_id is not None and not _LINE_USER_ID.fullmatch(oncall.line_user_id):
        problems.append("the on-call LINE user id is not a LINE user id (U and 32 hex digits)")
    if oncall.line_user_id and line is None:
        problems.append("a LINE user id is set but no LINE client was given")
    if oncall.webhook_url is not None and not re.match(r"https?://", oncall.webhook_url):
        problems.append("the on-call webhook URL does not start with http:// or https://")
    if oncall.webhook_url and http is None:
        problems.append("a webhook URL is set but no HTTP session was given")
    if "{ref}" not in oncall.conversation_url:
        problems.append("the conversation URL has no {ref} for the conversation")
    try:
        zone = ZoneInfo(oncall.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"unknown time zone {oncall.timezone!r}")
    if problems:
        raise OnCallNotConfigured("; ".join(problems))

    async def send_risk_alert(job: Job) -> None:
        alert = alert_from_job(job, oncall)
        text = alert_text(alert, zone)
        failures: list[str] = []
        if oncall.line_user_id and line is not None:
            failure = await _push(line, oncall.line_user_id, text, job.id)
            if failure:
                failures.append(failure)
        if oncall.webhook_url and http is not None:
            failure = await _post(http, oncall.webhook_url, oncall.webhook_timeout, alert, text)
            if failure:
                failures.append(failure)
        if failures:
            log.error("oncall.alert_failed", job=job.id, failures=failures)
            raise AlertNotDelivered("; ".join(failures))
        log.info("oncall.alerted", job=job.id, level=alert.level, pseudonym=alert.pseudonym)

    return send_risk_alert


async def _push(line: LinePush, user_id: str, text: str, job_id: str) -> str | None:
    """Push the alert to the on-call staff member; return why it failed, or None."""
    retry_key = str(uuid.uuid5(_RETRY_NAMESPACE, f"{RISK_ALERT}:{job_id}"))
    try:
        result = await line.push(user_id, [{"type": "text", "text": text}], retry_key)
    except Exception as exc:  # LineClient classifies LINE's answers; anything else is a bug
        return f"LINE push raised {type(exc).__name__}: {exc}"
    if result.delivered:
        return None
    return f"LINE push {result.kind} (status {result.status}): {result.detail or ''}".rstrip(": ")


async def _post(
    http: aiohttp.ClientSession, url: str, timeout_s: float, alert: Alert, text: str
) -> str | None:
    """Post the alert to the on-call webhook; return why it failed, or None.

    The URL never appears in the answer: incoming-webhook URLs carry their secret in the path.
    """
    body = {
        "type": RISK_ALERT,
        "alert_id": alert.alert_id,
        "pseudonym": alert.pseudonym,
        "level": alert.level,
        "at": alert.at.isoformat(),
        "url": alert.url,
        "text": text,
    }
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with http.post(url, json=body, timeout=timeout) as response:
            if 200 <= response.status < 300:
                return None
            return f"webhook answered {response.status}"
    except TimeoutError:
        return f"webhook gave no answer within {timeout_s} s"
    except aiohttp.ClientError as exc:
        return f"webhook failed: {type(exc).__name__}"

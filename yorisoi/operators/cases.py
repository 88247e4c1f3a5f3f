"""Cases: the part of a conversation that responders work on, from the queue to the record.

A case opens when a user asks for a person (相談員と話す), writes in venting mode
(モヤモヤを話す) or writes at night; it waits in the queue, a responder claims it, talks
through the outbox, and closes it with a short record. While a case is open the bot steps
aside: the user's messages reach the responders and the bot says nothing on its own,
except the one night acknowledgement (and, from the safety net, crisis contacts).

Every change here is a turn of the conversation, committed with the same version check
as the bot's turns (``Store.commit_turn``): a responder's reply and the bot's answer to a
message that arrived at the same moment can never both be built on the same version, and
every message that leaves is an outbox row of that commit (commit first, then send).

The two timed jobs live here too: the morning reply to a night message, and the notice
when nobody has taken a waiting case in time. Both are idempotent: a job that runs twice,
or on two workers, finds the case already marked and sends nothing more.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from yorisoi.admin.staff import TOPICS
from yorisoi.clock import Clock
from yorisoi.content import ContentLibrary
from yorisoi.identity import pseudonym
from yorisoi.line.events import LineEvent
from yorisoi.operators.hours import NoOpeningFound
from yorisoi.safety.alerts import risk_alert_job
from yorisoi.states.engine import FlowEngine, Turn, TurnContext
from yorisoi.states.registry import MINOR_AGE_BANDS
from yorisoi.store.port import (
    Case,
    CaseStatus,
    Conversation,
    Job,
    LoggedMessage,
    OutboxRow,
    OutboxStatus,
    StaffMember,
    Store,
    TurnCommit,
    risk_rank,
)
from yorisoi.turns import add_outgoing, copy_conversation, outbox_id_of

log = structlog.get_logger("yorisoi.cases")

MORNING_JOB = "morning_reply"
CLAIM_TIMEOUT_JOB = "claim_timeout"
YOUTH_AGE_BANDS = MINOR_AGE_BANDS | {"18-19", "20s"}
SUPERVISING = frozenset({"supervisor", "admin"})
MAX_STAFF_TEXT = 5000  # one LINE text message
MAX_NOTE = 5000
MAX_SENDER_NAME = 20  # LINE's limit for sender.name
RACE_RETRIES = 8
# On duty counts while the person was seen lately: a request, or an open operator view
# (its socket re-checks every minute). Closing the laptop ends it within this time.
PRESENCE = timedelta(minutes=3)
ONCALL_QUIET = timedelta(minutes=30)  # one on-call alert per case within this time

Notify = Callable[[dict[str, Any]], None]


class CaseError(Exception):
    """A staff action that cannot be done; carries the HTTP status and a Japanese message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def topic_of(data: dict[str, Any], mode: str) -> str:
    """Return the queue a new case goes to: the mothers' line, young people, or general."""
    topic = data.get("topic")
    if topic in TOPICS:
        return str(topic)
    if mode == "vent":
        return "mothers"
    if (data.get("intake") or {}).get("age_band") in YOUTH_AGE_BANDS:
        return "youth"
    return "general"


def is_supervising(member: StaffMember) -> bool:
    """True for supervisors and admins, who see and may take over every case."""
    return member.role in SUPERVISING


def visible_to(member: StaffMember, conversation: Conversation) -> bool:
    """True if this staff member may see this conversation.

    Supervisors and admins see all; a responder sees the cases of their topics (all topics
    when none are set) and any case assigned to them.
    """
    if is_supervising(member):
        return True
    case = conversation.case
    if case is None:
        return False
    if case.assigned_to == member.id:
        return True
    return not member.topics or case.topic in member.topics


@dataclass(frozen=True, slots=True)
class StaffTurn:
    """What a staff action returns: the conversation after the commit, and what was logged."""

    conversation: Conversation
    logged: tuple[LoggedMessage, ...] = ()


class CaseDesk:
    """Opens cases for the bot's turns and carries out staff actions and the timed jobs."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        content: ContentLibrary,
        *,
        secret_key: str,
        claim_timeout: timedelta,
        notify: Notify = lambda event: None,
        crisis_lines: Callable[[datetime], str] = lambda now: "",
        on_commit: Callable[[bool], None] = lambda jobs: None,
        oncall: bool = False,
    ) -> None:
        self._store = store
        self._clock = clock
        self._content = content
        self._secret = secret_key
        self._claim_timeout = claim_timeout
        self._notify = notify
        self._crisis_lines = crisis_lines
        self._on_commit = on_commit
        self._oncall = oncall

    # --- the bot's side ------------------------------------------------------------------

    async def context(self, now: datetime, *, needs_queue: bool) -> TurnContext:
        """Look up what the flow's conditions and texts need: hours, who is on duty."""
        hours = self._content.hours
        open_now = hours.is_open(now)
        on_duty = tuple(
            m
            for m in await self._store.list_staff()
            if m.active
            and m.on_duty
            and m.last_seen_at is not None
            and now - m.last_seen_at <= PRESENCE
        )
        placeholders = {"crisis_lines": self._crisis_lines(now)}
        if not open_now:
            placeholders["next_opening"] = self._describe_opening(now)
        if needs_queue and open_now:
            waiting = await self._store.list_cases(CaseStatus.WAITING, limit=100)
            placeholders["waiting_count"] = str(len(waiting))
        return TurnContext(
            open_now=open_now,
            responders_on_duty=len(on_duty),
            on_duty=on_duty,
            placeholders=placeholders,
            faq=self._content.faq,
        )

    @staticmethod
    def someone_sees(context: TurnContext, topic: str) -> bool:
        """True if someone on duty would see a case of this topic in their queue."""
        return any(is_supervising(m) or not m.topics or topic in m.topics for m in context.on_duty)

    def _describe_opening(self, now: datetime) -> str:
        try:
            return self._content.hours.describe_next_opening(now)
        except NoOpeningFound:
            return "相談員が もどって きて"

    def open_case(
        self, commit: TurnCommit, mode: str, context: TurnContext, engine: FlowEngine
    ) -> list[dict[str, Any]]:
        """Open a case in this turn; return what the bot adds (the night acknowledgement)."""
        conversation, now = commit.conversation, commit.now
        case = conversation.case
        if case is not None and case.is_open:
            return self.user_wrote(commit, context, engine)
        case = Case(
            id=uuid.uuid4().hex,
            status=CaseStatus.WAITING,
            topic=topic_of(conversation.data, mode),
            mode=mode,
            opened_at=now,
            waiting_since=now,
            risk=str(conversation.data.get("risk", "none")),
            night=not context.open_now,
            last_message_at=now,
        )
        conversation.case = case
        if context.open_now:
            commit.jobs.append(
                Job(
                    id=uuid.uuid4().hex,
                    kind=CLAIM_TIMEOUT_JOB,
                    due_at=now + self._claim_timeout,
                    payload={"user_id": conversation.user_id, "case_id": case.id},
                    key=f"claim:{case.id}",
                )
            )
            if context.responders_on_duty == 0:
                case.alerted_at = now
            return []
        return self._night(commit, case, context, engine)

    def user_wrote(
        self, commit: TurnCommit, context: TurnContext, engine: FlowEngine
    ) -> list[dict[str, Any]]:
        """A message while a case is open: the responders read it; the bot stays quiet,
        except once a night (the acknowledgement)."""
        case = commit.conversation.case
        assert case is not None
        case.last_message_at = commit.now
        if context.open_now:
            return []
        return self._night(commit, case, context, engine)

    def _night(
        self, commit: TurnCommit, case: Case, context: TurnContext, engine: FlowEngine
    ) -> list[dict[str, Any]]:
        """Acknowledge once per night and book the morning reply (one per user per morning)."""
        now = commit.now
        if case.night_acked_until is not None and case.night_acked_until > now:
            return []  # told already; the morning reply is booked
        hours = self._content.hours
        try:
            opening = hours.next_opening(now)
            morning = hours.morning_reply_at(now)
        except NoOpeningFound:
            opening = morning = None
        case.night = True
        case.night_acked_until = opening
        if morning is not None:
            local_day = morning.astimezone(hours.timezone).date().isoformat()
            user_id = commit.conversation.user_id
            commit.jobs.append(
                Job(
                    id=uuid.uuid4().hex,
                    kind=MORNING_JOB,
                    due_at=morning,
                    payload={"user_id": user_id, "case_id": case.id, "since": now.isoformat()},
                    key=f"morning:{user_id}:{local_day}",
                )
            )
        return [engine.text("night_ack", context)]

    @staticmethod
    def raise_risk(conversation: Conversation, level: str) -> None:
        """Show the conversation's risk level on its open case (it only ever goes up)."""
        case = conversation.case
        if case is not None and case.is_open and risk_rank(level) > risk_rank(case.risk):
            case.risk = level

    def flag_high(self, commit: TurnCommit, *, staffed: bool, event_id: str | None) -> None:
        """Flag the case ``high`` (first in the queue) and, when nobody is on duty to see it
        in the operator view, book the alert to the on-call contact."""
        conversation = commit.conversation
        case = conversation.case
        if case is None:
            return
        case.risk = "high"
        if not staffed:
            self._book_oncall(commit, event_id)

    def _book_oncall(self, commit: TurnCommit, key: str | None) -> None:
        """Book the alert to the on-call contact (when the admin configured one).

        At most one per case in ``ONCALL_QUIET``: a person writing five frightened lines in
        a row needs one person woken, not five alerts that teach them to mute the phone.
        """
        conversation = commit.conversation
        case = conversation.case
        if not self._oncall:
            log.warning("cases.no_oncall_contact", ref=conversation.ref)
            return
        if case is not None:
            if (
                case.oncall_alerted_at is not None
                and commit.now - case.oncall_alerted_at < ONCALL_QUIET
            ):
                return
            case.oncall_alerted_at = commit.now
        commit.jobs.append(
            risk_alert_job(
                conversation_ref=conversation.ref,
                pseudonym=pseudonym(conversation.user_id, self._secret),
                level="high",
                at=commit.now,
                event_id=key,
            )
        )

    # --- the timed jobs ------------------------------------------------------------------

    async def morning_reply(self, job: Job) -> None:
        """Send the morning message unless a responder answered since the night message.

        It goes to whatever case is open now (the night's case may have been closed and a
        new one opened since), and at most once per user per local date.
        """
        since = datetime.fromisoformat(job.payload["since"])
        hours = self._content.hours

        def change(conversation: Conversation, commit: TurnCommit) -> bool:
            case = conversation.case
            if case is None or not case.is_open:
                return False  # closed before the morning: a responder has talked with them
            if case.staff_replied_at is not None and case.staff_replied_at >= since:
                return False  # a responder answered already: no morning message
            today = commit.now.astimezone(hours.timezone).date().isoformat()
            if conversation.data.get("morning_sent_on") == today:
                return False  # one morning message per user per morning
            conversation.data["morning_sent_on"] = today
            case.morning_sent_at = commit.now
            engine = self._content.engine(conversation.flow)
            add_outgoing(commit, [engine.text("morning_reply", TurnContext())])
            return True

        await self._bot_change(job.payload["user_id"], change, "morning")

    async def claim_timeout(self, job: Job) -> None:
        """Tell the user honestly that nobody is free yet, and alert the supervisors."""

        def change(conversation: Conversation, commit: TurnCommit) -> bool:
            case = conversation.case
            if case is None or case.id != job.payload["case_id"]:
                return False
            if case.status != CaseStatus.WAITING or case.alerted_at is not None:
                return False
            case.alerted_at = commit.now
            engine = self._content.engine(conversation.flow)
            if not self._content.hours.is_open(commit.now):
                # The service closed while the case waited: this is the night now, with
                # its one acknowledgement and a reply in the morning.
                context = TurnContext(
                    open_now=False,
                    placeholders={
                        "next_opening": self._describe_opening(commit.now),
                        "crisis_lines": self._crisis_lines(commit.now),
                    },
                )
                add_outgoing(commit, self._night(commit, case, context, engine))
            else:
                add_outgoing(commit, [engine.text("no_one_yet", TurnContext())])
            if case.risk == "high":
                # Nobody took a case at risk to life in time: a person must hear of it now.
                self._book_oncall(commit, f"timeout:{case.id}")
            return True

        await self._bot_change(job.payload["user_id"], change, "waiting_too_long")

    async def _bot_change(
        self,
        user_id: str,
        change: Callable[[Conversation, TurnCommit], bool],
        alert: str,
    ) -> None:
        for _ in range(RACE_RETRIES):
            loaded = await self._store.load_conversation(user_id)
            if loaded is None:
                return
            conversation = copy_conversation(loaded)
            commit = TurnCommit(conversation=conversation, now=self._clock.now())
            if not change(conversation, commit):
                return
            if await self._store.commit_turn(commit):
                conversation.version += 1
                self._on_commit(bool(commit.jobs))
                self.publish(conversation, alert=alert)
                return
        raise RuntimeError(f"conversation kept changing during the {alert} job")

    # --- staff actions -----------------------------------------------------------------

    async def find(self, ref: str, member: StaffMember) -> Conversation:
        """Return the conversation if it exists and this staff member may see it."""
        conversation = await self._store.conversation_by_ref(ref)
        if conversation is None or conversation.case is None:
            raise CaseError(404, "not_found", "その相談は 見つかりません。")
        if not visible_to(member, conversation):
            raise CaseError(403, "forbidden", "この相談を 見る 権限が ありません。")
        return conversation

    async def claim(self, ref: str, member: StaffMember, *, take_over: bool = False) -> StaffTurn:
        """Take a waiting case (or, for a supervisor, take over someone else's)."""

        def change(conversation: Conversation, commit: TurnCommit, case: Case) -> None:
            if case.assigned_to not in (None, member.id):
                if not take_over:
                    raise CaseError(
                        409,
                        "claimed_by_other",
                        f"この相談は {case.assigned_name} さんが 担当しています。",
                    )
                if not is_supervising(member):
                    raise CaseError(403, "forbidden", "引き継ぎは スーパーバイザーが できます。")
            self._assign(case, member, commit.now)

        return await self._staff_change(ref, member, change)

    async def assign(self, ref: str, member: StaffMember, target: StaffMember) -> StaffTurn:
        """A supervisor hands a case to a colleague."""
        if not is_supervising(member):
            raise CaseError(403, "forbidden", "担当の 変更は スーパーバイザーが できます。")
        if not target.active:
            raise CaseError(400, "inactive_staff", "その スタッフは いま 使えません。")

        def change(conversation: Conversation, commit: TurnCommit, case: Case) -> None:
            self._assign(case, target, commit.now)

        return await self._staff_change(ref, member, change)

    async def send(
        self, ref: str, member: StaffMember, text: str, *, confirm_other: bool = False
    ) -> StaffTurn:
        """Send a responder's message to the user (by push, with their name as the sender)."""
        body = text.strip("\n")
        if not body.strip():
            raise CaseError(400, "empty", "メッセージが 空です。")
        if len(body) > MAX_STAFF_TEXT:
            raise CaseError(400, "too_long", f"メッセージは {MAX_STAFF_TEXT} 文字までです。")

        def change(conversation: Conversation, commit: TurnCommit, case: Case) -> None:
            if conversation.blocked:
                raise CaseError(409, "blocked", "この 相談者は 友だちを やめています。送れません。")
            if case.assigned_to is None:
                self._assign(case, member, commit.now)  # answering a waiting case takes it
            elif case.assigned_to != member.id and not confirm_other:
                raise CaseError(
                    409,
                    "claimed_by_other",
                    f"この相談は {case.assigned_name} さんが 担当しています。",
                )
            case.staff_replied_at = commit.now
            case.last_message_at = commit.now
            message = {"type": "text", "text": body, "sender": {"name": _sender_name(member)}}
            author = {"staff_id": member.id, "name": member.display_name}
            logged[:] = add_outgoing(commit, [message], author=author)  # this attempt's only

        logged: list[LoggedMessage] = []
        turn = await self._staff_change(ref, member, change)
        return StaffTurn(turn.conversation, tuple(logged))

    async def note(self, ref: str, member: StaffMember, text: str) -> StaffTurn:
        """Add an internal note: kept with the thread, never sent to the user."""
        body = text.strip()
        if not body:
            raise CaseError(400, "empty", "メモが 空です。")
        if len(body) > MAX_NOTE:
            raise CaseError(400, "too_long", f"メモは {MAX_NOTE} 文字までです。")

        def change(conversation: Conversation, commit: TurnCommit, case: Case) -> None:
            entry = LoggedMessage(
                id=f"note:{uuid.uuid4().hex}",
                user_id=conversation.user_id,
                direction="note",
                kind="note",
                text=body,
                at=commit.now,
                payload={"author": {"staff_id": member.id, "name": member.display_name}},
            )
            commit.messages.append(entry)
            logged[:] = [entry]  # a retried attempt replaces the one that lost the race

        logged: list[LoggedMessage] = []
        turn = await self._staff_change(ref, member, change, open_only=False)
        return StaffTurn(turn.conversation, tuple(logged))

    async def close(self, ref: str, member: StaffMember, record: dict[str, Any]) -> StaffTurn:
        """Close a case with its record; the bot comes back (flow trigger ``operator_closed``)."""
        for _ in range(RACE_RETRIES):
            loaded = await self.find(ref, member)
            conversation = copy_conversation(loaded)
            case = conversation.case
            assert case is not None
            if not case.is_open:
                raise CaseError(409, "closed", "この相談は もう 終了しています。")
            if case.assigned_to not in (None, member.id) and not is_supervising(member):
                raise CaseError(
                    409,
                    "claimed_by_other",
                    f"この相談は {case.assigned_name} さんが 担当しています。",
                )
            if case.assigned_to is None and not is_supervising(member):
                # Closing a case nobody took would drop a person who is still waiting.
                raise CaseError(
                    409, "not_claimed", "先に「担当する」を押してから 終了してください。"
                )
            now = self._clock.now()
            commit = TurnCommit(conversation=conversation, now=now)
            case.status = CaseStatus.CLOSED
            case.closed_at = now
            case.record = {**record, "closed_by": member.id, "closed_by_name": member.display_name}
            commit.archive.append(case.copy())
            if not conversation.blocked:
                engine = self._content.engine(conversation.flow)
                turn = Turn(
                    event=_internal_event(conversation.user_id, now),
                    now=now,
                    state=conversation.state,
                    data=conversation.data,
                )
                await engine.run(turn, trigger="operator_closed")
                conversation.state = turn.state
                add_outgoing(commit, turn.messages)
            if await self._store.commit_turn(commit):
                conversation.version += 1
                self._on_commit(bool(commit.jobs))
                self.publish(conversation)
                return StaffTurn(conversation)
        raise CaseError(409, "busy", "ほかの 操作と 重なりました。もう一度 試してください。")

    async def thread(self, conversation: Conversation, limit: int = 500) -> dict[str, Any]:
        """Return the conversation with its messages, delivery states and notes (for the API)."""
        entries = await self._store.conversation_messages(conversation.user_id, limit)
        rows = {row.id: row for row in await self._store.outbox_rows(conversation.user_id)}
        messages, notes = [], []
        for entry in entries:
            if entry.direction == "note":
                notes.append(note_json(entry))
            else:
                messages.append(message_json(entry, rows))
        return {"conversation": self.summary(conversation), "messages": messages, "notes": notes}

    def last_read_token(self, entries: list[LoggedMessage]) -> str | None:
        """Return the newest mark-as-read token of the user's messages, if any."""
        for entry in reversed(entries):
            token = entry.payload.get("mark_as_read_token")
            if entry.direction == "in" and token:
                return str(token)
        return None

    def summary(self, conversation: Conversation) -> dict[str, Any]:
        """Return what the queue shows of a conversation: pseudonym only, never the LINE id."""
        case = conversation.case
        assert case is not None
        intake = conversation.data.get("intake") or {}
        return {
            "id": conversation.ref,
            "pseudonym": pseudonym(conversation.user_id, self._secret),
            "topic": case.topic,
            "mode": case.mode,
            "status": str(case.status),
            "risk": case.risk,
            "night": case.night,
            "opened_at": _iso(case.opened_at),
            "waiting_since": _iso(case.waiting_since),
            "claimed_at": _iso(case.claimed_at),
            "closed_at": _iso(case.closed_at),
            "last_message_at": _iso(case.last_message_at),
            "assigned": (
                {"id": case.assigned_to, "display_name": case.assigned_name}
                if case.assigned_to
                else None
            ),
            "intake": {key: intake.get(key) for key in ("age_band", "gender", "prefecture")},
            "alerted": case.alerted_at is not None,
            "blocked": conversation.blocked,
            "version": conversation.version,
        }

    async def delivery_changed(self, row: OutboxRow, status: str) -> None:
        """Tell the operator view that a message of a case was delivered, failed or waits."""
        conversation = await self._store.load_conversation(row.user_id)
        if conversation is None or conversation.case is None or not conversation.ref:
            return
        case = conversation.case
        self._notify(
            {
                "type": "delivery",
                "id": conversation.ref,
                "delivery": DELIVERY.get(OutboxStatus(status), status),
                "topic": case.topic,
                "assigned_to": case.assigned_to,
                "status": str(case.status),
                "risk": case.risk,
            }
        )

    def publish(self, conversation: Conversation, *, alert: str | None = None) -> None:
        """Tell the operator view that a case changed (it refetches what it shows)."""
        case = conversation.case
        if case is None or not conversation.ref:
            return
        event: dict[str, Any] = {
            "type": "conversation",
            "id": conversation.ref,
            "version": conversation.version,
            "status": str(case.status),
            "risk": case.risk,
            "topic": case.topic,
            "assigned_to": case.assigned_to,
        }
        if alert:
            event["alert"] = alert
        try:
            self._notify(event)
        except Exception:  # the live view is a convenience; the commit already happened
            log.exception("cases.notify_failed")

    @staticmethod
    def _assign(case: Case, member: StaffMember, now: datetime) -> None:
        case.status = CaseStatus.ACTIVE
        case.assigned_to = member.id
        case.assigned_name = member.display_name
        case.claimed_at = now

    async def _staff_change(
        self,
        ref: str,
        member: StaffMember,
        change: Callable[[Conversation, TurnCommit, Case], None],
        *,
        open_only: bool = True,
    ) -> StaffTurn:
        for _ in range(RACE_RETRIES):
            loaded = await self.find(ref, member)
            conversation = copy_conversation(loaded)
            case = conversation.case
            assert case is not None
            if open_only and not case.is_open:
                raise CaseError(409, "closed", "この相談は もう 終了しています。")
            commit = TurnCommit(conversation=conversation, now=self._clock.now())
            change(conversation, commit, case)
            if await self._store.commit_turn(commit):
                conversation.version += 1
                self._on_commit(bool(commit.jobs))
                self.publish(conversation)
                return StaffTurn(conversation)
        raise CaseError(409, "busy", "ほかの 操作と 重なりました。もう一度 試してください。")


JobHandler = Callable[[Job], Awaitable[None]]

DELIVERY = {
    OutboxStatus.PENDING: "queued",
    OutboxStatus.SENDING: "queued",
    OutboxStatus.WAITING_QUOTA: "waiting_quota",
    OutboxStatus.SENT: "sent",
    OutboxStatus.FAILED: "failed",
    OutboxStatus.UNCERTAIN: "uncertain",
    OutboxStatus.SKIPPED_BLOCKED: "skipped",
}


def message_json(entry: LoggedMessage, rows: dict[str, Any]) -> dict[str, Any]:
    """Return one log entry as the operator view shows it, with its delivery state."""
    author = entry.payload.get("author") or {}
    delivery = None
    if entry.direction == "out":
        row = rows.get(outbox_id_of(entry.id) or "")
        delivery = DELIVERY.get(row.status) if row is not None else None
    return {
        "id": entry.id,
        "direction": entry.direction,
        "author": "user" if entry.direction == "in" else ("staff" if author else "bot"),
        "staff": author.get("name"),
        "kind": entry.kind,
        "text": entry.text,
        "at": _iso(entry.at),
        "delivery": delivery,
    }


def note_json(entry: LoggedMessage) -> dict[str, Any]:
    """Return an internal note for the operator view."""
    author = entry.payload.get("author") or {}
    return {"id": entry.id, "author": author.get("name"), "text": entry.text, "at": _iso(entry.at)}


def _sender_name(member: StaffMember) -> str:
    """Return the name LINE shows above a responder's message (at most 20 characters)."""
    name = member.display_name.strip() or "相談員"
    return name[:MAX_SENDER_NAME]


def _internal_event(user_id: str, now: datetime) -> LineEvent:
    """Return the event a staff action runs through the flow (it has no LINE event)."""
    return LineEvent(
        event_id=f"internal:{uuid.uuid4().hex}",
        type="internal",
        timestamp_ms=int(now.timestamp() * 1000),
        user_id=user_id,
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None

"""``yorisoi status``: what needs an admin's attention, from the store and LINE.

Prints inbox and outbox counts (failed events, rows waiting for push quota or failed for
good), the cases waiting (high-risk ones need attention), the active content versions and,
with LINE credentials, this month's push quota.
Exits 1 when something needs attention, so it can serve as a monitoring check.
"""

from __future__ import annotations

from yorisoi.config import Settings
from yorisoi.line.client import LineClient
from yorisoi.store import describe_url, open_store
from yorisoi.store.records import CaseStatus

ATTENTION = {
    "inbox": ("failed",),
    "outbox": ("failed", "waiting_quota", "uncertain"),
}


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "empty"


async def status(settings: Settings) -> int:
    """Print the status report; return 1 if anything needs attention."""
    store = await open_store(settings.database_url)
    try:
        inbox = await store.inbox_counts()
        outbox = await store.outbox_counts()
        flows = await store.active_content("flow")
        queue = await store.queue_counts()
    finally:
        await store.close()
    print(f"store:  {describe_url(settings.database_url)}")
    print(f"inbox:  {_counts(inbox)}")
    print(f"outbox: {_counts(outbox)}")
    high = queue.count(CaseStatus.WAITING, risk="high")
    topics = ", ".join(f"{t} {n}" for t, n in sorted(queue.by_topic(CaseStatus.WAITING).items()))
    print(
        f"cases:  waiting {queue.waiting} (high risk {high}), with a responder {queue.active}"
        + (f"; waiting by topic: {topics}" if topics else "")
    )
    for flow in flows:
        when = flow.created_at.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")
        print(f"flow:   {flow.name} v{flow.version} ({flow.source}, {when})")
    if settings.demo:
        print("LINE:   demo mode (no credentials), no push quota")
    else:
        assert settings.line_channel_access_token is not None
        client = LineClient(
            settings.line_api_endpoint,
            settings.line_channel_access_token.get_secret_value(),
            settings.line_timeout,
        )
        try:
            quota = await client.quota()
        except Exception as exc:
            print(f"LINE:   push quota unavailable ({type(exc).__name__}: {exc})")
        else:
            limit = "unlimited" if quota["limit"] is None else quota["limit"]
            print(f"LINE:   pushes this month {quota['used']} of {limit}")
        finally:
            await client.close()
    attention = [
        f"{n} {status} {kind}"
        for kind, counts in (("inbox", inbox), ("outbox", outbox))
        for status, n in counts.items()
        if status in ATTENTION[kind] and n
    ]
    if high:
        attention.append(f"{high} high-risk case(s) waiting for a responder")
    if attention:
        print("needs attention: " + "; ".join(attention))
        return 1
    return 0

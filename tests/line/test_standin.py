"""The LINE stand-in, driven over HTTP by the real SDK client."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    MarkMessagesAsReadByTokenRequest,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
    TextMessage,
)

from yorisoi.clock import FakeClock
from yorisoi.line.standin import StandIn

ACCESS_TOKEN = "stand-in-test-token"
USER = "U" + "0123456789abcdef" * 2
OTHER_USER = "U" + "fedcba9876543210" * 2
PUSH = "/v2/bot/message/push"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def standin(clock: FakeClock) -> StandIn:
    return StandIn(access_token=ACCESS_TOKEN, clock=clock)


@pytest.fixture
async def server(standin: StandIn) -> AsyncIterator[TestServer]:
    async with TestServer(standin.make_app()) as server:
        yield server


def host_of(server: TestServer) -> str:
    return str(server.make_url("")).rstrip("/")


@pytest.fixture
async def api(server: TestServer) -> AsyncIterator[AsyncMessagingApi]:
    client = AsyncApiClient(Configuration(host=host_of(server), access_token=ACCESS_TOKEN))
    yield AsyncMessagingApi(client)
    await client.close()


@pytest.fixture
async def http(server: TestServer) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP session, for bodies the SDK would refuse to build."""
    async with aiohttp.ClientSession(
        base_url=server.make_url(""), headers={"Authorization": f"Bearer {ACCESS_TOKEN}"}
    ) as session:
        yield session


def text(value: str) -> TextMessage:
    return TextMessage(text=value)


def push_request(*texts: str, to: str = USER) -> PushMessageRequest:
    return PushMessageRequest(to=to, messages=[text(t) for t in texts])


def error_body(exc: ApiException) -> dict[str, Any]:
    return json.loads(exc.body)


# -- reply ------------------------------------------------------------------------------------


async def test_reply_delivers_to_the_user_the_token_was_issued_for(
    standin: StandIn, api: AsyncMessagingApi
) -> None:
    token = standin.issue_reply_token(USER)

    response = await api.reply_message(
        ReplyMessageRequest(replyToken=token, messages=[text("こんにちは"), text("2")])
    )

    assert len(token) == 32 and token == token.lower() and int(token, 16) >= 0
    assert [m.id.isdigit() for m in response.sent_messages] == [True, True]
    sent = standin.sent_messages(USER)
    assert [(m.via, m.message) for m in sent] == [
        ("reply", {"type": "text", "text": "こんにちは"}),
        ("reply", {"type": "text", "text": "2"}),
    ]
    assert sent[0].retry_key is None
    assert standin.push_consumption == 0  # replies are free


async def test_reply_token_is_single_use(standin: StandIn, api: AsyncMessagingApi) -> None:
    token = standin.issue_reply_token(USER)
    await api.reply_message(ReplyMessageRequest(replyToken=token, messages=[text("one")]))

    with pytest.raises(ApiException) as caught:
        await api.reply_message(ReplyMessageRequest(replyToken=token, messages=[text("two")]))

    assert caught.value.status == 400
    assert error_body(caught.value) == {"message": "Invalid reply token"}
    assert [m.message["text"] for m in standin.sent_messages(USER)] == ["one"]


async def test_reply_token_expires_by_the_injected_clock(
    standin: StandIn, api: AsyncMessagingApi, clock: FakeClock
) -> None:
    token = standin.issue_reply_token(USER)
    clock.advance(61)

    with pytest.raises(ApiException) as caught:
        await api.reply_message(ReplyMessageRequest(replyToken=token, messages=[text("late")]))

    assert caught.value.status == 400
    assert error_body(caught.value)["message"] == "Invalid reply token"
    assert standin.sent_messages() == []


async def test_reply_refuses_a_retry_key(standin: StandIn, http: aiohttp.ClientSession) -> None:
    token = standin.issue_reply_token(USER)
    body = {"replyToken": token, "messages": [{"type": "text", "text": "hi"}]}

    async with http.post(
        "/v2/bot/message/reply", json=body, headers={"X-Line-Retry-Key": str(uuid.uuid4())}
    ) as response:
        assert response.status == 400
        assert "retry key" in (await response.json())["message"]
    assert standin.sent_messages() == []


# -- push -------------------------------------------------------------------------------------


async def test_push_with_a_retry_key_already_accepted_answers_409_and_delivers_once(
    standin: StandIn, api: AsyncMessagingApi
) -> None:
    key = str(uuid.uuid4())
    first = await api.push_message(push_request("a", "b"), x_line_retry_key=key)

    with pytest.raises(ApiException) as caught:
        await api.push_message(push_request("a", "b"), x_line_retry_key=key)

    original = standin.sent_messages(USER)
    assert caught.value.status == 409
    body = error_body(caught.value)
    assert body["message"] == "The retry key is already accepted"
    assert body["sentMessages"] == [m.to_dict() for m in first.sent_messages]
    assert caught.value.headers["x-line-accepted-request-id"] == original[0].request_id
    assert [(m.via, m.retry_key) for m in original] == [("push", key), ("push", key)]
    assert standin.push_consumption == 1  # two messages, one push, counted once


async def test_push_to_an_invalid_user_id_is_refused(
    standin: StandIn, api: AsyncMessagingApi
) -> None:
    with pytest.raises(ApiException) as caught:
        await api.push_message(push_request("hi", to="nobody"))

    assert caught.value.status == 400
    assert [d["property"] for d in error_body(caught.value)["details"]] == ["to"]
    assert standin.sent_messages() == []


async def test_push_with_a_retry_key_that_is_not_a_uuid_is_refused(
    standin: StandIn, api: AsyncMessagingApi
) -> None:
    with pytest.raises(ApiException) as caught:
        await api.push_message(push_request("hi"), x_line_retry_key="not-a-uuid")

    assert caught.value.status == 400
    assert standin.push_consumption == 0


async def test_invalid_bodies_are_refused_with_details(
    standin: StandIn, http: aiohttp.ClientSession
) -> None:
    missing_text = {"to": USER, "messages": [{"type": "text"}]}
    async with http.post(PUSH, json=missing_text) as response:
        assert response.status == 400
        body = await response.json()
        assert body["details"][0]["property"] == "text"
    async with http.post(PUSH, json={"to": USER, "messages": []}) as response:
        assert response.status == 400
        assert (await response.json())["details"][0]["property"] == "messages"
    async with http.post(
        PUSH, data=b"{not json", headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 400
    assert standin.sent_messages() == []
    assert [r.status for r in standin.requests] == [400, 400, 400]


async def test_a_wrong_access_token_is_refused(standin: StandIn, server: TestServer) -> None:
    client = AsyncApiClient(Configuration(host=host_of(server), access_token="wrong"))
    try:
        with pytest.raises(ApiException) as caught:
            await AsyncMessagingApi(client).push_message(push_request("hi"))
    finally:
        await client.close()

    assert caught.value.status == 401
    assert error_body(caught.value)["message"].startswith("Authentication failed.")
    assert standin.sent_messages() == []


async def test_injected_failures_answer_then_pass(standin: StandIn, api: AsyncMessagingApi) -> None:
    standin.fail_next(PUSH, 500, times=2)
    statuses = []
    for _ in range(2):
        with pytest.raises(ApiException) as caught:
            await api.push_message(push_request("hi"))
        statuses.append(caught.value.status)

    await api.push_message(push_request("hi"))

    assert statuses == [500, 500]
    assert len(standin.sent_messages(USER)) == 1
    assert standin.push_consumption == 1
    assert [r.status for r in standin.requests] == [500, 500, 200]


async def test_a_delivered_failure_then_a_retry_answers_409(
    standin: StandIn, api: AsyncMessagingApi
) -> None:
    key = str(uuid.uuid4())
    standin.fail_next(PUSH, 502, deliver=True)
    with pytest.raises(ApiException) as caught:
        await api.push_message(push_request("once"), x_line_retry_key=key)
    assert caught.value.status == 502

    with pytest.raises(ApiException) as retried:
        await api.push_message(push_request("once"), x_line_retry_key=key)

    assert retried.value.status == 409
    assert [m.message["text"] for m in standin.sent_messages(USER)] == ["once"]
    assert standin.push_consumption == 1


async def test_an_exhausted_quota_answers_429(standin: StandIn, api: AsyncMessagingApi) -> None:
    standin.set_quota(1)
    await api.push_message(push_request("first"))

    with pytest.raises(ApiException) as caught:
        await api.push_message(push_request("second"))

    assert caught.value.status == 429
    assert error_body(caught.value) == {"message": "You have reached your monthly limit."}
    assert [m.message["text"] for m in standin.sent_messages(USER)] == ["first"]
    # Replies stay free when the quota is spent.
    token = standin.issue_reply_token(USER)
    await api.reply_message(ReplyMessageRequest(replyToken=token, messages=[text("reply")]))
    assert len(standin.sent_messages(USER)) == 2


async def test_quota_and_consumption(standin: StandIn, api: AsyncMessagingApi) -> None:
    quota = await api.get_message_quota()
    assert (quota.type, quota.value) == ("limited", 200)

    await api.push_message(push_request("a", "b", "c"))
    assert (await api.get_message_quota_consumption()).total_usage == 1

    standin.set_quota(None)
    assert (await api.get_message_quota()).type == "none"


# -- other endpoints --------------------------------------------------------------------------


async def test_loading_animation(standin: StandIn, api: AsyncMessagingApi) -> None:
    await api.show_loading_animation(ShowLoadingAnimationRequest(chatId=USER, loadingSeconds=10))
    assert standin.requests[-1].status == 202

    with pytest.raises(ApiException) as caught:
        await api.show_loading_animation(ShowLoadingAnimationRequest(chatId=USER, loadingSeconds=7))
    assert caught.value.status == 400
    assert error_body(caught.value)["details"][0]["property"] == "loadingSeconds"


async def test_mark_as_read_by_token(standin: StandIn, api: AsyncMessagingApi) -> None:
    await api.mark_messages_as_read_by_token(
        MarkMessagesAsReadByTokenRequest(markAsReadToken="read-token-1")
    )

    (recorded,) = standin.requests
    assert (recorded.method, recorded.path, recorded.status) == (
        "POST",
        "/v2/bot/chat/markAsRead",
        200,
    )
    assert recorded.body == {"markAsReadToken": "read-token-1"}


async def test_profile_is_never_found_but_recorded(
    standin: StandIn, api: AsyncMessagingApi
) -> None:
    with pytest.raises(ApiException) as caught:
        await api.get_profile(USER)

    assert caught.value.status == 404
    assert [(r.path, r.status) for r in standin.requests] == [(f"/v2/bot/profile/{USER}", 404)]


async def test_requests_are_recorded_with_the_token_masked(
    standin: StandIn, api: AsyncMessagingApi, http: aiohttp.ClientSession
) -> None:
    await api.push_message(push_request("hi"))
    async with http.get("/v2/bot/unknown") as response:
        assert response.status == 404
        assert "x-line-request-id" in response.headers

    push, unknown = standin.requests
    assert push.headers["authorization"] == "Bearer ***"
    assert ACCESS_TOKEN not in json.dumps(push.headers)
    assert (push.body["to"], push.body["messages"]) == (USER, [{"type": "text", "text": "hi"}])
    assert (unknown.path, unknown.status) == ("/v2/bot/unknown", 404)


# -- hangs ------------------------------------------------------------------------------------


async def test_a_hung_push_times_out_the_client_and_may_still_deliver(
    standin: StandIn, api: AsyncMessagingApi
) -> None:
    standin.hang_next(PUSH, deliver=True)

    with pytest.raises((TimeoutError, aiohttp.ServerTimeoutError)):
        await api.push_message(push_request("ambiguous"), _request_timeout=0.2)

    assert [m.message["text"] for m in standin.sent_messages(USER)] == ["ambiguous"]


async def test_released_hung_requests_answer_500(standin: StandIn, api: AsyncMessagingApi) -> None:
    standin.hang_next(PUSH, deliver=True)
    pushing = asyncio.create_task(api.push_message(push_request("held")))
    await standin.wait_for_messages(USER, 1, timeout=2)  # delivered, now hanging

    standin.release_hung()

    with pytest.raises(ApiException) as caught:
        await pushing
    assert caught.value.status == 500


# -- waiting ----------------------------------------------------------------------------------


async def test_wait_for_messages_returns_once_they_arrive(
    standin: StandIn, api: AsyncMessagingApi
) -> None:
    waiting = asyncio.create_task(standin.wait_for_messages(USER, 2, timeout=2))
    await api.push_message(push_request("one"))
    await api.push_message(push_request("not for USER", to=OTHER_USER))
    await api.push_message(push_request("two"))

    arrived = await waiting

    assert [m.message["text"] for m in arrived] == ["one", "two"]


async def test_wait_for_messages_names_what_arrived_on_timeout(
    standin: StandIn, api: AsyncMessagingApi
) -> None:
    await api.push_message(push_request("only one"))

    with pytest.raises(AssertionError, match="only one"):
        await standin.wait_for_messages(USER, 2, timeout=0.2)


async def test_messages_after_long_polls_from_a_per_user_cursor(
    standin: StandIn, api: AsyncMessagingApi
) -> None:
    await api.push_message(push_request("seen"))
    assert await standin.messages_after(USER, 1, timeout=0) == []  # nothing new: no raise

    polling = asyncio.create_task(standin.messages_after(USER, 1, timeout=5))
    await api.push_message(push_request("not for USER", to=OTHER_USER))
    await asyncio.sleep(0)
    assert not polling.done()  # another user's message does not wake this poll
    await api.push_message(push_request("new"))

    arrived = await polling

    assert [m.message["text"] for m in arrived] == ["new"]
    everything = await standin.messages_after(USER, 0, timeout=0)
    assert [m.message["text"] for m in everything] == ["seen", "new"]


# -- control routes ---------------------------------------------------------------------------


async def test_control_routes(standin: StandIn, server: TestServer, api: AsyncMessagingApi) -> None:
    async with aiohttp.ClientSession(base_url=server.make_url("")) as control:
        async with control.post("/_standin/reply-tokens", json={"userId": USER}) as response:
            token = (await response.json())["replyToken"]
        await api.reply_message(ReplyMessageRequest(replyToken=token, messages=[text("r")]))
        await api.push_message(push_request("o", to=OTHER_USER))
        await api.push_message(push_request("p"))

        async with control.get("/_standin/messages", params={"user": USER, "after": 1}) as response:
            messages = (await response.json())["messages"]
        async with control.get("/_standin/requests") as response:
            requests = (await response.json())["requests"]

    assert [(m["seq"], m["via"], m["message"]["text"]) for m in messages] == [(2, "push", "p")]
    assert [r["path"] for r in requests] == [
        "/v2/bot/message/reply",
        PUSH,
        PUSH,
    ]


async def test_reset_forgets_everything(standin: StandIn, api: AsyncMessagingApi) -> None:
    token = standin.issue_reply_token(USER)
    await api.push_message(push_request("hi"))
    standin.fail_next(PUSH, 500)

    standin.reset()

    await api.push_message(push_request("after reset"))
    assert [m.message["text"] for m in standin.sent_messages()] == ["after reset"]
    assert standin.push_consumption == 1
    with pytest.raises(ApiException):
        await api.reply_message(ReplyMessageRequest(replyToken=token, messages=[text("x")]))

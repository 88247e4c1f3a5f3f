"""Signed webhooks into the real app; what arrives at the Messaging API stand-in."""

from __future__ import annotations

import json

from harness import Bot, user

from yorisoi import keys
from yorisoi.store.records import EventStatus, OutboxStatus


async def test_follow_gets_greeting_by_reply(bot: Bot) -> None:
    u = user(1)
    await bot.send("follow", u)
    sent = await bot.replies(u, 3)
    assert [m.via for m in sent] == ["reply"] * 3
    assert "友だち追加" in bot.texts(u)[0]
    assert "利用規約" in bot.texts(u)[1] and "110" in bot.texts(u)[1]
    labels = [i["action"]["label"] for i in sent[2].message["quickReply"]["items"]]
    assert labels == ["よくある質問", "モヤモヤを話す", "相談員と話す"]
    # one request for all three messages: a reply token works once
    replies = [r for r in bot.standin.requests if r.path == "/v2/bot/message/reply"]
    assert len(replies) == 1
    conv = await bot.app[keys.STORE].load_conversation(u)
    assert conv is not None and conv.state == "greeting" and conv.data.terms_shown_at is not None


async def test_text_in_menu_shows_menu_again(bot: Bot) -> None:
    u = user(2)
    await bot.send("follow", u)
    await bot.replies(u, 3)
    await bot.send("text", u, text="こんにちは")
    await bot.replies(u, 4)
    assert bot.texts(u)[3].startswith("どうしますか")
    await bot.send("text", u, text="メニューを みせて")
    await bot.replies(u, 5)
    assert bot.texts(u)[4].startswith("どうしますか")


async def test_quick_reply_postback_and_typed_label(bot: Bot) -> None:
    u = user(3)
    await bot.send("follow", u)
    await bot.replies(u, 3)
    await bot.send("text", u, text="相談員と話す")  # typed instead of tapped
    await bot.replies(u, 4)
    assert "相談員に つなぐ 前に" in bot.texts(u)[3]
    await bot.send("postback", u, data="yorisoi:t=intake_skip")
    await bot.replies(u, 5)
    assert "相談員" in bot.texts(u)[4]
    v = user(30)
    await bot.send("follow", v)
    await bot.replies(v, 3)
    await bot.send("postback", v, data="yorisoi:t=choose_vent")
    await bot.replies(v, 4)
    assert "モヤモヤを そのまま 書いて" in bot.texts(v)[3]


async def test_same_event_three_times_gets_one_reply(bot: Bot) -> None:
    u = user(4)
    event = bot.event("follow", u)
    for redelivery in (False, True, True):
        event["deliveryContext"] = {"isRedelivery": redelivery}
        assert (await bot.post(event))[0] == 200
    await bot.settle()
    assert len(bot.standin.sent_messages(u)) == 3  # the three greeting messages, once
    assert len([r for r in bot.standin.requests if r.status == 200]) == 1


async def test_duplicates_inside_one_body_are_processed_once(bot: Bot) -> None:
    u = user(5)
    event = bot.event("follow", u)
    assert (await bot.post(event, event))[0] == 200
    await bot.settle()
    assert len(bot.standin.sent_messages(u)) == 3


async def test_forged_signature_is_refused_and_nothing_stored(bot: Bot) -> None:
    u = user(6)
    event = bot.event("follow", u)
    status, _ = await bot.post(event, secret="not-the-channel-secret")
    assert status in (400, 401)
    status, _ = await bot.post(event, headers={"X-Line-Signature": ""})
    assert status in (400, 401)
    await bot.settle()
    assert await bot.app[keys.STORE].get_event(event["webhookEventId"]) is None
    assert bot.standin.sent_messages() == []


async def test_signature_header_name_is_case_insensitive(bot: Bot) -> None:
    from yorisoi.line.eventgen import sign, webhook_body

    u = user(7)
    body = webhook_body([bot.event("follow", u)])
    response = await bot.client.post(
        "/callback",
        data=body,
        headers={"x-line-signature": sign(body, bot.secret), "Content-Type": "application/json"},
    )
    assert response.status == 200
    await bot.replies(u, 3)


async def test_bad_bodies_get_clear_errors(bot: Bot) -> None:
    assert (await bot.post(body=b"{not json"))[0] == 400
    assert (await bot.post(body=b'{"events": "nope"}'))[0] == 400
    assert (await bot.post(body=b'{"events": [{"type": "message"}]}'))[0] == 400
    assert (await bot.post(body=b"\xff\xfe"))[0] == 400
    status, _ = await bot.post(body=b'{"events": []}')  # LINE's connectivity check
    assert status == 200
    big = b'{"events": [], "pad": "' + b"x" * (1024 * 1024) + b'"}'
    assert (await bot.post(body=big))[0] == 413


async def test_unknown_event_types_are_stored_and_ignored(bot: Bot) -> None:
    u = user(8)
    event = bot.event("follow", u)
    event["type"] = "somethingNew"
    event["brandNewField"] = {"kept": True}
    assert (await bot.post(event))[0] == 200
    await bot.settle()
    stored = await bot.app[keys.STORE].get_event(event["webhookEventId"])
    assert stored is not None and stored.status is EventStatus.IGNORED
    assert json.loads(stored.raw)["brandNewField"] == {"kept": True}
    assert bot.standin.sent_messages(u) == []


async def test_stickers_and_images_get_the_menu(bot: Bot) -> None:
    u = user(9)
    await bot.send("follow", u)
    await bot.replies(u, 3)
    await bot.send("sticker", u)
    await bot.send("image", u)
    await bot.replies(u, 5)
    assert bot.texts(u)[3].startswith("どうしますか") and bot.texts(u)[4].startswith("どうしますか")
    log = await bot.app[keys.STORE].conversation_messages(u)
    kinds = [(m.direction, m.kind, m.text) for m in log if m.direction == "in"]
    assert ("in", "sticker", "[スタンプ]") in kinds and ("in", "image", "[画像]") in kinds


async def test_unfollow_blocks_pushes_until_follow_again(bot: Bot) -> None:
    u = user(10)
    await bot.send("follow", u)
    await bot.replies(u, 3)
    await bot.send("unfollow", u)
    await bot.settle()
    store = bot.app[keys.STORE]
    assert await store.is_blocked(u)
    # a message committed while blocked (e.g. a late reply) is skipped, not pushed
    await bot.send("text", u, text="x", reply_token="expired-token")
    await bot.settle()
    assert len(bot.standin.sent_messages(u)) == 3
    assert (await store.outbox_counts()).get(OutboxStatus.SKIPPED_BLOCKED) == 1
    await bot.send("follow", u, unblocked=True)
    sent = await bot.replies(u, 4)
    assert "おかえりなさい" in bot.texts(u)[3] and sent[3].via == "reply"
    assert not await store.is_blocked(u)


async def test_unsend_deletes_the_message_body(bot: Bot) -> None:
    u = user(11)
    await bot.send("follow", u)
    message = await bot.send("text", u, text="ほんとうは だれにも 言いたくない")
    await bot.send("unsend", u, message_id=message["message"]["id"])
    await bot.settle()
    store = bot.app[keys.STORE]
    inbound = [
        m for m in await store.conversation_messages(u) if m.kind == "text" and m.direction == "in"
    ]
    assert len(inbound) == 1 and inbound[0].redacted and inbound[0].text is None
    stored = await store.get_event(message["webhookEventId"])
    assert stored is not None and "言いたくない" not in stored.raw


async def test_events_of_one_user_run_in_timestamp_order(bot: Bot) -> None:
    u = user(12)
    follow = bot.event("follow", u, timestamp_ms=1_000)
    faq = bot.event("postback", u, data="yorisoi:t=choose_faq", timestamp_ms=2_000)
    # LINE may deliver them in one body in any order; the flow must see follow first
    assert (await bot.post(faq, follow))[0] == 200
    await bot.settle()
    conv = await bot.app[keys.STORE].load_conversation(u)
    assert conv is not None and conv.state == "faq"
    assert "友だち追加" in bot.texts(u)[0]


async def test_many_users_in_parallel(bot: Bot) -> None:
    users = [user(100 + i) for i in range(20)]
    events = [bot.event("follow", u) for u in users]
    assert (await bot.post(*events))[0] == 200
    await bot.settle()
    for u in users:
        assert len(bot.standin.sent_messages(u)) == 3


async def test_never_fetches_profiles(bot: Bot) -> None:
    u = user(13)
    await bot.send("follow", u)
    await bot.send("text", u, text="こんばんは")
    await bot.settle()
    assert not [r for r in bot.standin.requests if "/profile" in r.path]


async def test_healthz(bot: Bot) -> None:
    response = await bot.client.get("/healthz")
    assert response.status == 200 and (await response.json())["status"] == "ok"


async def test_group_events_without_a_user_are_kept_and_marked_handled(bot: Bot) -> None:
    event = bot.event("follow", user(14))
    event["type"] = "join"
    event["source"] = {"type": "group", "groupId": "C" + "1" * 32}
    assert (await bot.post(event))[0] == 200
    stored = await bot.app[keys.STORE].get_event(event["webhookEventId"])
    assert stored is not None and stored.status is EventStatus.IGNORED
    assert (await bot.app[keys.STORE].inbox_counts()).get("pending") is None

"""The FAQ in the conversation: categories → questions → answer, free text, feedback."""

from __future__ import annotations

from urllib.parse import quote

from harness import Bot, user

from yorisoi import keys


def quick_replies(bot: Bot, u: str) -> list[tuple[str, str]]:
    last = bot.standin.sent_messages(u)[-1].message
    items = last.get("quickReply", {}).get("items", [])
    return [(i["action"]["label"], i["action"]["data"]) for i in items]


async def to_faq(bot: Bot, u: str) -> None:
    await bot.send("follow", u)
    await bot.replies(u, 3)
    await bot.send("postback", u, data="yorisoi:t=choose_faq")
    await bot.replies(u, 4)


async def test_category_path_reaches_an_answer_with_feedback_buttons(bot: Bot) -> None:
    u = user(1)
    await to_faq(bot, u)
    assert "どんな ことを しらべますか" in bot.texts(u)[3]
    categories = dict(quick_replies(bot, u))
    assert "住む場所" in categories
    assert categories["住む場所"] == "yorisoi:t=faq_category&v=" + quote("住む場所", safe="")
    await bot.send("postback", u, data=categories["住む場所"])
    await bot.replies(u, 5)
    questions = quick_replies(bot, u)
    assert questions and all(
        data.startswith("yorisoi:t=faq_entry&v=youth.") for _, data in questions
    )
    entry = next(data for _, data in questions if data.endswith("youth.apartment"))
    await bot.send("postback", u, data=entry)
    await bot.settle()
    answer = bot.texts(u)[5:]
    assert len(answer) >= 2 and "保証人" in "".join(answer)
    buttons = dict(quick_replies(bot, u))
    assert buttons["役に立った"] == "yorisoi:t=faq_helpful&v=youth.apartment"
    assert buttons["相談員と話したい"] == "yorisoi:t=choose_human"
    await bot.send("postback", u, data=buttons["役に立った"])
    await bot.settle()
    assert "教えてくれて ありがとう" in bot.texts(u)[-1]
    conversation = await bot.app[keys.STORE].load_conversation(u)
    assert conversation is not None
    assert conversation.data.faq_answers[-1]["id"] == "youth.apartment"
    assert conversation.data.faq_helpful[-1]["id"] == "youth.apartment"


async def test_free_text_is_matched_and_chat_is_not_answered(bot: Bot) -> None:
    u = user(2)
    await to_faq(bot, u)
    await bot.send("text", u, text="保証人いないけど部屋借りれる？")
    await bot.settle()
    assert dict(quick_replies(bot, u))["役に立った"].endswith("youth.apartment")
    count = len(bot.texts(u))
    await bot.send("text", u, text="ありがとう")
    await bot.settle()
    reply = bot.texts(u)[count:]
    assert len(reply) == 1 and "役に立った" not in dict(quick_replies(bot, u))
    labels = [label for label, _ in quick_replies(bot, u)]
    assert "相談員と話したい" in labels  # a miss offers a person


async def test_the_faq_answers_at_night_too(bot: Bot) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    u = user(3)
    await to_faq(bot, u)
    bot.clock.set(datetime(2026, 11, 25, 2, 0, tzinfo=ZoneInfo("Asia/Tokyo")))
    await bot.send("text", u, text="保険証ってどうやってもらうの 親にばれたくない")
    await bot.settle()
    assert "役に立った" in dict(quick_replies(bot, u))
    assert all("受け取りました" not in text for text in bot.texts(u))

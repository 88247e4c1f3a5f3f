"""The operator view in headless Chromium (Debian's), against the real app.

The app runs in production mode on a loopback port, talking to the Messaging API stand-in;
users act through signed webhooks (the harness's ``Bot``), staff through the page. The clock
is injected: a Tuesday, 11:00 in Tokyo, inside the service hours of ``operators/hours.yaml``.
Screenshots of the main screens go to ``$YORISOI_SCREENSHOTS`` when it is set (the README's
pictures: ``YORISOI_SCREENSHOTS=docs/screenshots``), else to the test's temporary folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from harness import Bot, LinePlatform, seed_open_cases, settings_for, user
from playwright.async_api import Browser, Page, WebSocketRoute, expect

from yorisoi import keys
from yorisoi.admin.staff import add_staff, hash_password
from yorisoi.clock import FakeClock
from yorisoi.config import REPO_ROOT
from yorisoi.store.records import StaffMember

PASSWORD = "correct horse battery"
TUESDAY_11_JST = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)

expect.set_options(timeout=15_000)


@pytest.fixture
def clock() -> FakeClock:
    """Inside service hours (the conftest's default instant is a public holiday)."""
    return FakeClock(TUESDAY_11_JST)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go."""
    wanted = os.environ.get("YORISOI_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Desk:
    """The running app, the LINE side, and where the browser reaches the app."""

    bot: Bot
    url: str

    async def staff_api(self, login: str) -> aiohttp.ClientSession:
        """An API client of its own (own cookies), signed in as ``login``."""
        session = aiohttp.ClientSession(
            base_url=self.url, cookie_jar=aiohttp.CookieJar(unsafe=True)
        )
        response = await session.post("/api/login", json={"login": login, "password": PASSWORD})
        assert response.status == 200, await response.text()
        csrf = (await response.json())["csrf_token"]
        session.headers["X-CSRF-Token"] = csrf
        return session


@pytest.fixture
def shifts_yaml() -> str | None:
    """The app's operators/shifts.yaml; None: the repository's content as it is."""
    return None


def content_with_shifts(tmp_path: Path, text: str) -> Path:
    """Return a content folder: the repository's content with this shifts.yaml."""
    root = tmp_path / "content"
    (root / "operators").mkdir(parents=True)
    for folder in ("states", "faq"):
        (root / folder).symlink_to(REPO_ROOT / folder)
    for name in ("hours.yaml", "canned.yaml", "records.yaml"):
        (root / "operators" / name).symlink_to(REPO_ROOT / "operators" / name)
    (root / "operators" / "shifts.yaml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
async def desk(
    line: LinePlatform, clock: FakeClock, tmp_path: Path, shifts_yaml: str | None
) -> AsyncIterator[Desk]:
    from yorisoi.app import create_app

    content = REPO_ROOT if shifts_yaml is None else content_with_shifts(tmp_path, shifts_yaml)
    settings = settings_for(tmp_path, line.url, secure_cookies=False, content_dir=content)
    app = create_app(settings, clock=clock)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    store, now = app[keys.STORE], clock.now()
    sato = await add_staff(store, "sato", "responder", PASSWORD, now, display_name="佐藤")
    await store.set_on_duty(sato.id, True)
    await add_staff(store, "tanaka", "supervisor", PASSWORD, now, display_name="田中")
    await store.add_staff(
        StaffMember(
            id="ito-id",
            login="ito",
            display_name="伊藤",
            role="responder",
            password_hash=hash_password(PASSWORD),
            created_at=now,
            topics=["mothers"],
        )
    )
    try:
        yield Desk(
            Bot(client=client, clock=clock, standin=line.standin),
            str(client.make_url("/")).rstrip("/"),
        )
    finally:
        await client.close()


PageFactory = Callable[..., Awaitable[Page]]


@pytest.fixture
async def new_page(browser: Browser) -> AsyncIterator[PageFactory]:
    """Open pages in fresh browser contexts (one per staff member); fail on any script error."""
    contexts = []
    errors: list[str] = []

    async def open_page(width: int = 1280, height: int = 860) -> Page:
        context = await browser.new_context(
            locale="ja-JP",
            timezone_id="Europe/Berlin",  # times must still show in Japan time
            viewport={"width": width, "height": height},
        )
        contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                errors.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        return page

    try:
        yield open_page
    finally:
        for context in contexts:
            await context.close()
    assert errors == [], errors


async def sign_in(page: Page, desk: Desk, login: str) -> None:
    await page.goto(desk.url + "/operator")
    await expect(page).to_have_url(re.compile(r"/operator/login$"))
    await page.get_by_label("ログイン名").fill(login)
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="サインイン").click()
    await expect(page).to_have_url(re.compile(r"/operator$"))
    await expect(page.locator("#connection")).to_have_attribute("data-state", "online")


def last_quick_replies(bot: Bot, user_id: str) -> list[dict[str, Any]]:
    sent = bot.standin.sent_messages(user_id)
    if not sent:
        return []
    items = sent[-1].message.get("quickReply", {}).get("items", [])
    return [item["action"] for item in items]


async def ask_for_a_person(bot: Bot, user_id: str, *, vent: str | None = None) -> None:
    """Act as a LINE user: follow, then 相談員と話す (skipping the intake), or vent a line."""
    await bot.send("follow", user_id)
    await bot.settle()
    if vent is not None:
        await bot.send("postback", user_id, data="yorisoi:t=choose_vent")
        await bot.settle()
        await bot.send("text", user_id, text=vent)
        await bot.settle()
        return
    await bot.send("postback", user_id, data="yorisoi:t=choose_human")
    await bot.settle()
    for _ in range(5):  # the optional intake: answer "skip" whenever it is offered
        skip = [a for a in last_quick_replies(bot, user_id) if a.get("label") == "とばす"]
        if not skip:
            break
        await bot.send("postback", user_id, data=skip[0]["data"])
        await bot.settle()


async def case_of(desk: Desk, status: str = "waiting", topic: str | None = None) -> dict[str, Any]:
    """The one case in a list, as a supervisor's API call sees it."""
    api = await desk.staff_api("tanaka")
    try:
        response = await api.get(f"/api/conversations?status={status}")
        assert response.status == 200, await response.text()
        found = [
            c
            for c in (await response.json())["conversations"]
            if topic is None or c["topic"] == topic
        ]
    finally:
        await api.close()
    assert len(found) == 1, found
    return found[0]


async def claimed_by_sato(desk: Desk, user_id: str) -> dict[str, Any]:
    """A user asks for a person and the responder 佐藤 takes the case (through the API)."""
    await ask_for_a_person(desk.bot, user_id)
    waiting = await case_of(desk)
    sato = await desk.staff_api("sato")
    try:
        assert (await sato.post(f"/api/conversations/{waiting['id']}/claim", json={})).status == 200
    finally:
        await sato.close()
    return waiting


# --- tests ---------------------------------------------------------------------------------


async def test_pages_need_a_session_and_carry_a_strict_policy(desk: Desk) -> None:
    async with aiohttp.ClientSession() as http:
        page = await http.get(desk.url + "/operator", allow_redirects=False)
        assert page.status == 303 and page.headers["Location"] == "/operator/login"
        login = await http.get(desk.url + "/operator/login")
        policy = login.headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert login.headers["X-Content-Type-Options"] == "nosniff"
        script = await http.get(desk.url + "/operator/static/queue.js")
        assert script.status == 200


async def test_a_new_case_appears_live_and_is_handled_end_to_end(
    desk: Desk, new_page: PageFactory, shots: Path
) -> None:
    page = await new_page()
    await sign_in(page, desk, "sato")
    await page.screenshot(path=str(shots / "operator-queue-empty.png"))
    cases = page.locator(".case-link")
    await expect(cases).to_have_count(0)

    u = user(501)
    await ask_for_a_person(desk.bot, u)

    # No reload: the live update brings the case, with a notice.
    await expect(cases).to_have_count(1)
    await expect(cases.first).to_contain_text("相談者 ")
    await expect(cases.first).to_contain_text("待ち")
    await expect(page.locator("#new-case")).to_contain_text("新しい相談が届きました")
    assert u not in await page.content()  # pseudonyms only, never the LINE user id

    await cases.first.click()
    await expect(page.get_by_role("button", name="担当する")).to_be_visible()
    thread = page.locator("#thread .msg")
    await expect(thread.first).to_be_visible()
    await expect(page.locator("#thread .author-bot").first).to_contain_text("ボット")
    await page.get_by_role("button", name="担当する").click()
    await expect(page.locator("#conv-facts")).to_contain_text("佐藤")

    reply = page.get_by_label("返信")
    await reply.fill("はじめまして。相談員の佐藤です。")
    await reply.press("Enter")  # a new line, not a send
    await expect(reply).to_have_value("はじめまして。相談員の佐藤です。\n")
    await page.get_by_role("button", name="定型文").click()
    await page.get_by_label("定型文をさがす").fill("まとまらなくて")
    await expect(page.locator(".canned-item")).to_have_count(1)
    await page.locator(".canned-item", has_text="ゆっくりで大丈夫").click()
    await expect(reply).to_have_value(re.compile(r"佐藤です。\n急がなくて大丈夫です。"))
    await page.get_by_role("button", name="送信", exact=True).click()

    await expect(reply).to_have_value("")
    staff_messages = page.locator("#thread .author-staff")
    await expect(staff_messages).to_have_count(1)
    await expect(staff_messages.first).to_contain_text("相談員 佐藤")
    await desk.bot.settle()
    assert any("急がなくて大丈夫です。" in text for text in desk.bot.texts(u))
    await expect(staff_messages.first.locator(".delivery")).to_have_text("送信済み")

    # The user answers; it shows up in the open thread without reload.
    await desk.bot.send("text", u, text="ありがとうございます")
    await expect(page.locator("#thread .author-user").last).to_contain_text("ありがとうございます")
    await page.screenshot(path=str(shots / "operator-conversation.png"))

    await page.locator("#notes summary").click()
    await page.get_by_label("メモ", exact=True).fill("初回。学校の話が中心。")
    await page.get_by_role("button", name="メモを追加").click()
    await expect(page.locator("#notes-list .note")).to_have_count(1)
    await expect(page.locator("#notes-list")).to_contain_text("学校の話が中心")
    assert not any("学校の話が中心" in text for text in desk.bot.texts(u))

    await page.get_by_role("button", name="終了して記録する").click()
    dialog = page.locator("#close-dialog")
    await dialog.get_by_label("相談の分類").select_option("school")
    await dialog.get_by_label("対応の種類").select_option("listening")
    await dialog.get_by_label("学校・スクールカウンセラー").check()
    await dialog.get_by_label("記録のメモ").fill("次回も話したいとのこと。")
    await page.screenshot(path=str(shots / "operator-close.png"))
    await dialog.get_by_role("button", name="記録して終了").click()

    await expect(dialog).to_be_hidden()
    await expect(page.locator("#conv-badges")).to_contain_text("終了")
    await expect(page.locator("#reply-area")).to_be_hidden()
    closed = await case_of(desk, "closed")
    assert closed["status"] == "closed"


async def test_a_long_queue_loads_more_as_it_scrolls_and_counts_every_case(
    desk: Desk, new_page: PageFactory, shots: Path
) -> None:
    store = desk.bot.app[keys.STORE]
    tanaka = await store.staff_by_login("tanaka")
    assert tanaka is not None
    cases = await seed_open_cases(desk.bot, 140, (tanaka.id, "田中"))
    waiting = sum(1 for c in cases if c.case is not None and c.case.status.value == "waiting")
    page = await new_page()
    await sign_in(page, desk, "sato")
    # The badge counts the whole queue, not the first page.
    await expect(page.locator("#count-waiting")).to_have_text(f"({waiting})")
    listed = page.locator("#queue-list .case-link")
    await expect(listed).to_have_count(50)
    more = page.locator("#queue-more")
    await expect(more).to_contain_text(f"のこり {waiting - 50} 件")
    await more.scroll_into_view_if_needed()  # reading to the end of the list loads the next page
    await expect(listed).to_have_count(100)
    await more.click()
    await expect(listed).to_have_count(waiting)
    await expect(more).to_be_hidden()
    ids = await listed.evaluate_all("links => links.map((a) => a.dataset.id)")
    assert len(set(ids)) == waiting  # none twice
    await page.screenshot(path=str(shots / "operator-queue-long.png"))

    lead = await new_page()
    await sign_in(lead, desk, "tanaka")
    await lead.goto(desk.url + "/operator/supervisor")
    await expect(lead.locator("#case-counts")).to_contain_text(f"待機中 {waiting} 件")
    await expect(lead.locator("#cases-body tr")).to_have_count(140)


async def test_user_text_is_shown_as_text(desk: Desk, new_page: PageFactory) -> None:
    page = await new_page()
    await sign_in(page, desk, "tanaka")
    u = user(502)
    attack = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
    await ask_for_a_person(desk.bot, u)
    await page.locator(".case-link").first.click()
    await desk.bot.send("text", u, text=attack)

    await expect(page.locator("#thread .author-user").last).to_have_text(
        re.compile(re.escape(attack))
    )
    assert await page.evaluate("window.pwned") is None
    assert await page.locator("#thread img, #thread script").count() == 0


async def test_a_responder_sees_only_their_topics(desk: Desk, new_page: PageFactory) -> None:
    await ask_for_a_person(desk.bot, user(503))  # general
    await ask_for_a_person(desk.bot, user(504), vent="もう限界")  # the mothers' line
    general = await case_of(desk, topic="general")
    await case_of(desk, topic="mothers")

    page = await new_page()
    await sign_in(page, desk, "ito")  # topics: mothers
    await expect(page.locator(".case-link")).to_have_count(1)
    await expect(page.locator(".case-link")).to_contain_text("ママ")

    await page.goto(desk.url + f"/operator/c/{general['id']}")
    await expect(page.get_by_role("alert")).to_be_visible()
    await expect(page.locator("#conversation")).to_be_hidden()
    assert general["pseudonym"] not in await page.content()


async def test_the_page_catches_up_after_the_socket_is_cut(
    desk: Desk, new_page: PageFactory, shots: Path
) -> None:
    page = await new_page()
    sockets: list[WebSocketRoute] = []
    blocked = False

    async def through(ws: WebSocketRoute) -> None:
        if blocked:
            await ws.close()
            return
        ws.connect_to_server()
        sockets.append(ws)

    await page.route_web_socket(re.compile(r"/api/live$"), through)
    await sign_in(page, desk, "sato")
    u = user(505)
    await ask_for_a_person(desk.bot, u)
    await page.locator(".case-link").first.click()
    await page.get_by_role("button", name="担当する").click()
    await desk.bot.send("text", u, text="一通目")
    await expect(page.locator("#thread .author-user", has_text="一通目")).to_have_count(1)

    blocked = True
    await sockets[-1].close()  # the network drops
    await expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    await desk.bot.send("text", u, text="切れている間の二通目")
    await desk.bot.settle()
    blocked = False

    # Reconnected on its own (backoff), then refetched: the missed message, once.
    await expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    await expect(page.locator("#thread .author-user", has_text="二通目")).to_have_count(1)
    await expect(page.locator("#thread .author-user", has_text="一通目")).to_have_count(1)
    await desk.bot.send("text", u, text="三通目")
    await expect(page.locator("#thread .author-user", has_text="三通目")).to_have_count(1)
    ids = await page.locator("#thread .msg").evaluate_all("nodes => nodes.map(n => n.dataset.id)")
    assert len(ids) == len(set(ids))


async def test_sending_to_a_colleagues_case_asks_first_and_a_supervisor_can_take_over(
    desk: Desk, new_page: PageFactory, shots: Path
) -> None:
    u = user(506)
    waiting = await claimed_by_sato(desk, u)

    page = await new_page()
    await sign_in(page, desk, "tanaka")
    await page.get_by_role("link", name="スーパーバイザー").click()
    row = page.locator("#cases-body tr", has_text=waiting["pseudonym"])
    await expect(row).to_contain_text("佐藤")
    await page.screenshot(path=str(shots / "operator-supervisor.png"))

    await row.get_by_role("link", name="開く").click()
    reply = page.get_by_label("返信")
    await reply.fill("スーパーバイザーの田中です。")
    await page.get_by_role("button", name="送信", exact=True).click()
    confirm = page.locator("#confirm-dialog")
    await expect(confirm).to_contain_text("佐藤 さんが担当しています")
    await confirm.get_by_role("button", name="やめる").click()
    await expect(confirm).to_be_hidden()
    await expect(reply).to_have_value("スーパーバイザーの田中です。")
    await desk.bot.settle()
    assert not any("田中です" in text for text in desk.bot.texts(u))

    await page.get_by_role("button", name="引き継ぐ").click()
    await expect(page.locator("#conv-facts")).to_contain_text("田中")
    await page.get_by_role("button", name="送信", exact=True).click()  # now theirs: no question
    await expect(page.locator("#thread .author-staff")).to_contain_text("田中です")
    await desk.bot.settle()
    assert any("田中です" in text for text in desk.bot.texts(u))


SHIFTS = """\
shifts:
  - login: sato
    weekly: {tue: ["10:00-14:00"], thu: ["18:00-22:00"]}
  - login: ito
    timezone: Europe/Berlin
    weekly: {mon: ["16:00-19:00"]}
  - login: mika
    weekly: {wed: ["10:00-12:00"]}
"""


@pytest.mark.parametrize("shifts_yaml", [SHIFTS])
async def test_the_supervisor_sees_the_coming_weeks_shifts_in_japan_time(
    desk: Desk, new_page: PageFactory
) -> None:
    page = await new_page()
    await sign_in(page, desk, "tanaka")
    await page.get_by_role("link", name="スーパーバイザー").click()
    people = page.locator("#staff-list li")
    sato = people.filter(has_text="佐藤")
    await expect(sato).to_contain_text("シフト中")  # Tuesday 11:00 in Tokyo
    await expect(sato).to_contain_text(
        "シフト（日本時間）：11/24(火) 10:00–14:00、11/26(木) 18:00–22:00"
    )
    # Monday 16:00 in Berlin is Tuesday 00:00 in Japan: shown on Tuesday.
    ito = people.filter(has_text="伊藤")
    await expect(ito).to_contain_text("12/1(火) 00:00–03:00（Europe/Berlin の時刻で登録）")
    await expect(ito).not_to_contain_text("シフト中")
    await expect(people.filter(has_text="田中")).to_contain_text("シフト未登録")
    await expect(page.locator("#shifts-unknown")).to_contain_text(
        "アカウントのない ログイン名が あります：mika"
    )


async def test_tablet_width_keyboard_only_and_idle_sign_out(
    desk: Desk, new_page: PageFactory, shots: Path
) -> None:
    await ask_for_a_person(desk.bot, user(507), vent="ねむれない")
    page = await new_page(width=768, height=1024)
    await sign_in(page, desk, "sato")
    await expect(page.locator(".case-link")).to_have_count(1)
    await page.screenshot(path=str(shots / "operator-tablet-queue.png"))

    # Keyboard only: tab to the case, open it, claim it.
    await page.locator("#tab-waiting").focus()
    await page.keyboard.press("Tab")
    await expect(page.locator(".case-link").first).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#conv-title")).to_be_focused()
    await expect(page.locator(".queue")).to_be_hidden()  # one column at 768 px
    claim = page.get_by_role("button", name="担当する")
    await claim.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_label("返信")).to_be_focused()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 768  # nothing sticks out sideways
    await page.screenshot(path=str(shots / "operator-tablet-conversation.png"))

    # 200 % zoom of a 1280 px window leaves 640 CSS pixels: still one readable column.
    await page.set_viewport_size({"width": 640, "height": 800})
    assert await page.evaluate("document.documentElement.scrollWidth") <= 640
    await expect(page.get_by_role("button", name="送信", exact=True)).to_be_visible()

    # Nobody touches anything for longer than the idle limit: the next request signs out.
    desk.bot.clock.advance(minutes=31)
    await page.get_by_role("switch").click()
    await expect(page).to_have_url(re.compile(r"/operator/login\?idle=1$"))
    await expect(page.get_by_role("status")).to_contain_text("しばらく操作がなかったため")
    await page.screenshot(path=str(shots / "operator-sign-in.png"))


async def test_send_anyway_after_confirming_reaches_the_user(
    desk: Desk, new_page: PageFactory
) -> None:
    u = user(507)
    waiting = await claimed_by_sato(desk, u)
    page = await new_page()
    await sign_in(page, desk, "tanaka")
    await page.goto(desk.url + f"/operator/c/{waiting['id']}")
    await page.get_by_label("返信").fill("田中です。佐藤さんの代わりに 一言だけ。")
    await page.get_by_role("button", name="送信", exact=True).click()
    confirm = page.locator("#confirm-dialog")
    await expect(confirm).to_contain_text("佐藤 さんが担当しています")
    await confirm.locator("#confirm-yes").click()
    await expect(page.locator("#thread .author-staff")).to_contain_text("代わりに 一言だけ")
    await desk.bot.settle()
    assert any("代わりに 一言だけ" in text for text in desk.bot.texts(u))


async def test_a_risk_to_life_raises_a_notice_on_the_open_page(
    desk: Desk, new_page: PageFactory
) -> None:
    u = user(508)
    await ask_for_a_person(desk.bot, u)
    page = await new_page()
    await sign_in(page, desk, "sato")
    notice = page.locator("#new-case")
    await desk.bot.send("text", u, text="薬を全部飲んだ")
    await desk.bot.settle()
    await expect(notice).to_contain_text("高リスク")
    await expect(page.locator("#queue-list .case.risk-high")).to_have_count(1)

// The demo chat page: pseudo users, a LINE-like thread, and a long-poll for the bot's replies.
// Every piece of text is put on the page with textContent, never as HTML.
"use strict";

(() => {
  const USERS_KEY = "yorisoi.demo.users";
  const CURRENT_KEY = "yorisoi.demo.current";
  const RETRY_MS = 3000;
  const OFFLINE = "サーバーに つながりません。サーバーが 動いているか、たしかめてください。";

  const $ = (id) => document.getElementById(id);
  const els = {
    newUser: $("new-user"),
    userList: $("user-list"),
    currentUser: $("current-user"),
    block: $("block"),
    unblock: $("unblock"),
    notice: $("notice"),
    noticeText: $("notice-text"),
    noticeClose: $("notice-close"),
    thread: $("thread"),
    quickReplies: $("quick-replies"),
    stickerPicker: $("sticker-picker"),
    blockedNote: $("blocked-note"),
    composer: $("composer"),
    stickerButton: $("sticker-button"),
    imageButton: $("image-button"),
    text: $("text"),
    send: $("send"),
  };

  const state = {
    users: loadUsers(),
    current: null,
    after: 0, // how many of the current user's bot messages are on the page
    blocked: false,
    generation: 0, // bumped on every switch, so late answers for another user are dropped
    controller: null,
    stickers: [],
    lastItem: null,
    noticeSource: null,
  };

  // -- the server ------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(message, status, body) {
      super(message);
      this.status = status;
      this.body = body;
    }
  }

  async function api(path, options = {}) {
    let response;
    try {
      response = await fetch(path, {
        ...options,
        headers: { "Content-Type": "application/json", Accept: "application/json" },
      });
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new ApiError(OFFLINE, 0, null);
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!response.ok) {
      const message = (body && body.message) || `うまく いきませんでした（エラー ${response.status}）。`;
      throw new ApiError(message, response.status, body);
    }
    return body;
  }

  const post = (path, payload) =>
    api(path, { method: "POST", body: JSON.stringify(payload || {}) });

  const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // -- notices ---------------------------------------------------------------------------------

  function showNotice(text, source = "action") {
    els.noticeText.textContent = text;
    els.notice.hidden = false;
    state.noticeSource = source;
  }

  function clearNotice(source) {
    if (source === undefined || state.noticeSource === source) {
      els.notice.hidden = true;
      els.noticeText.textContent = "";
      state.noticeSource = null;
    }
  }

  // -- users -----------------------------------------------------------------------------------

  function loadUsers() {
    try {
      const users = JSON.parse(localStorage.getItem(USERS_KEY) || "[]");
      return Array.isArray(users) ? users.filter((u) => u && /^U[0-9a-f]{32}$/.test(u.id)) : [];
    } catch {
      return [];
    }
  }

  function saveUsers() {
    localStorage.setItem(USERS_KEY, JSON.stringify(state.users));
    if (state.current) localStorage.setItem(CURRENT_KEY, state.current);
  }

  const userName = (user) => user.name || `利用者 ${user.id.slice(-4).toUpperCase()}`;

  function renderUsers() {
    els.userList.replaceChildren();
    for (const user of state.users) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "user-button";
      button.dataset.userId = user.id;
      if (user.id === state.current) button.setAttribute("aria-current", "true");
      const name = document.createElement("span");
      name.className = "user-name";
      name.textContent = userName(user);
      const id = document.createElement("span");
      id.className = "user-id";
      id.textContent = `${user.id.slice(0, 9)}…`;
      button.append(name, id);
      button.addEventListener("click", () => selectUser(user.id));
      item.append(button);
      els.userList.append(item);
    }
    const current = state.users.find((u) => u.id === state.current);
    els.currentUser.textContent = current
      ? `${userName(current)} として 話しています`
      : "利用者が えらばれていません";
  }

  async function createUser() {
    els.newUser.disabled = true;
    try {
      const { userId } = await post("/demo/api/users");
      state.users.push({ id: userId, name: `利用者 ${state.users.length + 1}` });
      saveUsers();
      await selectUser(userId);
      await send({ kind: "follow" }); // 友だち追加: the bot greets a new friend
    } catch (err) {
      showNotice(err.message);
    } finally {
      els.newUser.disabled = false;
    }
  }

  async function selectUser(userId) {
    state.current = userId;
    saveUsers();
    renderUsers();
    closeStickers();
    clearNotice();
    await loadThread();
  }

  // -- the thread ------------------------------------------------------------------------------

  function stopPolling() {
    state.generation += 1;
    if (state.controller) state.controller.abort();
    state.controller = null;
  }

  async function loadThread() {
    stopPolling();
    const generation = state.generation;
    const userId = state.current;
    els.thread.replaceChildren();
    state.lastItem = null;
    updateQuickReplies();
    if (!userId) {
      showEmpty();
      setBlocked(false);
      return;
    }
    try {
      const thread = await api(`/demo/api/thread?user=${encodeURIComponent(userId)}`);
      if (generation !== state.generation) return;
      els.thread.replaceChildren();
      for (const item of thread.items) renderItem(item);
      state.after = thread.next;
      setBlocked(thread.blocked);
      if (!thread.known && thread.items.length === 0) {
        addSystemNote("サーバーが 再起動したため、これまでの やりとりは 残っていません。");
      }
      updateQuickReplies();
      scrollToBottom();
      clearNotice("thread");
      poll(generation);
    } catch (err) {
      if (generation !== state.generation) return;
      showNotice(`${err.message}（トークを 読みこみなおします）`, "thread");
      await delay(RETRY_MS);
      if (generation === state.generation) loadThread();
    }
  }

  async function poll(generation) {
    const controller = new AbortController();
    state.controller = controller;
    while (generation === state.generation) {
      const userId = state.current;
      try {
        const answer = await api(
          `/demo/api/messages?user=${encodeURIComponent(userId)}&after=${state.after}`,
          { signal: controller.signal },
        );
        if (generation !== state.generation) return;
        clearNotice("poll");
        if (answer.reset) {
          loadThread();
          return;
        }
        for (const item of answer.messages) {
          if (item.seq >= state.after) renderItem({ ...item, from: "bot" });
        }
        state.after = Math.max(state.after, answer.next);
        if (answer.messages.length) {
          updateQuickReplies();
          scrollToBottom();
        }
      } catch (err) {
        if (generation !== state.generation || err.name === "AbortError") return;
        showNotice(`${err.message}（自動で つなぎなおします）`, "poll");
        await delay(RETRY_MS);
      }
    }
  }

  function showEmpty() {
    const empty = document.createElement("div");
    empty.className = "empty";
    const title = document.createElement("p");
    title.className = "empty-title";
    title.textContent = "ようこそ";
    const body = document.createElement("p");
    body.textContent =
      "「＋ 新しい利用者」を 押すと、LINEで 友だち追加した ときと 同じように、よりそいが あいさつします。";
    empty.append(title, body);
    els.thread.append(empty);
  }

  function scrollToBottom() {
    els.thread.scrollTop = els.thread.scrollHeight;
  }

  function timeLabel(iso) {
    const when = iso ? new Date(iso) : new Date();
    if (Number.isNaN(when.getTime())) return "";
    return when.toLocaleTimeString("ja-JP", { hour: "2-digit", minute: "2-digit" });
  }

  function addSystemNote(text) {
    const note = document.createElement("div");
    note.className = "system";
    const span = document.createElement("span");
    span.textContent = text;
    note.append(span);
    els.thread.append(note);
    return note;
  }

  // Render one thread item; return the element, so a failed send can be marked on it.
  function renderItem(item) {
    if (els.thread.querySelector(".empty")) els.thread.replaceChildren();
    let element = null;
    if (item.from === "bot") {
      element = renderBot(item);
      state.lastItem = item;
    } else if (item.kind === "follow" || item.kind === "unfollow") {
      element = addSystemNote(item.text);
    } else if (item.kind === "postback" && !item.text) {
      return null; // a postback without displayText shows nothing, as in LINE
    } else {
      element = renderUser(item);
      state.lastItem = item;
    }
    if (item.failed && element) markFailed(element);
    return element;
  }

  function row(side, at) {
    const line = document.createElement("div");
    line.className = `row ${side}`;
    const time = document.createElement("time");
    time.className = "time";
    time.textContent = timeLabel(at);
    if (at) time.dateTime = at;
    return [line, time];
  }

  function renderUser(item) {
    const [line, time] = row("user", item.at);
    let content;
    if (item.kind === "sticker") {
      content = stickerElement(item.sticker);
    } else if (item.kind === "image") {
      content = document.createElement("div");
      content.className = "image-placeholder";
      const glyph = document.createElement("span");
      glyph.className = "image-glyph"; // a little landscape, drawn in CSS
      glyph.setAttribute("aria-hidden", "true");
      const label = document.createElement("span");
      label.textContent = "画像（デモ）";
      content.append(glyph, label);
    } else {
      content = document.createElement("div");
      content.className = "bubble";
      content.textContent = item.text;
    }
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.append(time);
    line.append(meta, content);
    els.thread.append(line);
    return line;
  }

  function stickerElement(sticker) {
    const box = document.createElement("div");
    box.className = "sticker";
    const glyph = document.createElement("span");
    glyph.className = "sticker-glyph";
    glyph.textContent = (sticker && sticker.face) || "(・◇・)";
    const label = document.createElement("span");
    label.className = "sticker-label";
    label.textContent = `[スタンプ]${sticker && sticker.label ? ` ${sticker.label}` : ""}`;
    box.append(glyph, label);
    return box;
  }

  function renderBot(item) {
    const message = item.message || {};
    const [line, time] = row("bot", item.at);
    const icon = document.createElement("span");
    icon.className = "bot-icon";
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = "よ";
    let content;
    if (message.type === "text") {
      content = document.createElement("div");
      content.className = "bubble";
      content.textContent = message.text;
    } else if (message.type === "template" && message.template && message.template.type === "buttons") {
      content = buttonsCard(message.template);
    } else if (message.type === "sticker") {
      content = stickerElement(null);
    } else {
      content = document.createElement("div");
      content.className = "bubble other";
      content.textContent = message.altText || `[${message.type || "メッセージ"}]`;
    }
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.append(time);
    line.append(icon, content, meta);
    els.thread.append(line);
    return line;
  }

  function buttonsCard(template) {
    const card = document.createElement("div");
    card.className = "card";
    if (template.title) {
      const title = document.createElement("p");
      title.className = "card-title";
      title.textContent = template.title;
      card.append(title);
    }
    const text = document.createElement("p");
    text.className = "card-text";
    text.textContent = template.text || "";
    card.append(text);
    for (const action of template.actions || []) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "card-button";
      button.textContent = action.label || "";
      button.addEventListener("click", () => runAction(action));
      card.append(button);
    }
    return card;
  }

  function markFailed(element) {
    if (element.querySelector(".failed")) return;
    const mark = document.createElement("span");
    mark.className = "failed";
    mark.textContent = "送れませんでした";
    const meta = element.querySelector(".meta") || element;
    meta.append(mark);
  }

  function updateQuickReplies() {
    els.quickReplies.replaceChildren();
    const item = state.lastItem;
    const quick = item && item.from === "bot" && item.message && item.message.quickReply;
    const actions = quick ? (quick.items || []).map((i) => i.action).filter(Boolean) : [];
    for (const action of actions) {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip";
      chip.textContent = action.label || "";
      chip.addEventListener("click", () => runAction(action));
      els.quickReplies.append(chip);
    }
    els.quickReplies.hidden = actions.length === 0 || state.blocked;
  }

  function setBlocked(blocked) {
    state.blocked = Boolean(blocked);
    const chosen = Boolean(state.current);
    els.block.hidden = !chosen || state.blocked;
    els.unblock.hidden = !chosen || !state.blocked;
    els.blockedNote.hidden = !state.blocked;
    for (const control of [els.text, els.send, els.stickerButton, els.imageButton]) {
      control.disabled = !chosen || state.blocked;
    }
    if (state.blocked) closeStickers();
    updateQuickReplies();
  }

  // -- sending ---------------------------------------------------------------------------------

  // What the user's side shows at once, before the server answers (as LINE does).
  function shownItem(payload) {
    const item = { from: "user", kind: payload.kind, text: payload.text || "", at: null };
    if (payload.kind === "sticker") {
      item.sticker = state.stickers.find((s) => s.key === payload.sticker) || null;
    } else if (payload.kind === "follow") {
      item.text = payload.unblocked ? "ブロックを解除しました" : "友だち追加しました";
    } else if (payload.kind === "unfollow") {
      item.text = "ブロックしました";
    }
    return item;
  }

  async function send(payload) {
    const userId = state.current;
    if (!userId) {
      showNotice("先に 左の「＋ 新しい利用者」で 利用者を 作ってください。");
      return false;
    }
    const generation = state.generation;
    const element = renderItem(shownItem(payload));
    updateQuickReplies();
    scrollToBottom();
    try {
      const answer = await post("/demo/api/events", { userId, ...payload });
      if (generation === state.generation) setBlocked(answer.blocked);
      clearNotice("action");
      return true;
    } catch (err) {
      if (element) markFailed(element);
      showNotice(err.message);
      return false;
    }
  }

  function runAction(action) {
    if (state.blocked) {
      showNotice("ブロック中は 送れません。「ブロック解除」を 押してください。");
      return;
    }
    if (action.type === "postback") {
      send({ kind: "postback", data: action.data || "", text: action.displayText || "" });
    } else if (action.type === "message") {
      send({ kind: "text", text: action.text || action.label || "" });
    } else {
      showNotice("この ボタンは、デモでは 使えません。");
    }
  }

  async function sendText() {
    const text = els.text.value;
    if (!text.trim()) return;
    els.text.value = "";
    resizeText();
    const sent = await send({ kind: "text", text });
    if (!sent && !els.text.value) {
      els.text.value = text; // keep what was typed, so it can be sent again
      resizeText();
    }
  }

  function resizeText() {
    els.text.style.height = "auto";
    els.text.style.height = `${Math.min(els.text.scrollHeight, 120)}px`;
  }

  // -- stickers --------------------------------------------------------------------------------

  async function loadStickers() {
    try {
      const { stickers } = await api("/demo/api/stickers");
      state.stickers = stickers;
    } catch (err) {
      showNotice(err.message);
      return;
    }
    els.stickerPicker.replaceChildren();
    for (const sticker of state.stickers) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sticker-choice";
      button.title = sticker.label;
      button.dataset.sticker = sticker.key;
      const glyph = document.createElement("span");
      glyph.className = "sticker-glyph";
      glyph.textContent = sticker.face;
      const label = document.createElement("span");
      label.className = "sticker-choice-label";
      label.textContent = sticker.label;
      button.append(glyph, label);
      button.addEventListener("click", () => {
        closeStickers();
        send({ kind: "sticker", sticker: sticker.key });
      });
      els.stickerPicker.append(button);
    }
  }

  function closeStickers() {
    els.stickerPicker.hidden = true;
    els.stickerButton.setAttribute("aria-expanded", "false");
  }

  function toggleStickers() {
    const open = els.stickerPicker.hidden;
    els.stickerPicker.hidden = !open;
    els.stickerButton.setAttribute("aria-expanded", String(open));
    if (open) scrollToBottom(); // the picker takes room from the thread: keep the newest in view
  }

  // -- wiring ----------------------------------------------------------------------------------

  els.newUser.addEventListener("click", createUser);
  els.block.addEventListener("click", () => send({ kind: "unfollow" }));
  els.unblock.addEventListener("click", () => send({ kind: "follow", unblocked: true }));
  els.noticeClose.addEventListener("click", () => clearNotice());
  els.stickerButton.addEventListener("click", toggleStickers);
  els.imageButton.addEventListener("click", () => send({ kind: "image" }));
  els.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    sendText();
  });
  els.text.addEventListener("input", resizeText);
  els.text.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey) return;
    // While an IME is converting, Enter confirms the conversion; it must not send.
    // keyCode 229 covers browsers that end composition before this keydown.
    if (event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    sendText();
  });

  const remembered = localStorage.getItem(CURRENT_KEY);
  state.current = state.users.some((u) => u.id === remembered) ? remembered : null;
  renderUsers();
  setBlocked(false);
  loadStickers();
  loadThread();
})();

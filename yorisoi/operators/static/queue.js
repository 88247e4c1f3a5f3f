// The queue and the conversation pane. Everything shown comes from the JSON API; live events
// only say "this changed", and the page refetches. Messages are kept by id, so a refetch after
// a reconnect shows nothing twice and misses nothing.

import {
  LABELS, announce, api, clearNewCaseNotice, connectLive, el, elapsed, hideAlert, isLead,
  isMine, japanTime, me, notifyNewCase, setupHeader, showAlert,
} from './core.js';

const state = {
  tab: 'waiting',
  openId: me.openId || null,
  conversation: null,
  messages: new Map(), // id -> message, in the order the server gives
  notes: [],
  canned: null,
  records: null,
  knownWaiting: null, // ids seen waiting; null until the first load (no notice for those)
  waitingTotal: 0,
  shown: 0, // cases shown in the current tab's list
  cursor: null, // where the next page of the current tab starts
  loadingMore: false,
};

const $ = (id) => document.getElementById(id);

// --- small views ---------------------------------------------------------------------------

function badge(text, className) {
  return text ? el('span', { className: `badge ${className}`, text }) : null;
}

function riskBadge(risk) {
  return badge(LABELS.risk[risk] || '', `risk-${risk}`);
}

// Repeated distress (two concerns within a day): responders look in; the person got no
// crisis script. The reasons are the screener's, for the responder's eyes only.
function attentionBadge(summary) {
  const reasons = summary.attention || [];
  if (!reasons.length) return null;
  return el('span', {
    className: 'badge attention',
    text: '見守り',
    attrs: { title: `つらさが くりかえし 書かれています（${reasons.join('、')}）` },
  });
}

function intakeText(intake) {
  if (!intake) return '';
  const parts = [intake.age_band, intake.gender, intake.prefecture].filter((part) => part);
  return parts.length ? parts.join('・') : '';
}

function waitingLabel(summary) {
  if (summary.status === 'closed') return `終了 ${japanTime(summary.closed_at)}`;
  if (summary.status === 'waiting') return `待ち ${elapsed(summary.waiting_since)}`;
  return `担当 ${summary.assigned ? summary.assigned.display_name : 'なし'}`;
}

function caseItem(summary) {
  const waited = el('span', {
    className: 'waited',
    text: waitingLabel(summary),
    attrs: { 'data-since': summary.status === 'waiting' ? summary.waiting_since : null },
  });
  const link = el('a', {
    className: 'case-link',
    attrs: {
      href: `/operator/c/${encodeURIComponent(summary.id)}`,
      'data-id': summary.id,
      'aria-current': summary.id === state.openId ? 'true' : null,
    },
  }, [
    el('span', { className: 'case-top' }, [
      el('span', { className: 'pseudonym', text: summary.pseudonym }),
      riskBadge(summary.risk),
      attentionBadge(summary),
      summary.night ? badge('夜間受付', 'night') : null,
    ]),
    el('span', { className: 'case-meta' }, [
      badge(LABELS.topic[summary.topic] || summary.topic, `topic topic-${summary.topic}`),
      badge(LABELS.mode[summary.mode] || '', 'mode'),
      el('span', { className: 'intake', text: intakeText(summary.intake) }),
    ]),
    el('span', { className: 'case-bottom' }, [
      waited,
      summary.last_message_at
        ? el('span', { className: 'last', text: `最終 ${japanTime(summary.last_message_at)}` }) : null,
    ]),
  ]);
  link.addEventListener('click', (event) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    openConversation(summary.id, true);
  });
  return el('li', { className: `case risk-${summary.risk} status-${summary.status}` }, [link]);
}

// --- the queue -----------------------------------------------------------------------------

const PAGE = 50; // cases per request; more load as the list scrolls

// Fetch pages of a view until `wanted` cases are in hand or the view ends. A refresh asks for
// as many as are shown, so a list scrolled far down keeps its place.
async function fetchView(view, wanted, background, after = null) {
  let items = [];
  let cursor = after;
  let total = 0;
  do {
    const query = `status=${view}&limit=${PAGE}${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`;
    const result = await api('GET', `/api/conversations?${query}`, undefined, { background });
    if (!result.ok) return { ok: false, message: result.data.message };
    items = items.concat(result.data.conversations);
    cursor = result.data.next_cursor;
    total = result.data.total;
  } while (cursor && items.length < wanted);
  return { ok: true, items, cursor, total };
}

async function loadWaiting(background) {
  const wanted = state.tab === 'waiting' ? Math.max(PAGE, state.shown) : PAGE;
  const page = await fetchView('waiting', wanted, background);
  if (!page.ok) return null;
  // The badge is the whole queue's true count, not the cases loaded so far.
  $('count-waiting').textContent = page.total ? `(${page.total})` : '';
  const waiting = page.items;
  const ids = new Set(waiting.map((c) => c.id));
  if (state.knownWaiting !== null) {
    const fresh = waiting.filter((c) => !state.knownWaiting.has(c.id));
    const grew = page.total > state.waitingTotal && fresh.length === 0;
    if (fresh.length || grew) {
      const urgent = fresh.some((c) => c.risk === 'high');
      const names = fresh.map((c) => c.pseudonym).join('、');
      notifyNewCase(`${urgent ? '【高リスク】' : ''}新しい相談が届きました${names ? `: ${names}` : ''}`);
    }
  }
  state.knownWaiting = ids;
  state.waitingTotal = page.total;
  return page;
}

function showList(items, cursor, total) {
  state.shown = items.length;
  state.cursor = cursor;
  const more = $('queue-more');
  more.hidden = !cursor;
  more.textContent = `さらに表示（のこり ${Math.max(total - items.length, 0)} 件）`;
  $('queue-empty').hidden = items.length > 0;
}

async function loadQueue(background = false) {
  const waiting = await loadWaiting(background);
  let page = waiting;
  if (state.tab !== 'waiting') {
    page = await fetchView(state.tab, Math.max(PAGE, state.shown), background);
    if (!page.ok) { showAlert(page.message); return; }
  }
  if (page === null) { showAlert('一覧を読み込めませんでした。'); return; }
  $('queue-list').replaceChildren(...page.items.map(caseItem));
  showList(page.items, page.cursor, page.total);
  state.total = page.total;
}

async function loadMore() {
  if (!state.cursor || state.loadingMore) return;
  state.loadingMore = true;
  try {
    const page = await fetchView(state.tab, PAGE, false, state.cursor);
    if (!page.ok) { showAlert(page.message); return; }
    const box = $('queue-list');
    const known = new Set([...box.querySelectorAll('a[data-id]')].map((a) => a.dataset.id));
    box.append(...page.items.filter((c) => !known.has(c.id)).map(caseItem));
    showList([...box.children], page.cursor, page.total);
  } finally {
    state.loadingMore = false;
  }
}

function setupMore() {
  const more = $('queue-more');
  more.addEventListener('click', () => loadMore());
  // Load the next page when the button scrolls into view, as a long list is read.
  if ('IntersectionObserver' in window) {
    new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) loadMore();
    }).observe(more);
  }
}

function selectTab(tab, focus) {
  state.tab = tab;
  state.shown = 0;
  for (const button of document.querySelectorAll('[role="tab"]')) {
    const selected = button.dataset.status === tab;
    button.setAttribute('aria-selected', String(selected));
    button.tabIndex = selected ? 0 : -1;
    if (selected) {
      $('queue-list').setAttribute('aria-labelledby', button.id);
      if (focus) button.focus();
    }
  }
  if (tab === 'waiting') clearNewCaseNotice();
  loadQueue();
}

function setupTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  tabs.forEach((button, index) => {
    button.addEventListener('click', () => selectTab(button.dataset.status, false));
    button.addEventListener('keydown', (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step) {
        event.preventDefault();
        selectTab(tabs[(index + step + tabs.length) % tabs.length].dataset.status, true);
      }
    });
  });
}

// Waiting times tick without refetching.
window.setInterval(() => {
  for (const node of document.querySelectorAll('.waited[data-since]')) {
    node.textContent = `待ち ${elapsed(node.dataset.since)}`;
  }
}, 10000);

// --- the conversation ----------------------------------------------------------------------

function authorLabel(message) {
  if (message.author === 'user') return '相談者';
  if (message.author === 'bot') return 'ボット';
  return `相談員 ${message.staff || ''}`.trim();
}

function messageBody(message) {
  const kind = message.kind || 'text';
  if (kind === 'text') return el('p', { className: 'text', text: message.text || '' });
  const label = LABELS.kind[kind] || kind;
  const shown = message.text ? `[${label}] ${message.text}` : `[${label}]`;
  return el('p', { className: `text non-text kind-${kind}`, text: shown });
}

function deliveryBadge(message) {
  if (message.direction !== 'out' || !message.delivery) return null;
  return el('span', {
    className: `delivery delivery-${message.delivery}`,
    text: LABELS.delivery[message.delivery] || message.delivery,
  });
}

function messageItem(message) {
  return el('li', {
    className: `msg ${message.direction} author-${message.author}`,
    attrs: { 'data-id': message.id },
  }, [
    el('div', { className: 'msg-meta' }, [
      el('span', { className: 'author', text: authorLabel(message) }),
      el('time', { text: japanTime(message.at), attrs: { datetime: message.at } }),
      deliveryBadge(message),
    ]),
    messageBody(message),
  ]);
}

function drawThread() {
  const list = $('thread');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const existing = new Map([...list.children].map((node) => [node.dataset.id, node]));
  const wanted = [...state.messages.values()];
  const fresh = wanted.map((message) => {
    const old = existing.get(message.id);
    const node = messageItem(message);
    if (old && old.isEqualNode(node)) return old;
    return node;
  });
  list.replaceChildren(...fresh);
  if (atBottom || list.dataset.first !== 'no') {
    list.scrollTop = list.scrollHeight;
    list.dataset.first = 'no';
  }
}

function mergeMessages(messages) {
  // The server's list is the whole thread in order; keep it, keyed by id (no duplicates).
  const merged = new Map();
  for (const message of messages) merged.set(message.id, message);
  // A message this page just sent may not be in a list fetched a moment earlier.
  for (const [id, message] of state.messages) {
    if (!merged.has(id) && message.pendingLocal) merged.set(id, message);
  }
  state.messages = merged;
}

function drawNotes() {
  $('notes-count').textContent = state.notes.length ? `(${state.notes.length})` : '';
  $('notes-list').replaceChildren(...state.notes.map((note) => el('li', { className: 'note' }, [
    el('div', { className: 'msg-meta' }, [
      el('span', { className: 'author', text: note.author }),
      el('time', { text: japanTime(note.at), attrs: { datetime: note.at } }),
    ]),
    el('p', { className: 'text', text: note.text }),
  ])));
}

function fact(term, value) {
  if (!value) return [];
  return [el('dt', { text: term }), el('dd', { text: value })];
}

function drawHeader() {
  const c = state.conversation;
  $('conv-title').textContent = c.pseudonym;
  $('conv-badges').replaceChildren(...[
    riskBadge(c.risk),
    badge(LABELS.status[c.status], `status status-${c.status}`),
    badge(LABELS.topic[c.topic] || c.topic, `topic topic-${c.topic}`),
    badge(LABELS.mode[c.mode] || '', 'mode'),
    c.night ? badge('夜間受付', 'night') : null,
  ].filter((node) => node));
  const intake = c.intake || {};
  $('conv-facts').replaceChildren(
    ...fact('年代', intake.age_band), ...fact('性別', intake.gender),
    ...fact('都道府県', intake.prefecture), ...fact('受付', japanTime(c.opened_at)),
    ...fact('担当', c.assigned ? c.assigned.display_name : '未担当'),
  );
  const mine = isMine(c.assigned);
  const other = c.assigned && !mine;
  $('claim').hidden = !(c.status !== 'closed' && !c.assigned);
  $('take-over').hidden = !(isLead && c.status !== 'closed' && other);
  $('open-close').hidden = !(c.status === 'active' && (mine || isLead));

  const reply = $('reply');
  const hint = $('reply-hint');
  $('reply-area').hidden = c.status === 'closed';
  reply.disabled = !c.assigned;
  $('send').disabled = !c.assigned;
  $('canned-toggle').disabled = !c.assigned;
  hint.hidden = mine;
  if (!c.assigned) hint.textContent = '「担当する」を押すと、返信できます。';
  else if (other) hint.textContent = `この相談は ${c.assigned.display_name} さんが担当しています。送信の前に確認します。`;
}

async function loadConversation(background = false) {
  const id = state.openId;
  if (!id) return;
  const result = await api('GET', `/api/conversations/${encodeURIComponent(id)}`, undefined, { background });
  if (id !== state.openId) return; // another case was opened meanwhile
  if (!result.ok) {
    showAlert(result.data.message);
    if (result.status === 404 || result.status === 403) closePane();
    return;
  }
  state.conversation = result.data.conversation;
  mergeMessages(result.data.messages || []);
  state.notes = result.data.notes || [];
  drawHeader();
  drawThread();
  drawNotes();
}

async function openConversation(id, fromUser) {
  if (state.openId !== id) {
    state.messages = new Map();
    $('thread').replaceChildren();
    $('thread').dataset.first = 'yes';
    $('reply').value = '';
  }
  state.openId = id;
  if (fromUser) clearNewCaseNotice();
  document.body.classList.add('thread-open');
  $('conversation').hidden = false;
  $('no-conversation').hidden = true;
  if (fromUser) window.history.pushState({ id }, '', `/operator/c/${encodeURIComponent(id)}`);
  for (const link of document.querySelectorAll('.case-link')) {
    link.setAttribute('aria-current', String(link.dataset.id === id));
  }
  await loadConversation();
  if (fromUser) $('conv-title').focus();
}

function closePane() {
  state.openId = null;
  state.conversation = null;
  document.body.classList.remove('thread-open');
  $('conversation').hidden = true;
  $('no-conversation').hidden = false;
}

// --- actions -------------------------------------------------------------------------------

async function claim(takeOver) {
  const c = state.conversation;
  const result = await api('POST', `/api/conversations/${encodeURIComponent(c.id)}/claim`,
    takeOver ? { take_over: true } : {});
  if (!result.ok) {
    showAlert(result.data.message);
    await loadConversation();
    return;
  }
  hideAlert();
  state.conversation = result.data.conversation;
  drawHeader();
  announce(takeOver ? '引き継ぎました' : '担当になりました');
  $('reply').focus();
  loadQueue(true);
}

function confirmSend(text) {
  const dialog = $('confirm-dialog');
  $('confirm-text').textContent = text;
  return new Promise((resolve) => {
    const done = (answer) => {
      $('confirm-yes').removeEventListener('click', yes);
      $('confirm-no').removeEventListener('click', no);
      dialog.removeEventListener('cancel', no);
      dialog.close();
      resolve(answer);
    };
    const yes = () => done(true);
    const no = () => done(false);
    $('confirm-yes').addEventListener('click', yes);
    $('confirm-no').addEventListener('click', no);
    dialog.addEventListener('cancel', no);
    dialog.showModal();
    $('confirm-no').focus();
  });
}

async function send() {
  const c = state.conversation;
  const box = $('reply');
  const text = box.value;
  if (!c || !text.trim()) { box.focus(); return; }
  if (c.assigned && !isMine(c.assigned)) {
    const ok = await confirmSend(
      `この相談は ${c.assigned.display_name} さんが担当しています。それでも送信しますか？`);
    if (!ok) { box.focus(); return; }
  }
  $('send').disabled = true;
  $('reply-status').textContent = '送信しています…';
  const body = { text };
  if (c.assigned && !isMine(c.assigned)) body.confirm_other = true;  // confirmed just above
  const result = await api('POST', `/api/conversations/${encodeURIComponent(c.id)}/messages`, body);
  $('send').disabled = false;
  if (!result.ok) {
    $('reply-status').textContent = '';
    showAlert(result.data.message);
    box.focus();
    return;
  }
  hideAlert();
  if (state.openId === c.id) {
    const message = result.data.message;
    if (!state.messages.has(message.id)) state.messages.set(message.id, { ...message, pendingLocal: true });
    drawThread();
  }
  box.value = '';
  $('reply-status').textContent = '送信しました';
  box.focus();
}

async function addNote() {
  const c = state.conversation;
  const box = $('note');
  const text = box.value.trim();
  if (!c || !text) { box.focus(); return; }
  const result = await api('POST', `/api/conversations/${encodeURIComponent(c.id)}/notes`, { text });
  if (!result.ok) { showAlert(result.data.message); return; }
  hideAlert();
  if (!state.notes.some((note) => note.id === result.data.note.id)) state.notes.push(result.data.note);
  drawNotes();
  box.value = '';
  announce('メモを追加しました');
}

// --- canned replies ------------------------------------------------------------------------

function insertAtCursor(text) {
  const box = $('reply');
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? box.value.length;
  box.setRangeText(text, start, end, 'end');
  box.focus();
}

function drawCanned() {
  const query = $('canned-search').value.trim().toLowerCase();
  const topic = state.conversation ? state.conversation.topic : null;
  const items = (state.canned || [])
    .filter((reply) => !topic || reply.topics.includes(topic))
    .filter((reply) => !query || `${reply.title}\n${reply.text}`.toLowerCase().includes(query));
  $('canned-list').replaceChildren(...items.map((reply) => {
    const button = el('button', { className: 'canned-item', attrs: { type: 'button' } }, [
      el('span', { className: 'canned-title', text: reply.title }),
      el('span', { className: 'canned-text', text: reply.text }),
    ]);
    button.addEventListener('click', () => {
      insertAtCursor(reply.text);
      toggleCanned(false);
      announce(`定型文「${reply.title}」を入れました`);
    });
    return el('li', {}, [button]);
  }));
  if (!items.length) $('canned-list').append(el('li', { className: 'empty', text: '見つかりません。' }));
}

async function toggleCanned(open) {
  const panel = $('canned-panel');
  const show = open === undefined ? panel.hidden : open;
  panel.hidden = !show;
  $('canned-toggle').setAttribute('aria-expanded', String(show));
  if (!show) return;
  if (state.canned === null) {
    const result = await api('GET', '/api/canned');
    if (!result.ok) { showAlert(result.data.message); return; }
    state.canned = result.data.canned;
  }
  drawCanned();
  $('canned-search').focus();
}

// --- close with a case record --------------------------------------------------------------

function option(choice) {
  return el('option', { text: choice.label, attrs: { value: choice.key } });
}

async function openCloseForm() {
  if (state.records === null) {
    const result = await api('GET', '/api/records');
    if (!result.ok) { showAlert(result.data.message); return; }
    state.records = result.data;
    $('close-category').replaceChildren(
      el('option', { text: 'えらんでください', attrs: { value: '' } }),
      ...state.records.categories.map(option));
    $('close-response').replaceChildren(
      el('option', { text: 'えらんでください', attrs: { value: '' } }),
      ...state.records.response_types.map(option));
    $('close-referrals').replaceChildren(...state.records.referrals.map((name, index) => el('label', {
      className: 'check',
    }, [
      el('input', { attrs: { type: 'checkbox', value: name, id: `referral-${index}` } }),
      document.createTextNode(name),
    ])));
  }
  $('close-form').reset();
  $('close-error').hidden = true;
  $('close-dialog').showModal();
  $('close-category').focus();
}

async function submitClose(event) {
  event.preventDefault();
  const c = state.conversation;
  const category = $('close-category').value;
  const responseType = $('close-response').value;
  const error = $('close-error');
  if (!category || !responseType) {
    error.textContent = '相談の分類と対応の種類をえらんでください。';
    error.hidden = false;
    (category ? $('close-response') : $('close-category')).focus();
    return;
  }
  const referrals = [...document.querySelectorAll('#close-referrals input:checked')].map((box) => box.value);
  for (const name of $('close-referral-other').value.split(/[、,\n]/)) {
    if (name.trim() && !referrals.includes(name.trim())) referrals.push(name.trim());
  }
  const result = await api('POST', `/api/conversations/${encodeURIComponent(c.id)}/close`, {
    category, response_type: responseType, note: $('close-note').value, referrals,
  });
  if (!result.ok) {
    error.textContent = result.data.message;
    error.hidden = false;
    return;
  }
  $('close-dialog').close();
  state.conversation = result.data.conversation;
  drawHeader();
  announce('相談を終了しました');
  $('conv-title').focus();
  loadQueue(true);
}

// --- live updates --------------------------------------------------------------------------

let refreshing = null;
let again = false;

/** Refetch the queue and the open thread; calls during a refetch fold into one more. */
function refresh() {
  if (refreshing) { again = true; return refreshing; }
  refreshing = (async () => {
    do {
      again = false;
      await loadQueue(true);
      await loadConversation(true);
    } while (again);
    refreshing = null;
  })();
  return refreshing;
}

const ALERTS = {
  risk_high: '【高リスク】いのちの危険のサインがある相談があります',
  waiting_too_long: '待ち時間が長くなっている相談があります',
};

function onEvent(event) {
  if (event.alert && ALERTS[event.alert]) notifyNewCase(ALERTS[event.alert]);
  if (event.type === 'delivery' && event.id !== state.openId) return;
  refresh();
}

// Events reach only the sockets of the process that committed the change; with several
// workers, a slow background refetch makes sure nothing stays unseen for long.
const BACKGROUND_REFRESH_MS = 30000;
window.setInterval(() => { if (!document.hidden) refresh(); }, BACKGROUND_REFRESH_MS);

// --- wiring --------------------------------------------------------------------------------

setupHeader();
setupTabs();
setupMore();
$('claim').addEventListener('click', () => claim(false));
$('take-over').addEventListener('click', () => claim(true));
$('send').addEventListener('click', send);
$('add-note').addEventListener('click', addNote);
$('canned-toggle').addEventListener('click', () => toggleCanned());
$('canned-search').addEventListener('input', drawCanned);
$('canned-panel').addEventListener('keydown', (event) => {
  if (event.key === 'Escape') { toggleCanned(false); $('canned-toggle').focus(); }
});
$('open-close').addEventListener('click', openCloseForm);
$('close-form').addEventListener('submit', submitClose);
$('close-cancel').addEventListener('click', () => $('close-dialog').close());
$('back').addEventListener('click', () => {
  closePane();
  window.history.pushState({}, '', '/operator');
  const link = document.querySelector('.case-link');
  if (link) link.focus();
});
$('new-case').addEventListener('click', () => selectTab('waiting', true));
window.addEventListener('popstate', () => {
  const match = window.location.pathname.match(/^\/operator\/c\/(.+)$/);
  if (match) openConversation(decodeURIComponent(match[1]), false);
  else closePane();
});

loadQueue();
if (state.openId) openConversation(state.openId, false);
connectLive(onEvent, refresh);

// The supervisor screen: everyone's waiting and active cases, take over or reassign them,
// who is on duty, and everyone's shifts of the coming week. Refetches on every live event.

import {
  LABELS, announce, api, connectLive, el, elapsed, hideAlert, isMine, isStaff, japanTime,
  notifyNewCase, setupHeader, showAlert,
} from './core.js';

let staff = [];

function assignControls(summary) {
  const wrap = el('div', { className: 'row-actions' });
  const open = el('a', { text: '開く', attrs: { href: `/operator/c/${encodeURIComponent(summary.id)}` } });
  wrap.append(open);
  if (!isMine(summary.assigned)) {
    const take = el('button', { text: '引き継ぐ', attrs: { type: 'button' } });
    take.addEventListener('click', async () => {
      const result = await api('POST', `/api/conversations/${encodeURIComponent(summary.id)}/claim`, { take_over: true });
      if (!result.ok) { showAlert(result.data.message); return; }
      hideAlert();
      announce(`${summary.pseudonym} を引き継ぎました`);
      load();
    });
    wrap.append(take);
  }
  const selectId = `assign-${summary.id}`;
  const select = el('select', { attrs: { id: selectId, 'aria-label': `${summary.pseudonym} の担当者` } },
    staff.map((member) => el('option', {
      text: `${member.display_name}${member.on_duty ? '' : '（休憩中）'}`,
      attrs: { value: member.login, selected: isStaff(summary.assigned, member) },
    })));
  const assign = el('button', { text: '担当を変更', attrs: { type: 'button' } });
  assign.addEventListener('click', async () => {
    const result = await api('POST', `/api/conversations/${encodeURIComponent(summary.id)}/assign`, { login: select.value });
    if (!result.ok) { showAlert(result.data.message); return; }
    hideAlert();
    announce(`${summary.pseudonym} の担当を変更しました`);
    load();
  });
  wrap.append(select, assign);
  return wrap;
}

function row(summary) {
  const since = summary.status === 'waiting' ? summary.waiting_since : summary.claimed_at;
  return el('tr', { className: `risk-${summary.risk}`, attrs: { 'data-id': summary.id } }, [
    el('th', { text: summary.pseudonym, attrs: { scope: 'row' } }),
    el('td', {}, [el('span', { className: `badge risk-${summary.risk}`, text: LABELS.risk[summary.risk] || 'なし' })]),
    el('td', { text: LABELS.topic[summary.topic] || summary.topic }),
    el('td', { text: `${LABELS.status[summary.status]}${summary.night ? '・夜間受付' : ''}` }),
    el('td', { text: summary.assigned ? summary.assigned.display_name : '未担当' }),
    el('td', { text: since ? `${elapsed(since)}（${japanTime(since)}〜）` : '' }),
    el('td', {}, [assignControls(summary)]),
  ]);
}

let loading = null;
let again = false;

const PAGE = 200; // open cases per request, in queue order
let shown = PAGE; // how many the table shows; "さらに表示" adds a page

// The open cases (waiting and active, in queue order), page by page up to `wanted`.
async function openCases(wanted) {
  let items = [];
  let cursor = null;
  let total = 0;
  do {
    const after = cursor ? `&after=${encodeURIComponent(cursor)}` : '';
    const result = await api('GET', `/api/conversations?status=open&limit=${PAGE}${after}`, undefined, { background: true });
    if (!result.ok) return result;
    items = items.concat(result.data.conversations);
    cursor = result.data.next_cursor;
    total = result.data.total;
  } while (cursor && items.length < wanted);
  return { ok: true, data: { items, cursor, total } };
}

function countsText(counts) {
  const topics = (part) => Object.entries(part.by_topic)
    .map(([topic, n]) => `${LABELS.topic[topic] || topic} ${n}`).join('・');
  const waiting = counts.waiting;
  const high = waiting.by_risk.high || 0;
  return `待機中 ${waiting.total} 件${high ? `（高リスク ${high} 件）` : ''}${waiting.total ? `：${topics(waiting)}` : ''}`
    + ` ／ 対応中 ${counts.active.total} 件${counts.active.total ? `：${topics(counts.active)}` : ''}`;
}

async function loadOnce() {
  const [open, people, counts] = await Promise.all([
    openCases(shown),
    api('GET', '/api/staff', undefined, { background: true }),
    api('GET', '/api/queue/counts', undefined, { background: true }),
  ]);
  for (const result of [open, people, counts]) {
    if (!result.ok) { showAlert(result.data.message); return; }
  }
  staff = people.data.staff;
  const cases = open.data.items;
  document.getElementById('cases-body').replaceChildren(...cases.map(row));
  document.getElementById('cases-empty').hidden = cases.length > 0;
  document.getElementById('case-counts').textContent = countsText(counts.data);
  const more = document.getElementById('cases-more');
  more.hidden = !open.data.cursor;
  more.textContent = `さらに表示（のこり ${open.data.total - cases.length} 件）`;
  document.getElementById('staff-list').replaceChildren(...staff.map((member) => el('li', {}, [
    el('span', { text: member.display_name }),
    el('span', { className: 'role', text: `（${LABELS.role[member.role] || member.role}）` }),
    el('span', { className: `badge ${member.on_duty ? 'on-duty' : 'off-duty'}`, text: member.on_duty ? '対応中' : '休憩中' }),
    member.on_shift_now ? el('span', { className: 'badge on-shift', text: 'シフト中' }) : null,
    el('span', { className: 'hint shifts', text: shiftText(member) }),
  ])));
  const unknown = people.data.shifts_without_staff || [];
  const note = document.getElementById('shifts-unknown');
  note.textContent = unknown.length
    ? `operators/shifts.yaml に、アカウントのない ログイン名が あります：${unknown.join('、')}`
    : '';
  note.hidden = unknown.length === 0;
}

// The coming week's shifts in Japan time (the server words each one), e.g.
// "シフト（日本時間）：11/24(火) 17:00–20:00、11/26(木) 22:00–翌02:00（Europe/Berlin の時刻で登録）".
function shiftText(member) {
  if (!member.shift_timezone) return 'シフト未登録';
  const shifts = member.shifts_jst || [];
  const list = shifts.length ? shifts.map((shift) => shift.label).join('、') : '7日以内のシフトなし';
  const own = member.shift_timezone === 'Asia/Tokyo' ? '' : `（${member.shift_timezone} の時刻で登録）`;
  return `シフト（日本時間）：${list}${own}`;
}

function load() {
  if (loading) { again = true; return loading; }
  loading = (async () => {
    do { again = false; await loadOnce(); } while (again);
    loading = null;
  })();
  return loading;
}

setupHeader();
document.getElementById('cases-more').addEventListener('click', () => { shown += PAGE; load(); });
load();
const ALERTS = {
  risk_high: '【高リスク】いのちの危険のサインがある相談があります',
  waiting_too_long: '待ち時間が長くなっている相談があります',
};
connectLive((event) => {
  if (event && event.alert && ALERTS[event.alert]) notifyNewCase(ALERTS[event.alert]);
  load();
}, () => load());
// Live events come only from this server process; refetch now and then as a safety net.
window.setInterval(() => { if (!document.hidden) load(); }, 30000);

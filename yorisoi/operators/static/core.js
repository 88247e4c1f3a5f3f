// What every signed-in operator page shares: the API helper, labels and time formats, the
// live-update socket with reconnects, the header (on-duty switch, mute, sign-out) and idle
// sign-out. User text is only ever put on the page through textContent (see `el`).

const sessionMeta = document.querySelector('meta[name="yorisoi-session"]');

export const me = {
  login: sessionMeta ? sessionMeta.dataset.login : '',
  id: sessionMeta ? sessionMeta.dataset.staffId : '',
  role: sessionMeta ? sessionMeta.dataset.role : '',
  idleSeconds: sessionMeta ? Number(sessionMeta.dataset.idleSeconds) : 1800,
  openId: sessionMeta ? sessionMeta.dataset.open : '',
};
export const isLead = me.role === 'supervisor' || me.role === 'admin';

/** True if a summary's `assigned` ({login|id, display_name}) is the signed-in staff member. */
export function isMine(assigned) {
  if (!assigned) return false;
  if (assigned.login) return assigned.login === me.login;
  return Boolean(assigned.id) && assigned.id === me.id;
}

/** True if `assigned` names this staff member ({login, ...} or {id, ...}). */
export function isStaff(assigned, member) {
  if (!assigned) return false;
  if (assigned.login) return assigned.login === member.login;
  return Boolean(assigned.id) && assigned.id === member.id;
}

// The server's clock may differ from this computer's (and is injected in tests): waiting
// times count from the server's "now" at page load plus the time elapsed here.
const serverOffset = sessionMeta && sessionMeta.dataset.serverNow
  ? Date.parse(sessionMeta.dataset.serverNow) - Date.now() : 0;
export function serverNow() { return Date.now() + serverOffset; }

export const LABELS = {
  topic: { youth: '若者', mothers: 'ママ', general: '一般' },
  mode: { handoff: '相談', vent: 'モヤモヤ', night: '夜間' },
  status: { waiting: '待機中', active: '対応中', closed: '終了' },
  risk: { high: '高リスク', concern: '要注意', none: '' },
  delivery: {
    queued: '送信待ち', sent: '送信済み', failed: '送信失敗', waiting_quota: '送信上限のため待機中',
    uncertain: '届いたか不明', skipped: '送信なし',
  },
  kind: {
    sticker: 'スタンプ', image: '画像', video: '動画', audio: '音声', file: 'ファイル',
    location: '位置情報', postback: 'ボタン', follow: '友だち追加', unfollow: 'ブロック',
  },
  role: { responder: '相談員', supervisor: 'スーパーバイザー', admin: '管理者' },
};

const jst = new Intl.DateTimeFormat('ja-JP', {
  timeZone: 'Asia/Tokyo', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit',
});

/** "11/23 10:05" in Japan time, whatever this computer's time zone. */
export function japanTime(iso) {
  if (!iso) return '';
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? '' : jst.format(at);
}

/** "12分", "1時間5分", "2日3時間" since an ISO time, by the server's clock. */
export function elapsed(iso) {
  const since = Date.parse(iso);
  if (Number.isNaN(since)) return '';
  const minutes = Math.max(0, Math.floor((serverNow() - since) / 60000));
  if (minutes < 60) return `${minutes}分`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}時間${minutes % 60}分`;
  return `${Math.floor(hours / 24)}日${hours % 24}時間`;
}

/** Make an element; `text` goes through textContent, never innerHTML. */
export function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
  for (const [name, value] of Object.entries(options.attrs || {})) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

export function showAlert(message) {
  const box = document.getElementById('alert');
  if (!box) return;
  document.getElementById('alert-text').textContent = message;
  box.hidden = false;
}

export function hideAlert() {
  const box = document.getElementById('alert');
  if (box) box.hidden = true;
}

export function announce(message) {
  const region = document.getElementById('announcer');
  if (!region) return;
  region.textContent = '';
  window.setTimeout(() => { region.textContent = message; }, 50);
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : '';
}

let lastActivityPing = Date.now();

/**
 * Call the JSON API. Writes carry the CSRF token. `background` marks calls the page makes
 * on its own (refetch after a live update): they do not count as the user's activity.
 * Returns {ok, status, data}; a lost session sends the browser to the sign-in page.
 */
export async function api(method, path, body, { background = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (background) headers['X-Yorisoi-Background'] = '1';
  else lastActivityPing = Date.now();
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin', cache: 'no-store',
    });
  } catch (error) {
    return { ok: false, status: 0, data: { error: 'network', message: 'サーバーにつながりません。通信を確認してください。' } };
  }
  let data = {};
  try { data = await response.json(); } catch (error) { data = {}; }
  if (response.status === 401) {
    window.location.assign(data.error === 'idle' ? '/operator/login?idle=1' : '/operator/login');
  }
  if (!response.ok && !data.message) {
    data.message = `うまくいきませんでした（${response.status}）。もう一度ためしてください。`;
  }
  return { ok: response.ok, status: response.status, data };
}

// --- notices for new waiting cases ---------------------------------------------------------

const MUTE_KEY = 'yorisoi.operator.muted';
let audio = null;

export function muted() { return window.localStorage.getItem(MUTE_KEY) === '1'; }

function beep() {
  try {
    audio = audio || new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.2, audio.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.5);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.5);
  } catch (error) {
    // No audio device (or not allowed yet): the visual notice still shows.
  }
}

const baseTitle = document.title;
let unseen = 0;

/** Tell the responder a new case is waiting: sound (unless muted), title and a banner. */
export function notifyNewCase(text) {
  unseen += 1;
  document.title = `(${unseen}) ${baseTitle}`;
  document.body.classList.add('has-new-case');
  const banner = document.getElementById('new-case');
  if (banner) { banner.textContent = text; banner.hidden = false; }
  announce(text);
  if (!muted()) beep();
}

export function clearNewCaseNotice() {
  unseen = 0;
  document.title = baseTitle;
  document.body.classList.remove('has-new-case');
  const banner = document.getElementById('new-case');
  if (banner) banner.hidden = true;
}

// --- the live socket -----------------------------------------------------------------------

/**
 * Keep a websocket to /api/live open. `onEvent(event)` gets every event; `onCatchUp()` runs
 * after every reconnect (events may have been missed: refetch everything).
 */
export function connectLive(onEvent, onCatchUp) {
  const status = document.getElementById('connection');
  let attempts = 0;
  let connectedBefore = false;

  function show(state, text) {
    if (!status) return;
    status.dataset.state = state;
    status.textContent = text;
  }

  function open() {
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${window.location.host}/api/live`);
    socket.addEventListener('message', (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch (error) { return; }
      if (event.type === 'hello') {
        attempts = 0;
        show('online', '接続中');
        if (connectedBefore) onCatchUp();
        connectedBefore = true;
        return;
      }
      onEvent(event);
    });
    socket.addEventListener('close', () => {
      attempts += 1;
      show('offline', '接続が切れました。再接続しています…');
      // Back off (1 s, 2 s, 4 s … 15 s) with jitter so a restart is not hit by everyone at once.
      const delay = Math.min(15000, 1000 * 2 ** Math.min(attempts - 1, 4)) * (0.75 + Math.random() / 2);
      window.setTimeout(async () => {
        if (attempts > 2) await api('GET', '/api/me', undefined, { background: true }); // signed out?
        open();
      }, delay);
    });
  }
  show('connecting', '接続しています…');
  open();
}

// --- header: on-duty switch, mute, sign-out, idle sign-out -------------------------------

export function setupHeader() {
  const duty = document.getElementById('duty');
  duty.addEventListener('click', async () => {
    const wanted = duty.getAttribute('aria-checked') !== 'true';
    duty.disabled = true;
    const result = await api('PUT', '/api/me/duty', { on_duty: wanted });
    duty.disabled = false;
    if (!result.ok) { showAlert(result.data.message); return; }
    duty.setAttribute('aria-checked', String(result.data.on_duty));
    duty.textContent = result.data.on_duty ? '対応中' : '休憩中';
    announce(result.data.on_duty ? '対応中にしました' : '休憩中にしました');
  });

  const mute = document.getElementById('mute');
  const drawMute = () => {
    mute.setAttribute('aria-pressed', String(muted()));
    mute.textContent = muted() ? '通知音 オフ' : '通知音 オン';
  };
  mute.addEventListener('click', () => {
    window.localStorage.setItem(MUTE_KEY, muted() ? '0' : '1');
    drawMute();
  });
  drawMute();

  document.getElementById('logout').addEventListener('click', async () => {
    await api('POST', '/api/logout', {});
    window.location.assign('/operator/login');
  });
  document.getElementById('alert-close').addEventListener('click', hideAlert);

  // Idle sign-out: the server ends a session nobody used for a while; the page follows it on
  // its own, and tells the server about reading and typing that sends nothing.
  let lastInput = Date.now();
  const touched = () => {
    lastInput = Date.now();
    if (Date.now() - lastActivityPing > 60000) api('GET', '/api/me');
  };
  for (const type of ['keydown', 'pointerdown', 'wheel', 'touchstart']) {
    window.addEventListener(type, touched, { passive: true });
  }
  window.setInterval(async () => {
    if (Date.now() - lastInput > me.idleSeconds * 1000) {
      await api('POST', '/api/logout', {}, { background: true });
      window.location.assign('/operator/login?idle=1');
    }
  }, 15000);
}

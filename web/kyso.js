// kyso.js: client for the kyso-agent API (docs/agent.md). ES module, no dependencies.
//
//   import { KysoAgent } from './kyso.js';
//   const agent = new KysoAgent();
//   const { pdf } = await agent.signPdf(blob, { role: 'approval', document: 'a.pdf' });

export class KysoError extends Error {
  constructor(code, message, status) {
    super(message);
    this.name = 'KysoError';
    this.code = code;
    this.status = status || 0;
  }
}

// What a page can be told when the agent cannot be reached (docs/agent.md, "Errors in the
// browser"). The browser hides the cause (a fetch TypeError, a WebSocket closed with 1006);
// diagnose() finds it with two probes and the permission state.
export const MESSAGES = {
  'agent-not-running':
    'Thành phần ký số kyso-agent chưa chạy trên máy tính này. Hãy đăng xuất rồi đăng nhập lại ' +
    '(hoặc chạy "systemctl --user start kyso-agent"), rồi thử ký lại. Nếu vẫn lỗi, chạy "kyso doctor".',
  'agent-not-trusted':
    'Trình duyệt chưa tin cậy chứng thư bảo mật của kyso-agent nên không kết nối được. Hãy chạy ' +
    '"sudo kyso setup --repair", đóng hẳn trình duyệt rồi mở lại.',
  'blocked-by-browser':
    'Trình duyệt đã chặn trang này kết nối tới thành phần ký số trên máy (quyền "Mạng cục bộ" / ' +
    '"Local network access"). Bấm biểu tượng bên trái thanh địa chỉ, chọn Cho phép truy cập mạng ' +
    'cục bộ rồi tải lại trang; hoặc nhờ quản trị chạy "sudo kyso setup --origin {origin}".',
  'origin-not-allowed':
    'kyso-agent không nhận yêu cầu ký từ trang {origin}: trang này chưa được khai báo. Nhờ quản trị ' +
    'chạy "sudo kyso setup --origin {origin}".',
  'unreachable':
    'Không kết nối được thành phần ký số kyso-agent. Có thể: chưa chạy, chứng thư của nó chưa được ' +
    'tin cậy trong trình duyệt, hoặc trình duyệt chặn truy cập mạng cục bộ. Hãy chạy "kyso doctor".',
};

function pageOrigin() {
  return typeof location !== 'undefined' ? location.origin : '';
}

function reachError(code) {
  return new KysoError(code, MESSAGES[code].split('{origin}').join(pageOrigin()));
}

// Does a request to url get any HTTP answer? init: the fetch mode. A no-cors GET carries no
// Origin header, so the agent's origin check does not refuse it (its answer is opaque; no-cors
// only allows redirect 'follow'). The plain-HTTP probe is a CORS GET: the agent answers plain
// HTTP on its TLS ports with a constant "use https" (426) that any origin may read.
async function answers(url, init, timeoutMs) {
  const ctl = typeof AbortController !== 'undefined' ? new AbortController() : null;
  const t = ctl ? setTimeout(() => ctl.abort(), timeoutMs) : null;
  try {
    await fetch(url, { ...init, cache: 'no-store', credentials: 'omit', signal: ctl ? ctl.signal : undefined });
    return true;
  } catch (e) {
    return false;
  } finally {
    if (t) clearTimeout(t);
  }
}

// The page's permission to reach loopback addresses ('granted', 'prompt', 'denied'), or null
// when the browser has no such permission (then it does not block).
async function loopbackPermission() {
  if (typeof navigator === 'undefined' || !navigator.permissions) return null;
  for (const name of ['loopback-network', 'local-network-access']) {
    try {
      return (await navigator.permissions.query({ name })).state;
    } catch (e) { /* this browser does not know the name */ }
  }
  return null;
}

/**
 * Why the agent at base (https://localhost:PORT) could not be reached: one of the codes of
 * MESSAGES. path is a resource that answers without an Origin header (kyso API: /v1/status).
 *  - the HTTPS probe answers: TLS and the browser are fine, so the agent refused the origin;
 *  - plain HTTP to the same port answers (the agent's constant "use https"): it runs, but the
 *    browser does not trust its certificate;
 *  - neither: the browser's loopback permission not granted = blocked, else not running.
 */
export async function diagnose(base = 'https://localhost:4453', path = '/v1/status', timeoutMs = 3000) {
  const u = new URL(base);
  if (await answers(u.origin + path, { mode: 'no-cors' }, timeoutMs)) return 'origin-not-allowed';
  if (await answers(`http://${u.host}/`, { mode: 'cors' }, timeoutMs)) return 'agent-not-trusted';
  const perm = await loopbackPermission();
  if (perm === 'denied' || perm === 'prompt') return 'blocked-by-browser';
  return 'agent-not-running';
}

async function unreachable(base, path) {
  let code = 'unreachable';
  try { code = await diagnose(base, path); } catch (e) { /* keep the generic one */ }
  return reachError(code);
}

export class KysoAgent {
  constructor(base = 'https://localhost:4453') {
    this.base = base.replace(/\/$/, '');
  }

  async _fetch(path, init = {}) {
    let res;
    try {
      res = await fetch(this.base + path, { mode: 'cors', cache: 'no-store', ...init });
    } catch (e) {
      throw await unreachable(this.base, '/v1/status');
    }
    const type = res.headers.get('content-type') || '';
    if (!res.ok) {
      let code = 'http-' + res.status, msg = res.statusText;
      if (type.startsWith('application/json')) {
        const j = await res.json();
        if (j && j.error) { code = j.error.code; msg = j.error.message; }
      }
      throw new KysoError(code, msg, res.status);
    }
    return res;
  }

  async _json(path, init) {
    return (await this._fetch(path, init)).json();
  }

  /** {service, version, protocols, queue, queue_max} */
  status() { return this._json('/v1/status'); }

  /** [{subject, issuer, serial, not_before, not_after, token, certificate}] */
  async certificates() { return (await this._json('/v1/certificates')).certificates; }

  /**
   * Signs a PDF (Blob/ArrayBuffer/Uint8Array). opts: role (initial, approval, appendix, issue,
   * copy, comment, income), document, reason, location, name, doc_number, doc_date, page,
   * llx, lly, urx, ury, text, digest. Returns {pdf: Blob, signer, notApplied}.
   */
  async signPdf(data, opts = {}) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts))
      if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    const res = await this._fetch('/v1/sign/pdf?' + q.toString(), {
      method: 'POST', headers: { 'content-type': 'application/pdf' }, body: data,
    });
    const dec = (h) => { try { return decodeURIComponent(res.headers.get(h) || ''); } catch { return ''; } };
    let notApplied = [];
    try { notApplied = JSON.parse(dec('x-kyso-not-applied') || '[]'); } catch { /* none */ }
    return { pdf: await res.blob(), signer: dec('x-kyso-signer'), notApplied };
  }

  /** Signs digests: hash = hex/base64 string or array; returns {signatures, certificate, signer}. */
  signHash(hash, opts = {}) {
    return this._json('/v1/sign/hash', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hash, ...opts }),
    });
  }

  /** The verification report of every signature in the PDF (docs/sign.md). */
  async verify(data) {
    return (await this._json('/v1/verify', {
      method: 'POST', headers: { 'content-type': 'application/pdf' }, body: data,
    })).report;
  }
}

// ---- helpers for the two vendor protocols (used by the demo page) -----------------------

function b64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function unb64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// One WebSocket exchange: sends frame once open, resolves with the first message. A socket
// that fails before it opens is diagnosed (MESSAGES); one closed after it opened without an
// answer is 'closed'.
function wsCall(url, frame, timeoutMs) {
  return new Promise((resolve, reject) => {
    const base = url.replace(/^wss:/, 'https:');
    let ws, opened = false, done = false;
    const fail = (err) => { if (!done) { done = true; clearTimeout(t); reject(err); } };
    const t = setTimeout(() => { if (ws) ws.close(); fail(new KysoError('timeout', 'Hết thời gian chờ')); }, timeoutMs);
    try { ws = new WebSocket(url); } catch (e) { unreachable(base, '/').then(fail); return; }
    ws.onopen = () => { opened = true; ws.send(frame); };
    ws.onmessage = (ev) => { if (!done) { done = true; clearTimeout(t); ws.close(); resolve(ev.data); } };
    ws.onclose = () => {
      if (done) return;
      if (opened) fail(new KysoError('closed', 'kyso-agent đã đóng kết nối mà không trả lời. Hãy thử lại; nếu vẫn lỗi, chạy "kyso doctor".'));
      else unreachable(base, '/').then(fail);
    };
  });
}

/** VNPT-CA Plugin frame call: resolves with the result string. */
export async function vnptCall(functionID, args, { port = 4433, timeoutMs = 600000 } = {}) {
  const cb = 'kysoCb' + Math.random().toString(36).slice(2);
  const data = await wsCall(`wss://localhost:${port}/plugin`,
                            JSON.stringify({ functionID, funcCallback: cb, args, domain: location.hostname }), timeoutMs);
  const i = data.lastIndexOf('*');
  return i >= 0 ? data.slice(0, i) : data;
}

/** VNPT SignPDF: bytes + PdfSigner object -> signed bytes. */
export async function vnptSignPdf(bytes, pdfSigner, opts) {
  const r = JSON.parse(await vnptCall(2, [b64(bytes), JSON.stringify(pdfSigner)], opts));
  if (r.code !== 0) throw new KysoError('vnpt-' + r.code, r.error);
  return unb64(r.data);
}

/** VGCA call: one socket per call to wss://127.0.0.1:8987/<op>; resolves with the JSON answer. */
export async function vgcaCall(op, payload, { port = 8987, timeoutMs = 600000 } = {}) {
  const data = await wsCall(`wss://127.0.0.1:${port}/${op}`,
                            typeof payload === 'string' ? payload : JSON.stringify(payload), timeoutMs);
  return JSON.parse(data);
}

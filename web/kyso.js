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

const UNREACHABLE =
  'Không kết nối được thành phần ký số kyso-agent. Có thể: chưa chạy, chứng thư của nó chưa được ' +
  'tin cậy trong trình duyệt, hoặc trình duyệt chặn truy cập mạng cục bộ. Hãy chạy "kyso doctor".';

export class KysoAgent {
  constructor(base = 'https://localhost:4453') {
    this.base = base.replace(/\/$/, '');
  }

  async _fetch(path, init = {}) {
    let res;
    try {
      res = await fetch(this.base + path, { mode: 'cors', cache: 'no-store', ...init });
    } catch (e) {
      throw new KysoError('unreachable', UNREACHABLE);
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

/** VNPT-CA Plugin frame call: resolves with the result string. */
export function vnptCall(functionID, args, { port = 4433, timeoutMs = 600000 } = {}) {
  return new Promise((resolve, reject) => {
    let ws;
    try { ws = new WebSocket(`wss://localhost:${port}/plugin`); } catch (e) { reject(new KysoError('unreachable', UNREACHABLE)); return; }
    const cb = 'kysoCb' + Math.random().toString(36).slice(2);
    const t = setTimeout(() => { ws.close(); reject(new KysoError('timeout', 'Hết thời gian chờ')); }, timeoutMs);
    ws.onopen = () => ws.send(JSON.stringify({ functionID, funcCallback: cb, args, domain: location.hostname }));
    ws.onerror = () => { clearTimeout(t); reject(new KysoError('unreachable', UNREACHABLE)); };
    ws.onmessage = (ev) => {
      clearTimeout(t);
      const i = ev.data.lastIndexOf('*');
      ws.close();
      resolve(i >= 0 ? ev.data.slice(0, i) : ev.data);
    };
  });
}

/** VNPT SignPDF: bytes + PdfSigner object -> signed bytes. */
export async function vnptSignPdf(bytes, pdfSigner, opts) {
  const r = JSON.parse(await vnptCall(2, [b64(bytes), JSON.stringify(pdfSigner)], opts));
  if (r.code !== 0) throw new KysoError('vnpt-' + r.code, r.error);
  return unb64(r.data);
}

/** VGCA call: one socket per call to wss://127.0.0.1:8987/<op>; resolves with the JSON answer. */
export function vgcaCall(op, payload, { port = 8987, timeoutMs = 600000 } = {}) {
  return new Promise((resolve, reject) => {
    let ws;
    try { ws = new WebSocket(`wss://127.0.0.1:${port}/${op}`); } catch (e) { reject(new KysoError('unreachable', UNREACHABLE)); return; }
    const t = setTimeout(() => { ws.close(); reject(new KysoError('timeout', 'Hết thời gian chờ')); }, timeoutMs);
    ws.onopen = () => ws.send(typeof payload === 'string' ? payload : JSON.stringify(payload));
    ws.onerror = () => { clearTimeout(t); reject(new KysoError('unreachable', UNREACHABLE)); };
    ws.onmessage = (ev) => { clearTimeout(t); ws.close(); resolve(JSON.parse(ev.data)); };
  });
}

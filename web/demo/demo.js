// Demo document-management page: upload, role, position, sign through kyso-agent with each
// protocol, download, list signatures. Ports can be overridden: ?kyso=4453&vnpt=4433&vgca=8987
import * as pdfjs from '../node_modules/pdfjs-dist/build/pdf.min.mjs';
import { KysoAgent, vnptSignPdf, vgcaCall } from '../kyso.js';

pdfjs.GlobalWorkerOptions.workerSrc = '../node_modules/pdfjs-dist/build/pdf.worker.min.mjs';

const MAX = 50 * 1024 * 1024;
const params = new URLSearchParams(location.search);
const ports = { kyso: +(params.get('kyso') || 4453), vnpt: +(params.get('vnpt') || 4433), vgca: +(params.get('vgca') || 8987) };
const agent = new KysoAgent(`https://localhost:${ports.kyso}`);
const $ = (id) => document.getElementById(id);
const ROLE_VGCA = { initial: 'SignPDF', approval: 'SignApproved', appendix: 'SignAppendix', issue: 'SignIssued' };
const BOX = { w: 180, h: 60 }; // signature box in PDF points

let bytes = null, fileName = '', doc = null, pageView = null, pos = null, signedBytes = null;

function status(text, cls = '') { const s = $('status'); s.textContent = text; s.className = cls; }

$('role').addEventListener('change', () => { $('issuefields').hidden = $('role').value !== 'issue'; });
$('docdate').valueAsDate = new Date();

$('file').addEventListener('change', async () => {
  const f = $('file').files[0];
  if (!f) return;
  if (f.size > MAX) { status('Tệp lớn hơn 50 MB, không nhận.', 'error'); return; }
  bytes = new Uint8Array(await f.arrayBuffer());
  fileName = f.name;
  $('fileinfo').textContent = `${f.name} – ${(f.size / 1024).toFixed(0)} KB`;
  await openPdf(bytes.slice());
  $('sign').disabled = false;
  status('Đã tải văn bản. Chọn vị trí rồi bấm "Ký số".');
  await listSignatures(bytes);
});

async function openPdf(data) {
  doc = await pdfjs.getDocument({ data }).promise;
  const sel = $('page');
  sel.innerHTML = '';
  for (let i = 1; i <= doc.numPages; i++) sel.add(new Option(String(i), String(i)));
  await renderPage(1);
}

async function renderPage(n) {
  const page = await doc.getPage(n);
  const viewport = page.getViewport({ scale: 1.2 });
  const c = $('canvas');
  c.width = viewport.width; c.height = viewport.height;
  await page.render({ canvasContext: c.getContext('2d'), viewport }).promise;
  pageView = { n, viewport };
  pos = null; $('marker').hidden = true; $('posinfo').textContent = 'Chưa chọn.';
}

$('page').addEventListener('change', () => renderPage(+$('page').value));

$('canvas').addEventListener('click', (ev) => {
  if (!pageView) return;
  const r = $('canvas').getBoundingClientRect();
  const [x, y] = pageView.viewport.convertToPdfPoint(ev.clientX - r.left, ev.clientY - r.top);
  pos = { page: pageView.n, llx: Math.round(x - BOX.w / 2), lly: Math.round(y - BOX.h / 2),
          urx: Math.round(x + BOX.w / 2), ury: Math.round(y + BOX.h / 2) };
  const [vx1, vy1, vx2, vy2] = pageView.viewport.convertToViewportRectangle([pos.llx, pos.lly, pos.urx, pos.ury]);
  const m = $('marker');
  Object.assign(m.style, { left: Math.min(vx1, vx2) + 'px', top: Math.min(vy1, vy2) + 'px',
                           width: Math.abs(vx2 - vx1) + 'px', height: Math.abs(vy2 - vy1) + 'px' });
  m.hidden = false;
  $('posinfo').textContent = `Trang ${pos.page}, (${pos.llx}, ${pos.lly}) – (${pos.urx}, ${pos.ury}) pt.`;
});

function options() {
  const role = $('role').value;
  const o = { role, document: fileName, ...(pos || {}) };
  if (role === 'issue') { o.doc_number = $('docnumber').value; o.doc_date = $('docdate').value; }
  return o;
}

async function signKyso() {
  const { pdf } = await agent.signPdf(bytes, options());
  return new Uint8Array(await pdf.arrayBuffer());
}

async function signVnpt() {
  const o = options();
  const signer = { page: o.page || 1, llx: o.llx ?? 0, lly: o.lly ?? 0, urx: o.urx ?? 150, ury: o.ury ?? 75,
                   Role: o.role, FileName: fileName, DocumentNumber: o.doc_number, DocumentDate: o.doc_date };
  return vnptSignPdf(bytes, signer, { port: ports.vnpt });
}

async function signVgca() {
  // the web system keeps the file: store it, let the service fetch it and upload the result
  const name = encodeURIComponent(fileName);
  const put = await fetch(`/files/${name}`, { method: 'PUT', body: bytes });
  if (!put.ok) throw new Error('Máy chủ không nhận văn bản');
  const o = options();
  const req = { FileUploadHandler: `${location.origin}/upload`, SessionId: '', JWTToken: '',
                FileName: `${location.origin}/files/${name}`, MetaData: [{ Key: 'docid', Value: '1' }] };
  if (o.role === 'issue') { req.DocNumber = o.doc_number; req.IssuedDate = new Date(o.doc_date).toISOString(); }
  if (o.role === 'initial') req.Role = 'initial';
  if (pos) Object.assign(req, pos);
  const r = await vgcaCall(ROLE_VGCA[o.role], req, { port: ports.vgca });
  if (r.Status !== 0) throw new Error(r.Message || 'Ký không thành công');
  const res = await fetch(r.FileServer);
  return new Uint8Array(await res.arrayBuffer());
}

$('sign').addEventListener('click', async () => {
  if (!bytes) return;
  $('sign').disabled = true;
  status('Đang chờ người dùng xác nhận và nhập mã PIN…');
  try {
    const proto = $('proto').value;
    signedBytes = proto === 'vnpt' ? await signVnpt() : proto === 'vgca' ? await signVgca() : await signKyso();
    const url = URL.createObjectURL(new Blob([signedBytes], { type: 'application/pdf' }));
    const a = $('download');
    a.href = url; a.download = fileName.replace(/\.pdf$/i, '') + '-da-ky.pdf'; a.hidden = false;
    status('Đã ký thành công.', 'ok');
    bytes = signedBytes;
    await listSignatures(signedBytes);
  } catch (e) {
    status('Lỗi: ' + (e.message || e), 'error');
  } finally {
    $('sign').disabled = false;
  }
});

async function listSignatures(data) {
  const tb = $('sigs').querySelector('tbody');
  tb.innerHTML = '';
  try {
    const rep = await agent.verify(data);
    (rep.signatures || []).forEach((s, i) => {
      const tr = tb.insertRow();
      const intact = s.digest_ok && s.signature_ok;
      for (const v of [i + 1, (s.signer && s.signer.subject) || '', s.signing_time || '', s.reason || '',
                       s.valid ? 'Có' : intact ? 'Toàn vẹn (chưa tin cậy CA)' : 'Không']) tr.insertCell().textContent = v;
      tr.dataset.intact = intact ? '1' : '0';
    });
    tb.dataset.count = String((rep.signatures || []).length);
  } catch (e) {
    tb.dataset.count = '-1';
    status('Không kiểm tra được chữ ký: ' + e.message, 'error');
  }
}

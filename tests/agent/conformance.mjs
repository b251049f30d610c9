// Conformance: integrator-style flows through our own client (conformance/client.js) in
// headless Chromium against a live kyso-agent. Writes signed results to OUTDIR for the
// shell checks (pdfsig, openssl cms, xmlsec1, kyso verify).
// Usage: node conformance.mjs PAGE_URL FOREIGN_PAGE_URL PDF FILES_URL OUTDIR
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import crypto from 'node:crypto';

const [pageUrl, foreignUrl, pdf, files, out] = process.argv.slice(2);
let fails = 0;
const check = (ok, what) => { console.log((ok ? 'ok - ' : 'FAIL - ') + what); if (!ok) fails++; };
const short = (s) => String(s).slice(0, 160);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--headless', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  env: { ...process.env },
});
const page = await (await browser.newContext()).newPage();
page.on('console', (m) => console.log('console:', m.text()));
await page.goto(pageUrl);
const vnpt = async (fid, args, cb) => page.evaluate(([f, a, c]) => window.vnptCall(f, a, c), [fid, args, cb]);
const vgca = async (path, msg) => page.evaluate(([p, m]) => window.vgcaCall(p, m), [path, msg]);
const json = (s) => { try { return JSON.parse(s); } catch { return undefined; } };
const pdfB64 = fs.readFileSync(pdf).toString('base64');

// checkPlugin / getVersion gate
let r = await vnpt(7, ['']);
check(r.result === '1' && r.callback === 'callbackDefault', `checkPlugin answers "1" (${short(r.raw)})`);
r = await vnpt(7, [''], 'checkPluginCallback');
check(r.raw === '1*checkPluginCallback', `checkPlugin routes a named callback (${short(r.raw)})`);
r = await vnpt(11, ['']);
check(/^\d+\.\d+\.\d+\.\d+$/.test(r.result), `getVersion is a plain version (${short(r.result)})`);
check(r.result === '1.0.4.3', `getVersion passes the 1.0.4.3 gate (${short(r.result)})`);

// VNPT iOffice login: setLicenseKey -> getCertInfo -> signArrDataAdvanced cmsdetached
r = await vnpt(6, [Buffer.from('<License><PhanMem>VNPT-CA Plugin</PhanMem></License>').toString('base64')]);
const lic = json(r.result);
check(lic && lic.code === 1 && r.result.split(':')[1][0] === '1', `setLicenseKey {"code":1,...} (${short(r.result)})`);
r = await vnpt(0, ['0', null]);
const ci = json(r.result) || {};
check(ci.serial && ci.subjectCN && ci.issuerCN && ci.base64 && !('code' in ci) && !isNaN(new Date(ci.notAfter)),
      `getCertInfo is flat, no code (${short(r.result)})`);
fs.writeFileSync(`${out}/conf-cert.der`, Buffer.from(ci.base64 || '', 'base64'));
const item = JSON.stringify({ data: 'MTIzNDU2Nzg5MA==', type: 'cmsdetached' });
r = await vnpt(10, [JSON.stringify([item]), ci.serial ?? null, '1', '1']);
const e1 = json((json(r.result) || [])[0]) || {};
const e2 = json(json(r.result)) || {};
check(e1.code === 0 && e1.data && e1.error === '' && e1.serial === ci.serial,
      `cmsdetached read as JSON.parse(JSON.parse(r)[0]) (${short(r.result)})`);
check(e2.data === e1.data && e2.serial === ci.serial, 'cmsdetached read as JSON.parse(JSON.parse(r))');
fs.writeFileSync(`${out}/conf-cms.p7s`, Buffer.from(e1.data || '', 'base64'));
fs.writeFileSync(`${out}/conf-cms.txt`, '1234567890');

// ValidateCertificateBase64 of the harness certificate
r = await vnpt(15, [ci.base64 ?? '', null, null]);
check(r.result === '0' && Number(r.result) === 0, `ValidateCertificateBase64 "0" (${short(r.result)})`);

// signPdf with and without a PdfSigner; signArrDataAdvanced pdf items, SigVisible true/false
const signer = (visible) => JSON.stringify({ page: 1, llx: 60, lly: 200, urx: 260, ury: 270, SigTextSize: 9,
  Signer: null, Description: 'Conformance', SigVisible: visible, AdvancedCustom: false, SigType: 0 });
for (const [name, args] of [['signpdf-plain', [pdfB64]], ['signpdf-signer', [pdfB64, signer(true)]]]) {
  r = await vnpt(2, args);
  const v = json(r.result) || {};
  check(v.code === 0 && v.error === '' && v.data, `signPdf ${name} (${short(r.result)})`);
  fs.writeFileSync(`${out}/conf-${name}.pdf`, Buffer.from(v.data || '', 'base64'));
}
for (const vis of [true, false]) {
  const it = JSON.stringify({ data: pdfB64, type: 'pdf', sigOptions: signer(vis) });
  r = await vnpt(10, [JSON.stringify([it]), ci.serial ?? '', '0', '1']);
  const v = json((json(r.result) || [])[0]) || {};
  check(v.code === 0 && v.error === '' && v.data, `pdf item SigVisible=${vis} (${short(r.result)})`);
  fs.writeFileSync(`${out}/conf-item-${vis ? 'visible' : 'invisible'}.pdf`, Buffer.from(v.data || '', 'base64'));
}

// hash item (Odoo style): base64 SHA-256, stringified sigOptions; detached CMS over the digest
const content = Buffer.from('Hồ sơ đồng bộ số 42');
const digest = crypto.createHash('sha256').update(content).digest('base64');
const hi = JSON.stringify({ data: digest, type: 'hash',
  sigOptions: JSON.stringify({ DigestAlgorithm: 'SHA256', encoding: 'utf8', detached: true }) });
r = await vnpt(10, [JSON.stringify([hi]), '', '0', '1']);
const hv = json((json(r.result) || [])[0]) || {};
check(r.result !== '-1' && hv.error === '' && hv.data, `hash item (${short(r.result)})`);
fs.writeFileSync(`${out}/conf-hash.p7s`, Buffer.from(hv.data || '', 'base64'));
fs.writeFileSync(`${out}/conf-hash.txt`, content);

// signXML of an e-invoice
const inv = '<?xml version="1.0" encoding="UTF-8"?><HDon><DLHDon Id="data"><TTChung><THDon>HÓA ĐƠN GIÁ TRỊ GIA TĂNG</THDon>' +
  '<KHHDon>C26TAA</KHHDon><SHDon>42</SHDon></TTChung><NDHDon><NBan><Ten>Công ty Thử Nghiệm</Ten></NBan>' +
  '<TToan><TgTTTBSo>1100000</TgTTTBSo></TToan></NDHDon></DLHDon><DSCKS><NBan></NBan></DSCKS></HDon>';
r = await vnpt(1, [Buffer.from(inv).toString('base64'), JSON.stringify({ NodeToSign: 'data',
  ParrentTagSigning: 'DSCKS/NBan', DigestMethod: 'SHA256', SigningType: 'Enveloped' })]);
const xv = json(r.result) || {};
check(xv.code === 0 && xv.error === '' && xv.data, `signXML (${short(r.result)})`);
fs.writeFileSync(`${out}/conf-invoice.xml`, Buffer.from(xv.data || '', 'base64'));

// VGCA: every signing flow, with the FileUploadHandler on a second origin
const foreign = new URL(foreignUrl).origin;
const ops = [['SignApproved', {}], ['SignIssued', { DocNumber: '79', IssuedDate: new Date().toISOString() }],
  ['SignAppendix', { DocNumber: '100' }], ['SignCopy', { DocNumber: '100' }], ['Comment', {}], ['SignIncome', {}],
  ['SignFile', {}], ['SignPDF', {}]];
let n = 0;
for (const [op, extra] of ops) {
  const msg = JSON.stringify({ FileUploadHandler: `${foreign}/upload`, SessionId: '', JWTToken: '',
    FileName: `${files}/files/van%20ban.pdf`, MetaData: [{ Key: 'file_id', Value: String(++n) }], ...extra });
  r = json(await vgca(op, msg)) || {};
  check(r.Status === 0 && r.FileServer, `VGCA ${op} uploads cross-origin (${short(JSON.stringify(r))})`);
}
r = json(await vgca('VerifyPDF', JSON.stringify({ SessionId: '', FileName: `${foreign}/files/signed-1.pdf` }))) || {};
check(r.Status === 0, `VGCA VerifyPDF (${short(JSON.stringify(r))})`);
r = json(await vgca('GetCertInfo', 'get_cert_info')) || {};
check(r.Status === 0 && r.CertInfo, `VGCA GetCertInfo has CertInfo (${short(JSON.stringify(r))})`);
const vsig = (sigB64, data, what) => {
  const cert = new crypto.X509Certificate(Buffer.from(ci.base64 || '', 'base64'));
  let ok = false;
  try { ok = crypto.verify('sha256', data, cert.publicKey, Buffer.from(sigB64 || '', 'base64')); } catch { ok = false; }
  check(ok, `${what}: signature verifies with the token's certificate`);
};
const msgData = Buffer.from('ma xac thuc 123456');
r = json(await vgca('SignMsg', JSON.stringify({ HashAlg: 'SHA256',
  HashValue: crypto.createHash('sha256').update(msgData).digest('base64'), Encode: 'RSA' }))) || {};
check(r.Status === 0 && r.Signature && r.CertBase64 === ci.base64, `VGCA SignMsg {HashAlg,HashValue,Encode} (${short(JSON.stringify(r))})`);
vsig(r.Signature, msgData, 'SignMsg hash');
r = json(await vgca('SignMsg', msgData.toString('base64'))) || {};
check(r.Status === 0 && r.Signature, `VGCA SignMsg bare base64 (${short(JSON.stringify(r))})`);
vsig(r.Signature, msgData, 'SignMsg base64');
r = json(await vgca('Auth', msgData.toString())) || {};
check(r.Status === 0 && r.Signature, `VGCA Auth (${short(JSON.stringify(r))})`);
vsig(r.Signature, msgData, 'Auth');
await browser.close();
console.log(fails ? `${fails} conformance checks failed` : 'all conformance checks passed');
process.exit(fails ? 1 : 0);

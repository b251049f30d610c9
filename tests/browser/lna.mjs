// Chromium E2E of the browser paths of issue 12: one browser run per case, each with its own
// profile (HOME with or without the agent's CA in ~/.pki/nssdb; the policy directory is set up by
// the caller). The demo page counts as a public web site (--ip-address-space-overrides), so
// Local Network Access applies to its connections to the agent on 127.0.0.1/localhost.
//
// Usage: node lna.mjs CASE PAGE_URL PDF OUTDIR
//   CASE = signs | blocked | not-trusted | not-running | origin-not-allowed
// Env: HOME (profile + NSS db), KYSO_AG_KYSO/VNPT (agent ports), KYSO_PUBLIC (host:port made public)
const pw = await import(process.env.KYSO_SRC + '/tests/agent/node_modules/playwright-core/index.mjs');
const chromium = pw.chromium || pw.default.chromium;
import fs from 'node:fs';

const [which, pageUrl, pdf, out] = process.argv.slice(2);
let fails = 0;
const check = (ok, what) => { console.log((ok ? 'ok - ' : 'FAIL - ') + `[${which}] ` + what); if (!ok) fails++; };

const userDir = fs.mkdtempSync(`${out}/profile-${which}-`);
const ctx = await chromium.launchPersistentContext(userDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         `--ip-address-space-overrides=${process.env.KYSO_PUBLIC}=public`],
  env: { ...process.env },
  viewport: { width: 1200, height: 800 },
});
const page = ctx.pages()[0] || await ctx.newPage();
const consoleLines = [];
page.on('console', (m) => consoleLines.push(m.text()));
const prompts = [];
page.on('dialog', (d) => { prompts.push(d.message()); d.dismiss(); });

await page.goto(pageUrl);
const kyso = +process.env.KYSO_AG_KYSO, vnpt = +process.env.KYSO_AG_VNPT;

// the page's own view: the permission and what kyso.js says for each protocol
const seen = await page.evaluate(async ({ kyso, vnpt }) => {
  const m = await import('/web/kyso.js');
  let perm = null;
  for (const name of ['loopback-network', 'local-network-access']) {
    try { perm = (await navigator.permissions.query({ name })).state; break; } catch (e) { /* next */ }
  }
  const r = { perm, messages: m.MESSAGES };
  try { r.status = await new m.KysoAgent(`https://localhost:${kyso}`).status(); r.api = 'ok'; } catch (e) { r.api = e.code; r.apiMsg = e.message; }
  try { await m.vnptCall(7, [], { port: vnpt, timeoutMs: 20000 }); r.vnpt = 'ok'; } catch (e) { r.vnpt = e.code; }
  return r;
}, { kyso, vnpt });
console.log(`[${which}] permission ${seen.perm}, kyso API: ${seen.api}, VNPT: ${seen.vnpt}`);

const want = { signs: 'ok', blocked: 'blocked-by-browser', 'not-trusted': 'agent-not-trusted',
               'not-running': 'agent-not-running', 'origin-not-allowed': 'origin-not-allowed' }[which];
check(seen.api === want, `kyso API: ${want} (got ${seen.api})`);
check(seen.vnpt === want, `VNPT-CA Plugin WebSocket: ${want} (got ${seen.vnpt})`);
if (which === 'signs')
  check(seen.perm === 'granted', `the policy grants the loopback permission (state ${seen.perm})`);
if (which === 'blocked')
  check(seen.perm !== 'granted', `without the policy the permission is not granted (state ${seen.perm})`);

// the demo page: sign through the kyso API, then look at the status line on a screenshot
await page.setInputFiles('#file', pdf);
await page.waitForFunction(() => document.querySelector('#sign') && !document.querySelector('#sign').disabled);
await page.selectOption('#proto', 'kyso');
await page.click('#sign');
await page.waitForFunction(() => /ok|error/.test(document.querySelector('#status').className), null, { timeout: 120000 });
// a signed document is verified by the agent right after: wait until its signature table is
// filled, so nothing on the page changes while it is photographed
if (which === 'signs')
  await page.waitForFunction(() => document.querySelector('#sigs tbody').dataset.count !== '0', null, { timeout: 60000 });
const cls = await page.getAttribute('#status', 'class');
const text = (await page.textContent('#status')).trim();
const shot = `${out}/lna-${which}.png`;
await page.screenshot({ path: shot });
check(prompts.length === 0, `no dialog shown (${JSON.stringify(prompts)})`);
if (which === 'signs') {
  check(cls === 'ok', `demo page signs without a prompt (${text})`);
  const rows = await page.getAttribute('#sigs tbody', 'data-count');
  check(rows === '1', `the signed document lists one signature (${rows})`);
} else {
  const msg = seen.messages[want].split('{origin}').join(new URL(pageUrl).origin);
  check(cls === 'error' && text === 'Lỗi: ' + msg, `demo page shows the "${want}" message (${text})`);
}

// a screenshot of the status line itself (scrolled into view), decoded by the browser: it is
// drawn in its colour (green #146c2e for ok, red #b00020 for an error) with enough pixels to
// be a line of text
const statusPng = await page.locator('#status').screenshot({ path: `${out}/lna-${which}-status.png` });
const vp = await page.evaluate(async (png) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + png;
  await img.decode();
  return { w: img.width, h: img.height };
}, fs.readFileSync(shot).toString('base64'));
const png = statusPng.toString('base64');
const px = await page.evaluate(async ({ png }) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + png;
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.width; c.height = img.height;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, img.width, img.height).data;
  let green = 0, red = 0;
  for (let i = 0; i < d.length; i += 4) {
    const [r, gg, b] = [d[i], d[i + 1], d[i + 2]];
    if (gg > r + 40 && gg > b + 20) green++;
    if (r > gg + 80 && r > b + 60) red++;
  }
  return { green, red };
}, { png });
check(vp.w === 1200 && vp.h === 800, `screenshot is the 1200x800 viewport (${vp.w}x${vp.h})`);
if (which === 'signs')
  check(px.green > 100 && px.red < 20, `screenshot: status line drawn in green (${px.green} green, ${px.red} red pixels)`);
else
  check(px.red > 300 && px.green < 20, `screenshot: error message drawn in red (${px.red} red, ${px.green} green pixels)`);
await ctx.close();
console.log(fails ? `${fails} checks failed` : 'all checks passed');
process.exit(fails ? 1 : 0);

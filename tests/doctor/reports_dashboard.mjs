// The collector's dashboard in headless Chromium: login form, counts visible,
// the per-day chart drawn (pixels counted in its element screenshot), a cause's
// report list, one report opened as the doctor's page.
// Usage: node reports_dashboard.mjs URL TOKEN EXPECT.json OUTDIR
//   EXPECT.json: {total, causes: {check: n}, report_id}
import { createRequire } from 'node:module';
import fs from 'node:fs';
import zlib from 'node:zlib';

const require = createRequire(`${process.env.KYSO_SRC}/tests/agent/package.json`);
const { chromium } = require('playwright-core');
const [url, token, expectFile, out] = process.argv.slice(2);
const expect = JSON.parse(fs.readFileSync(expectFile, 'utf8'));
let fails = 0;
const check = (ok, what) => { console.log((ok ? 'ok - ' : 'FAIL - ') + what); if (!ok) fails++; };

// PNG (8-bit RGB/RGBA, as Chromium writes them) -> count of pixels matching fn
function countPixels(png, fn) {
  let p = 8, w = 0, h = 0, ct = 0;
  const idat = [];
  while (p < png.length) {
    const len = png.readUInt32BE(p), type = png.toString('ascii', p + 4, p + 8);
    const data = png.subarray(p + 8, p + 8 + len);
    if (type === 'IHDR') { w = data.readUInt32BE(0); h = data.readUInt32BE(4); ct = data[9]; }
    if (type === 'IDAT') idat.push(data);
    p += 12 + len;
  }
  const bpp = ct === 6 ? 4 : 3, stride = w * bpp, raw = zlib.inflateSync(Buffer.concat(idat));
  const img = Buffer.alloc(h * stride);
  for (let y = 0; y < h; y++) {
    const f = raw[y * (stride + 1)], src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? img[y * stride + x - bpp] : 0, b = y > 0 ? img[(y - 1) * stride + x] : 0;
      const c = x >= bpp && y > 0 ? img[(y - 1) * stride + x - bpp] : 0;
      let v = src[x];
      if (f === 1) v += a; else if (f === 2) v += b; else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) { const q = a + b - c, pa = Math.abs(q - a), pb = Math.abs(q - b), pc = Math.abs(q - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
      img[y * stride + x] = v & 255;
    }
  }
  let n = 0;
  for (let i = 0; i < img.length; i += bpp) if (fn(img[i], img[i + 1], img[i + 2])) n++;
  return n;
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await (await browser.newContext({ viewport: { width: 1200, height: 1400 } })).newPage();
await page.goto(url);
check(await page.locator('input[name=token]').count() === 1, 'without the cookie: the login form');
check(await page.locator('#total').count() === 0, 'without the cookie: no counts');
await page.fill('input[name=token]', 'not-the-token-at-all');
await page.click('button');
check(await page.locator('#total').count() === 0, 'wrong token: still no counts');
await page.fill('input[name=token]', token);
await page.click('button');
await page.waitForSelector('#total');
const total = (await page.textContent('#total')).trim();
check(total === String(expect.total), `total visible: ${total} (expected ${expect.total})`);
const rows = await page.$$eval('#causes tr', (trs) => trs.map((tr) => [tr.cells[0].innerText.trim(), tr.cells[2].innerText.trim()]));
const want = Object.entries(expect.causes).map(([k, v]) => [k, String(v)]);
check(JSON.stringify(rows) === JSON.stringify(want), `counts per cause visible, in order: ${JSON.stringify(rows)}`);
await page.screenshot({ path: `${out}/dashboard.png`, fullPage: true });
const chart = await page.locator('#trend-chart').screenshot({ path: `${out}/trend.png` });
const bars = countPixels(chart, (r, g, b) => r > 200 && g > 90 && g < 140 && b < 60);
check(bars > 2000, `trend chart drawn: ${bars} bar pixels`);
const causeBars = countPixels(await page.locator('#causes').screenshot(), (r, g, b) => b > 180 && r < 80);
check(causeBars > 500, `cause bars drawn: ${causeBars} bar pixels`);
const [first, n] = want[0];
await page.click(`#causes a >> text="${first}"`);
await page.waitForSelector('#listed');
const listed = (await page.textContent('#listed')).trim();
check(listed === String(Math.min(+n, 500)), `the list for ${first}: ${listed} report(s)`);
await page.goto(`${url.replace(/\/$/, '')}/report/${expect.report_id}`);
check((await page.content()).includes(expect.report_id), 'one report opens as the doctor page');
await browser.close();
process.exit(fails ? 1 : 0);

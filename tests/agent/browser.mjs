// Browser E2E: the demo page in headless Chromium signs through each protocol; a page from a
// non-allowed origin is refused; a screenshot is taken and checked.
// Usage: node browser.mjs PAGE_URL FOREIGN_URL PDF OUTDIR   (HOME holds the NSS db trusting the agent CA)
import { chromium } from 'playwright-core';
import fs from 'node:fs';

const [pageUrl, foreignUrl, pdf, out] = process.argv.slice(2);
let fails = 0;
const check = (ok, what) => { console.log((ok ? 'ok - ' : 'FAIL - ') + what); if (!ok) fails++; };

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--headless', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  env: { ...process.env },
});
const ctx = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } });
const page = await ctx.newPage();
page.on('console', (m) => console.log('console:', m.text()));

async function signWith(proto, role, url = pageUrl) {
  await page.goto(url);
  await page.setInputFiles('#file', pdf);
  await page.waitForFunction(() => document.querySelector('#sign') && !document.querySelector('#sign').disabled);
  await page.selectOption('#role', role);
  const box = await page.locator('#canvas').boundingBox();
  await page.mouse.click(box.x + box.width * 0.7, box.y + box.height * 0.85);
  await page.selectOption('#proto', proto);
  await page.click('#sign');
  await page.waitForFunction(() => /ok|error/.test(document.querySelector('#status').className), null, { timeout: 120000 });
  return { cls: await page.getAttribute('#status', 'class'), text: await page.textContent('#status') };
}

for (const [proto, role] of [['kyso', 'approval'], ['vnpt', 'initial'], ['vgca', 'issue']]) {
  const r = await signWith(proto, role);
  check(r.cls === 'ok', `${proto}: demo page signs (${r.text})`);
  if (r.cls !== 'ok') continue;
  // the page's own verification of the result first, then the download: one thing at a time
  await page.waitForFunction(() => +document.querySelector('#sigs tbody').dataset.count >= 1);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  await dl.saveAs(`${out}/browser-${proto}.pdf`);
  const rows = await page.$$eval('#sigs tbody tr', (trs) => trs.map((t) => [t.cells[1].textContent, t.dataset.intact]));
  check(rows.length === 1 && rows[0][0].includes('Nguyễn Văn An') && rows[0][1] === '1',
        `${proto}: the signature is listed (${JSON.stringify(rows)})`);
  if (proto === 'kyso') {
    // a screenshot of the signed state: the page is rendered (dark pixels on the canvas),
    // the marker is placed, and the image is a real PNG of the viewport
    await page.screenshot({ path: `${out}/demo.png` });
    const dark = await page.$eval('#canvas', (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 100 && d[i + 1] < 100 && d[i + 2] < 100) n++;
      return n;
    });
    check(dark > 500, `the rendered PDF page has text pixels (${dark})`);
    check(await page.isVisible('#marker'), 'the chosen position is marked on the page');
    const png = fs.readFileSync(`${out}/demo.png`);
    check(png.subarray(1, 4).toString() === 'PNG' && png.readUInt32BE(16) === 1400 && png.length > 20000,
          `screenshot is a 1400-px-wide PNG (${png.length} bytes)`);
  }
}

// a page from an origin that is not allowed: every protocol refuses
for (const proto of ['kyso', 'vnpt', 'vgca']) {
  const r = await signWith(proto, 'approval', foreignUrl);
  check(r.cls === 'error', `${proto}: page from a non-allowed origin is refused (${r.text})`);
}
await browser.close();
console.log(fails ? `${fails} browser checks failed` : 'all browser checks passed');
process.exit(fails ? 1 : 0);

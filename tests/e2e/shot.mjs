// A developer's helper: `node shot.mjs URL OUT.png [WIDTH HEIGHT WAIT_MS]` saves a screenshot.
import { chromium } from 'playwright-core';
const [url, out, w = '1440', h = '900', wait = '3000'] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] });
const page = await browser.newPage({ viewport: { width: Number(w), height: Number(h) } });
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
await page.goto(url);
await page.waitForTimeout(Number(wait));
const sw = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
await page.screenshot({ path: out });
console.log(JSON.stringify({ errors, scroll: sw }));
await browser.close();

// The end-to-end test of `dgame play` in headless Chromium, run by tests/play_e2e.rs:
//   node play.mjs URL SCREENSHOT
// It drives the real page the way a player does and checks each step against the server's API.
import { chromium } from 'playwright-core';

const [url, screenshot] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error('usage: node play.mjs URL SCREENSHOT');
  process.exit(2);
}
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];
const TIMEOUT = 15000;

async function api(path, body) {
  const res = await fetch(new URL(path, url), body === undefined ? {} : {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

function check(cond, what, detail) {
  if (!cond) throw new Error(`FAILED: ${what}${detail === undefined ? '' : ': ' + JSON.stringify(detail)}`);
  console.log(`ok - ${what}`);
}

async function until(what, f) {
  const end = Date.now() + TIMEOUT;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`FAILED: timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// A signal in flight whose dot nothing else covers (so a click lands on it), stepping the paused
// game until there is one.
async function clickableSignal(page) {
  for (let i = 0; i < 30; i++) {
    const s = await api('/api/state');
    const id = await page.evaluate((ids) => {
      for (const id of ids) {
        const c = document.querySelector(`#stage .signal[data-id="${id}"]`);
        if (!c) continue;
        const r = c.getBoundingClientRect();
        const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        if (hit === c) return id;
      }
      return null;
    }, s.signals.map((x) => x.id));
    if (id != null) return s.signals.find((x) => x.id === id);
    await api('/api/step', {});
    await page.waitForFunction((t) => document.getElementById('tick').textContent === String(t), s.tick + 1);
  }
  throw new Error('FAILED: no signal could be clicked in 30 ticks');
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: FLAGS,
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.setDefaultTimeout(TIMEOUT);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);

  // The nodes, the gateway and the clients are drawn.
  const first = await api('/api/state');
  await page.waitForFunction((n) => document.querySelectorAll('#stage .node').length === n, first.nodes.length);
  for (const node of first.nodes) {
    check(await page.isVisible(`#stage .node[data-id="${node.id}"] circle`), `node ${node.id} is drawn`);
  }
  check(await page.isVisible('#stage .gateway'), 'the gateway is drawn');
  check((await page.locator('#stage .client').count()) === first.clients.length, 'every client is drawn');
  await page.waitForFunction(() => document.querySelector('#conn').classList.contains('live'));

  // Signals move: some dot changes place between two frames while the game runs.
  await page.waitForSelector('#stage .signal');
  const before = await page.evaluate(() =>
    [...document.querySelectorAll('#stage .signal')].map((c) => [c.dataset.id, c.getAttribute('cx'), c.getAttribute('cy')]));
  await page.waitForFunction((b) => b.some(([id, x, y]) => {
    const c = document.querySelector(`#stage .signal[data-id="${id}"]`);
    return c && (c.getAttribute('cx') !== x || c.getAttribute('cy') !== y);
  }), before);
  check(true, 'signals move along their links');

  // Space pauses, even with a button focused: the focused button must not fire.
  await page.focus('#restart-new');
  await page.keyboard.press('Space');
  const paused = await until('the server says the game is paused', async () => {
    const s = await api('/api/state');
    return s.running ? null : s;
  });
  check(paused.game === first.game && paused.seed === first.seed, 'space did not press the focused "new seed" button');
  await page.waitForFunction((t) => document.getElementById('tick').textContent === String(t), paused.tick);
  await page.waitForTimeout(1000); // five ticks at 5 ticks per second, had the game gone on
  const still = await api('/api/state');
  check(still.tick === paused.tick, 'space stopped the tick', [paused.tick, still.tick]);
  check(await page.textContent('#tick') === String(paused.tick), 'the page shows the tick it stopped at');
  check(await page.isVisible('#banner'), 'the page says it is paused');

  // Hover a signal: its message, route and ticks are shown.
  const sig = await clickableSignal(page);
  const dot = `#stage .signal[data-id="${sig.id}"]`;
  await page.hover(dot);
  await page.waitForSelector('#tooltip:not(.hidden)');
  const tip = await page.textContent('#tooltip');
  check(tip.includes(sig.message), 'hovering a signal shows its message', { tip, message: sig.message });
  check(tip.includes(`${sig.from} → ${sig.to}`) && tip.includes(`tick ${sig.sent}`) && tip.includes(`tick ${sig.arrival}`),
    'and its sender, recipient, and sent and arrival ticks', tip);

  // Click it: the server drops it, confirms, and logs it; the command line replays the click.
  const at = (await api('/api/state')).tick + 1;
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/drop')),
    page.click(dot),
  ]);
  const confirmed = await response.json();
  check(response.status() === 200 && confirmed.did === `drop ${sig.id}@${at}`, 'the server confirms the drop', confirmed);
  const afterDrop = await api('/api/state');
  check(!afterDrop.signals.some((x) => x.id === sig.id), 'the dropped signal is no longer in flight');
  check(afterDrop.log.some((e) => e.kind === 'drop' && e.signal === sig.id && e.reason === 'by_id' && e.by_user),
    'the server logs the drop as the player\'s');
  check(afterDrop.command.includes(`--fault 'drop ${sig.id}@${at}'`), 'the reproduce command includes the click', afterDrop.command);
  await page.waitForSelector(`#log li[data-signal="${sig.id}"]`);
  await page.waitForSelector(`${dot}`, { state: 'detached' });
  check(true, 'the page logs the drop and removes the dot');

  // Step: exactly one tick, by the button and by the key.
  const t0 = afterDrop.tick;
  await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/step')), page.click('#step')]);
  let s = await api('/api/state');
  check(s.tick === t0 + 1 && !s.running, 'the step button runs exactly one tick', [t0, s.tick]);
  await page.keyboard.press('s');
  await until('the S key has stepped', async () => (await api('/api/state')).tick === t0 + 2);
  await page.waitForFunction((t) => document.getElementById('tick').textContent === String(t), t0 + 2);
  s = await api('/api/state');
  check(s.tick === t0 + 2 && !s.running, 'the S key runs exactly one tick', s.tick);

  // Click a node: its menu crashes it.
  await page.click('#stage .node[data-id="n2"] circle');
  await page.waitForSelector('#menu:not(.hidden) button[data-action="crash"]');
  await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/node')), page.click('#menu button[data-action="crash"]')]);
  s = await api('/api/state');
  check(s.nodes[1].status === 'crashed', 'the node menu crashes n2');
  await page.waitForSelector('#stage .node[data-id="n2"].crashed');
  check(s.command.includes(`--fault 'crash n2@${s.tick + 1}'`), 'the crash is in the reproduce command', s.command);

  // The verdict the page shows is the server's.
  const badge = await page.textContent('#verdict-badge');
  const expected = { linearizable: 'LINEARIZABLE', not_linearizable: 'NOT LINEARIZABLE', unknown: 'UNKNOWN' }[s.verdict.verdict];
  check(expected && badge.includes(expected), 'the page shows the checker\'s verdict', { badge, verdict: s.verdict });

  // Restart n2 and run on a little for the picture: some history, signals in flight.
  await page.click('#stage .node[data-id="n2"] circle');
  await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/node')), page.click('#menu button[data-action="restart"]')]);
  await page.mouse.move(5, 5);
  await page.keyboard.press('Space');
  await until('the game runs again', async () => (await api('/api/state')).running);
  const from = s.tick;
  await until('the game has run on with signals in flight', async () => {
    const now = await api('/api/state');
    return now.tick >= from + 20 && now.signals.length >= 3;
  });
  await page.screenshot({ path: screenshot });
  check(true, `screenshot saved to ${screenshot}`);
  check(errors.length === 0, 'the page logged no errors', errors);
} finally {
  await browser.close();
}

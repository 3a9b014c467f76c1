// The end-to-end test of `dgame play` in headless Chromium, run by tests/play_e2e.rs:
//   node play.mjs URL BIG_URL BUG_URL SCREENSHOT
// URL is abd with 3 clients (the game a player plays), BIG_URL raft with 25 nodes and 20
// clients (paused; for the frame rate), BUG_URL single-client-versioned-majority at its
// documented seed (paused; for the violation). It drives the real page the way a player does and
// checks each step against the server's API.
import { chromium } from 'playwright-core';

const [url, bigUrl, bugUrl, screenshot] = process.argv.slice(2);
if (!url || !bigUrl || !bugUrl || !screenshot) {
  console.error('usage: node play.mjs URL BIG_URL BUG_URL SCREENSHOT');
  process.exit(2);
}
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];
const TIMEOUT = 15000;

async function api(path, body, base = url) {
  const res = await fetch(new URL(path, base), body === undefined ? {} : {
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

async function until(what, f, timeout = TIMEOUT) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`FAILED: timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Waits for the response to `path` that `act` (a click, a key) causes. Unlike
// `Promise.all([page.waitForResponse(..), act])`, an error in `act` (or in computing its
// arguments) is the error reported: a waiter left pending would reject when the browser closes,
// and that unhandled "Target page, context or browser has been closed" would hide the cause.
async function responseTo(page, path, act) {
  const response = page.waitForResponse((r) => r.url().endsWith(path));
  try {
    await act();
  } catch (e) {
    response.catch(() => {});
    throw e;
  }
  return response;
}

// A signal in flight whose dot nothing else covers (so a click lands on it), and where its dot
// is, stepping the paused game until there is one. The dots are drawn on a canvas: the page says
// where each is (signalPoint) and which one is under a point (signalAt, the topmost). The page
// must show the server's tick first: a state it has not drawn yet (after a seek, say) replaces
// its dots, and a new dot has no place until the next frame draws it.
async function clickableSignal(page) {
  for (let i = 0; i < 30; i++) {
    const s = await api('/api/state');
    await page.waitForFunction((t) => document.getElementById('tick').textContent === String(t), s.tick);
    const found = await page.evaluate((ids) => new Promise((done) => requestAnimationFrame(() => {
      for (const id of ids) {
        const p = signalPoint(id);
        if (!p) continue;
        const top = document.elementFromPoint(p.x, p.y);
        if (top && document.getElementById('stage').contains(top) && signalAt(p.x, p.y) === id) return done({ id, p });
      }
      done(null);
    })), s.signals.map((x) => x.id));
    if (found != null) return { ...s.signals.find((x) => x.id === found.id), point: found.p };
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
  // The one refusal the test asks for on purpose (isolate twice) is a 409 the browser reports.
  let refusals = 0;
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (m.text().includes('status of 409') && refusals++ === 0) return;
    errors.push(m.text());
  });
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
  await page.waitForFunction(() => [...dots.keys()].some((id) => signalPoint(id)));
  const before = await page.evaluate(() => [...dots.keys()].map((id) => [id, signalPoint(id)]));
  await page.waitForFunction((b) => b.some(([id, p]) => {
    const q = signalPoint(id);
    return p && q && (q.x !== p.x || q.y !== p.y);
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
  const dot = sig.point;
  await page.mouse.move(dot.x, dot.y);
  await page.waitForSelector('#tooltip:not(.hidden)');
  const tip = await page.textContent('#tooltip');
  check(tip.includes(sig.message), 'hovering a signal shows its message', { tip, message: sig.message });
  check(tip.includes(`${sig.from} → ${sig.to}`) && tip.includes(`tick ${sig.sent}`) && tip.includes(`tick ${sig.arrival}`),
    'and its sender, recipient, and sent and arrival ticks', tip);

  // Click it: the server drops it, confirms, and logs it; the command line replays the click.
  const at = (await api('/api/state')).tick + 1;
  const response = await responseTo(page, '/api/drop', () => page.mouse.click(dot.x, dot.y));
  const confirmed = await response.json();
  check(response.status() === 200 && confirmed.did === `drop ${sig.id}@${at}`, 'the server confirms the drop', confirmed);
  const afterDrop = await api('/api/state');
  check(!afterDrop.signals.some((x) => x.id === sig.id), 'the dropped signal is no longer in flight');
  check(afterDrop.log.some((e) => e.kind === 'drop' && e.signal === sig.id && e.reason === 'by_id' && e.by_user),
    'the server logs the drop as the player\'s');
  check(afterDrop.command.includes(`--fault 'drop ${sig.id}@${at}'`), 'the reproduce command includes the click', afterDrop.command);
  await page.waitForSelector(`#log li[data-signal="${sig.id}"]`);
  await page.waitForFunction((id) => !dots.has(id), sig.id);
  check(true, 'the page logs the drop and removes the dot');

  // Step: exactly one tick, by the button and by the key.
  const t0 = afterDrop.tick;
  await responseTo(page, '/api/step', () => page.click('#step'));
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
  await responseTo(page, '/api/node', () => page.click('#menu button[data-action="crash"]'));
  s = await api('/api/state');
  check(s.nodes[1].status === 'crashed', 'the node menu crashes n2');
  await page.waitForSelector('#stage .node[data-id="n2"].crashed');
  check(s.command.includes(`--fault 'crash n2@${s.tick + 1}'`), 'the crash is in the reproduce command', s.command);

  // The verdict the page shows is the server's.
  const badge = await page.textContent('#verdict-badge');
  const expected = { linearizable: 'LINEARIZABLE', not_linearizable: 'NOT LINEARIZABLE', unknown: 'UNKNOWN' }[s.verdict.verdict];
  check(expected && badge.includes(expected), 'the page shows the checker\'s verdict', { badge, verdict: s.verdict });

  // Step back: the button and the key each go back exactly one tick, to the same state.
  const t2 = s.tick;
  await responseTo(page, '/api/back', () => page.click('#back'));
  s = await api('/api/state');
  check(s.tick === t2 - 1 && s.head === t2, 'the Back button goes back one tick, keeping the timeline', [t2, s.tick, s.head]);
  await page.keyboard.press('b');
  await until('the B key went back', async () => (await api('/api/state')).tick === t2 - 2);
  await page.waitForFunction((t) => document.getElementById('tick').textContent === String(t), t2 - 2);
  check(true, 'the B key goes back one tick and the page shows it');

  // The timeline: drag it back to tick 10 (or earlier, when the game paused before tick 14: the
  // slider cannot go past the timeline's end); the stage, the history and the log show it.
  const past = Math.max(1, Math.min(10, t2 - 4));
  await page.evaluate((t) => { const r = document.getElementById('timeline'); r.value = t; r.dispatchEvent(new Event('input', { bubbles: true })); }, past);
  await until(`the game shows tick ${past}`, async () => (await api('/api/state')).tick === past);
  await page.waitForFunction((t) => document.getElementById('tick').textContent === String(t), past);
  s = await api('/api/state');
  const shownOps = await page.evaluate(() => state.history.length);
  check(s.head >= t2 && shownOps === s.history.length && s.history.every((o) => o.invoke <= past),
    `dragging the timeline back shows tick ${past} (history included), the timeline keeps its end`, { head: s.head, ops: shownOps });
  check(await page.isVisible('#to-latest') && (await page.textContent('#banner')).includes('forks'), 'the page says it shows the past');
  // A focused slider keeps its arrow keys (defect 1): the speed slider changes the speed.
  const speed0 = s.speed;
  await page.focus('#speed');
  await page.keyboard.press('ArrowRight');
  await until('the speed went up', async () => (await api('/api/state')).speed > speed0);
  s = await api('/api/state');
  check(s.tick === past && !s.running, 'the right arrow on the focused speed slider changes the speed, and only that', [speed0, s.speed, s.tick]);
  await page.focus('#timeline');
  await page.keyboard.press('ArrowRight');
  await until('the timeline moved', async () => (await api('/api/state')).tick === past + 1);
  check(true, 'the right arrow on the focused timeline moves one tick on');
  await page.keyboard.press('ArrowLeft');
  await until('the timeline moved back', async () => (await api('/api/state')).tick === past);
  await page.mouse.click(5, 5);

  // Act in the past: it forks, and the page says so.
  const headBefore = (await api('/api/state')).head;
  const sig2 = await clickableSignal(page);
  const tf = (await api('/api/state')).tick;
  await responseTo(page, '/api/drop', () => page.mouse.click(sig2.point.x, sig2.point.y));
  s = await api('/api/state');
  check(s.fork && s.fork.at === tf && s.head === tf && s.fork.ticks === headBefore - tf, 'a click in the past forks the game', s.fork);
  await page.waitForSelector('#fork-note:not(.hidden)');
  check((await page.textContent('#fork-note')).includes(`forked at tick ${tf}`), 'the reproduce card says it forked');

  // A node's state is a tree: open n1's card.
  await page.click('#stage .node[data-id="n1"] .node-card');
  await page.waitForSelector('#stage .node[data-id="n1"] .node-card.open .tree .kv');
  const keys = await page.$$eval('#stage .node[data-id="n1"] .node-card.open .tree > .kids > .kv > .k', (ks) => ks.map((k) => k.textContent));
  check(keys.length > 0 && keys.every((k) => k in s.nodes[0].state), 'an open card draws the node\'s state as a tree of its fields', keys);
  // Close it by its head: a signal's dot may lie over the middle of the open card.
  await page.click('#stage .node[data-id="n1"] .node-card .card-head');
  await page.waitForSelector('#stage .node[data-id="n1"] .node-card:not(.open)');

  // Run on, then jump from an operation in the history to its tick.
  for (let i = 0; i < 30; i++) await api('/api/step', {});
  await page.waitForFunction((t) => document.getElementById('tick').textContent === String(t), tf + 30);
  const box = await page.evaluate(() => {
    const b = historyBoxes.find((x) => x.op.complete != null);
    const r = document.getElementById('history').getBoundingClientRect();
    return b && { x: r.left + (b.x0 + b.x1) / 2, y: r.top + (b.y + b.y1) / 2, op: b.op };
  });
  check(box, 'the history draws completed operations');
  await page.mouse.move(box.x, box.y);
  await page.waitForFunction((i) => hotOp === i, box.op.index);
  const lit = await page.evaluate((i) => diagramSegs.filter((sg) => sg.m.ops.includes(i)).length, box.op.index);
  const own = (await api('/api/state')).messages.filter((m) => m.ops.includes(box.op.index)).length;
  check(own > 0 && lit === own, 'hovering an operation lights its messages in the diagram', { lit, own });
  await responseTo(page, '/api/seek', () => page.mouse.click(box.x, box.y));
  s = await api('/api/state');
  check(s.tick === box.op.complete, 'clicking an operation jumps to the tick it completed', [box.op.complete, s.tick]);
  // And a line of the event log.
  // Read the line's tick and click it in one step in the page: the log re-renders as the game
  // moves, so reading first and clicking later could hit another line.
  let logTick;
  await responseTo(page, '/api/seek', async () => {
    logTick = await page.evaluate(() => {
      const li = document.querySelectorAll('#log li[data-tick]')[1];
      li.click();
      return Number(li.dataset.tick);
    });
  });
  check((await api('/api/state')).tick === Math.min(logTick, s.head), 'clicking an event jumps to its tick');

  // A refused action is a toast: isolate n3 twice.
  await api('/api/node', { node: 3, action: 'isolate' });
  await page.evaluate(() => post('/api/node', { node: 3, action: 'isolate' }));
  await page.waitForSelector('#toast:not(.hidden)');
  check((await page.textContent('#toast')).includes('already isolated'), 'a refused action shows the server\'s reason');
  s = await api('/api/state');
  check(s.nodes.filter((n) => n.cut_off).map((n) => n.id).join() === 'n3', 'isolating n3 marks n3 alone as cut off');
  // The isolation came through the API: wait for the stream to bring it to the page.
  const drawn = await page.waitForFunction(() => {
    const ids = [...document.querySelectorAll('#stage .node.cut-off')].map((n) => n.dataset.id).join();
    return ids && ids;
  }).then((h) => h.jsonValue());
  check(drawn === 'n3', 'and the stage draws n3 alone so', drawn);
  await api('/api/node', { node: 3, action: 'heal' });

  // Frames per second, counted by the page's own animation frames at speed 100.
  async function fps(p) {
    return p.evaluate(() => new Promise((done) => {
      const start = window.__frames, t0 = performance.now();
      setTimeout(() => done((window.__frames - start) * 1000 / (performance.now() - t0)), 3000);
    }));
  }
  await api('/api/speed', { ticks_per_second: 100 });
  await api('/api/resume', {});
  await page.waitForTimeout(500);
  const small = await fps(page);
  const inFlightSmall = (await api('/api/state')).signals.length;
  await api('/api/pause', {});
  console.log(`fps - 5 nodes, 3 clients, speed 100: ${small.toFixed(1)} frames per second (${inFlightSmall} signals in flight)`);

  const big = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  big.on('pageerror', (e) => errors.push('big: ' + e.message));
  await big.goto(bigUrl);
  await big.waitForFunction(() => document.querySelectorAll('#stage .node').length === 25);
  await api('/api/resume', {}, bigUrl);
  await until('the big game has a few hundred signals in flight', async () => (await api('/api/state', undefined, bigUrl)).signals.length >= 150, 60000);
  const large = await fps(big);
  const inFlight = (await api('/api/state', undefined, bigUrl)).signals.length;
  console.log(`fps - 25 nodes, 20 clients, speed 100: ${large.toFixed(1)} frames per second (${inFlight} signals in flight)`);
  check(true, 'the frame rates are measured');

  // The layout at smaller screens: no sideways scroll, the events card shown, the banner off the
  // nodes, the counters readable.
  await api('/api/pause', {}, bigUrl);
  for (const [w, h] of [[1366, 768], [1024, 768]]) {
    for (const p of [page, big]) {
      await p.setViewportSize({ width: w, height: h });
      await p.waitForTimeout(300);
      const m = await p.evaluate(() => {
        const rect = (e) => e.getBoundingClientRect();
        const log = rect(document.querySelector('.log-card'));
        const banner = rect(document.getElementById('banner'));
        const n1 = rect(document.querySelector('#stage .node[data-id="n1"] circle'));
        const overlap = !(banner.right < n1.left || banner.left > n1.right || banner.bottom < n1.top || banner.top > n1.bottom) && banner.width > 0;
        const clipped = [...document.querySelectorAll('.tile .d, .tile .k')].filter((d) => d.offsetParent && d.scrollWidth > d.clientWidth + 1).length;
        return { scroll: document.documentElement.scrollWidth - window.innerWidth, log: log.height, logBottom: log.top + 40 <= window.innerHeight, overlap, clipped };
      });
      check(m.scroll <= 0 && m.log >= 80 && m.logBottom && !m.overlap && m.clipped === 0, `the page holds at ${w}x${h} (${p === big ? '25 nodes' : '5 nodes'})`, m);
    }
  }
  // A Raft node's state is its Serialize tree: its log drawn as RaftScope draws one, every entry
  // (index, a box with its term, its command), the entries the last tick added highlighted.
  await big.setViewportSize({ width: 1440, height: 900 });
  let grown = null;
  for (let i = 0; i < 200 && !grown; i++) {
    const st = (await api('/api/step', {}, bigUrl)).state;
    const n = st.nodes.find((x) => x.state.log.length >= 4 && (x.changed || []).some((c) => /^log\/\d+$/.test(c)));
    if (n) grown = { tick: st.tick, node: n };
  }
  check(grown, 'a Raft log of a few entries grows within 200 ticks', grown && grown.tick);
  const { node: rn } = grown;
  await big.waitForFunction((t) => document.getElementById('tick').textContent === String(t), grown.tick);
  await big.evaluate((id) => toggleCard(id), rn.id);
  const sel = `#stage .node[data-id="${rn.id}"] .node-card.open .log-row`;
  await big.waitForSelector(`${sel} .entry`);
  const rows = await big.$$eval(`${sel} .entry`, (es) => es.map((e) => ({
    ix: e.querySelector('.ix').textContent, term: e.querySelector('.term').textContent, cmd: e.querySelector('.cmd').textContent, chg: e.classList.contains('chg'),
  })));
  check(rows.length === rn.state.log.length && rows.every((r, i) => r.ix === String(i + 1) && r.term === String(rn.state.log[i].term) && r.cmd.length > 0),
    `the open card draws the whole log, ${rn.state.log.length} entries, each with its index, term and command`, { rows: rows.length, log: rn.state.log.length });
  const added = [...new Set(rn.changed.filter((c) => /^log\/\d+(\/|$)/.test(c)).map((c) => Number(c.split('/')[1])))];
  check(added.every((i) => rows[i].chg) && rows.filter((r) => r.chg).length === added.length, 'the entries the tick added or changed are highlighted, and only they', { added, chg: rows.map((r, i) => r.chg && i).filter((x) => x !== false) });
  const head = await big.textContent(`#stage .node[data-id="${rn.id}"] .node-card .card-head`);
  check(rn.badge && head.includes(rn.badge), 'the card heads with the node\'s badge', { head, badge: rn.badge });
  await big.close();
  await page.setViewportSize({ width: 1440, height: 900 });

  // The broken algorithm at its seed: the game pauses on the violation; the explanation's
  // operations and their messages are highlighted.
  await page.goto(bugUrl);
  await page.waitForFunction(() => document.querySelector('#conn').classList.contains('live'));
  await api('/api/resume', {}, bugUrl);
  const v = await until('the game pauses on the violation', async () => {
    const st = await api('/api/state', undefined, bugUrl);
    return !st.running && st.tick > 0 ? st : null;
  }, 60000);
  check(v.verdict.verdict === 'not_linearizable' && v.tick === v.violation_at, 'the game paused on the violation', { tick: v.tick, at: v.violation_at });
  await page.waitForFunction(() => document.getElementById('verdict-badge').textContent.includes('NOT LINEARIZABLE'));
  const writes = v.history.filter((o) => v.explained.includes(o.index) && o.kind === 'write').length;
  check(writes > 0, 'the writes the explanation names are outlined too', v.explained);
  const red = await page.evaluate(() => diagramSegs.filter((sg) => sg.m.ops.some((o) => state.explained.includes(o))).length);
  check(red > 0, 'the diagram highlights the messages of the explanation\'s operations', red);
  await page.click('#history-violation');
  await page.waitForTimeout(400);
  await page.screenshot({ path: screenshot });
  check(true, `screenshot saved to ${screenshot}`);
  check(errors.length === 0, 'the page logged no errors', errors);
} finally {
  await browser.close();
}

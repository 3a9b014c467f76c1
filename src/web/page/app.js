// dgame play: the page. It draws the state the server streams (one complete JSON document per
// tick, see docs/PLAY.md), moves every signal smoothly between ticks, and sends the user's
// interventions to the API. No framework, no build step.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);
const SPEEDS = [0.5, 1, 2, 3, 5, 8, 10, 15, 20, 30, 50, 100];
const W = 1000;
const CENTER = { x: 500, y: 270 };
const RING = 210;
const CLIENT_Y = 585;
const R_NODE = 30;

let state = null;          // the latest state from the server
let lastTickAt = 0;        // performance.now() when the latest tick arrived
let frozenFrac = 0;        // the progress into the next tick while paused
let layoutKey = '';        // what the drawn servers depend on
let lastLogSeq = 0;        // the newest log entry seen
let shownGame = 0;
let hovered = null;        // the id of the signal under the pointer
let historyView = 'live';  // or 'violation'
const pos = new Map();     // server id -> {x, y, r}
const dots = new Map();    // signal id -> {el, s}
const flashes = [];        // {x, y, start, ring, x}

// ---------------------------------------------------------------- the API

async function post(path, body) {
  let res;
  try {
    res = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body || {}),
    });
  } catch (e) {
    toast('The server does not answer: ' + e.message);
    return null;
  }
  const json = await res.json().catch(() => ({ error: res.statusText }));
  if (!res.ok) {
    toast(json.error || ('HTTP ' + res.status));
    return null;
  }
  if (json.state) apply(json.state);
  return json;
}

let toastTimer = 0;
function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.classList.remove('hidden');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.add('hidden'), 4000);
}

function connect() {
  const es = new EventSource('/api/stream');
  es.onopen = () => { $('conn').textContent = 'live'; $('conn').classList.add('live'); };
  es.onerror = () => { $('conn').textContent = 'reconnecting'; $('conn').classList.remove('live'); };
  es.onmessage = (e) => {
    try { apply(JSON.parse(e.data)); } catch (err) { console.error(err); }
  };
}

// ---------------------------------------------------------------- time

function frac() {
  if (!state) return 0;
  if (!state.running) return frozenFrac;
  return Math.max(0, Math.min(1, (performance.now() - lastTickAt) / state.tick_ms));
}

function apply(next) {
  const prev = state;
  const f = frac();
  if (!prev || prev.game !== next.game) {
    lastTickAt = performance.now();
    frozenFrac = 0;
    if (prev && prev.game !== next.game) { clearSignals(); historyView = 'live'; }
  } else if (next.tick !== prev.tick) {
    lastTickAt = performance.now();
    frozenFrac = 0;
  } else if (prev.running && !next.running) {
    frozenFrac = f;
  } else if (!prev.running && next.running) {
    lastTickAt = performance.now() - frozenFrac * next.tick_ms;
  }
  state = next;
  render();
}

// ---------------------------------------------------------------- layout

function nodeAngle(i, n) {
  const step = 360 / n;
  const deg = 270 + (n % 2 === 1 ? i * step : (i + 0.5) * step);
  return deg * Math.PI / 180;
}

function layout(s) {
  pos.clear();
  const n = s.nodes.length;
  s.nodes.forEach((node, i) => {
    const a = nodeAngle(i, n);
    pos.set(node.id, { x: CENTER.x + RING * Math.cos(a), y: CENTER.y + RING * Math.sin(a), r: R_NODE });
  });
  pos.set('gateway', { x: CENTER.x, y: CENTER.y, r: 30 });
  const c = s.clients.length;
  const gap = Math.min(120, 820 / Math.max(1, c));
  s.clients.forEach((client, i) => {
    pos.set(client.id, { x: W / 2 + (i - (c - 1) / 2) * gap, y: CLIENT_Y, r: 28 });
  });
}

function el(tag, attrs, parent) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function buildServers(s) {
  layout(s);
  const links = $('links');
  const servers = $('servers');
  links.textContent = '';
  servers.textContent = '';
  const g = pos.get('gateway');
  // Links: node to node (chords), gateway to node (spokes), client to gateway.
  for (let i = 0; i < s.nodes.length; i++) {
    for (let j = i + 1; j < s.nodes.length; j++) {
      const a = pos.get(s.nodes[i].id), b = pos.get(s.nodes[j].id);
      el('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: 'link peer', 'data-a': s.nodes[i].id, 'data-b': s.nodes[j].id }, links);
    }
  }
  for (const node of s.nodes) {
    const a = pos.get(node.id);
    el('line', { x1: g.x, y1: g.y, x2: a.x, y2: a.y, class: 'link', 'data-a': 'gateway', 'data-b': node.id }, links);
  }
  for (const client of s.clients) {
    const a = pos.get(client.id);
    el('line', { x1: a.x, y1: a.y, x2: g.x, y2: g.y, class: 'link', 'data-a': client.id, 'data-b': 'gateway' }, links);
  }
  // The gateway.
  const gw = el('g', { class: 'server gateway', 'data-id': 'gateway' }, servers);
  el('rect', { x: g.x - 48, y: g.y - 22, width: 96, height: 44, rx: 12, class: 'body' }, gw);
  el('text', { x: g.x, y: g.y - 2, class: 'name' }, gw).textContent = 'gateway';
  el('text', { x: g.x, y: g.y + 38, class: 'sub', id: 'gateway-sub' }, gw);
  // The nodes, each with its state card under it.
  for (const node of s.nodes) {
    const p = pos.get(node.id);
    const ng = el('g', { class: 'server node', 'data-id': node.id, tabindex: '0', role: 'button', 'aria-label': 'node ' + node.number }, servers);
    el('circle', { cx: p.x, cy: p.y, r: R_NODE, class: 'body' }, ng);
    el('text', { x: p.x, y: p.y, class: 'name' }, ng).textContent = node.id;
    el('text', { x: p.x, y: p.y - R_NODE - 10, class: 'crown' }, ng);
    el('text', { x: p.x, y: p.y + R_NODE + 13, class: 'mark' }, ng);
    const fo = el('foreignObject', { x: p.x - 115, y: p.y + R_NODE + 19, width: 230, height: 106 }, ng);
    const card = document.createElement('div');
    card.className = 'node-card';
    fo.appendChild(card);
    ng.addEventListener('click', (e) => { e.stopPropagation(); openMenu(node.id); });
    ng.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); openMenu(node.id); } });
  }
  // The clients.
  for (const client of s.clients) {
    const p = pos.get(client.id);
    const cg = el('g', { class: 'server client', 'data-id': client.id }, servers);
    el('rect', { x: p.x - 44, y: p.y - 26, width: 88, height: 56, rx: 10, class: 'body' }, cg);
    el('text', { x: p.x, y: p.y - 11, class: 'name' }, cg).textContent = client.id;
    el('text', { x: p.x, y: p.y + 10, class: 'op' }, cg);
    el('text', { x: p.x, y: p.y + 24, class: 'sub' }, cg);
  }
}

// A Rust `Debug` text as a tree: structs (`Name { field: value, .. }`) and opaque leaves.
function parseDebug(t) {
  let i = 0;
  const name = /([A-Za-z_][\w:]*(?:<[^{}]*>)?) \{ ?/y;
  const field = /([A-Za-z_]\w*): /y;
  const ws = () => { while (t[i] === ' ') i++; };
  function leaf() {
    const start = i;
    let depth = 0, quoted = false;
    for (; i < t.length; i++) {
      const c = t[i];
      if (quoted) { if (c === '\\') i++; else if (c === '"') quoted = false; continue; }
      if (c === '"') quoted = true;
      else if ('([{'.includes(c)) depth++;
      else if (')]}'.includes(c)) { if (depth === 0) break; depth--; }
      else if (c === ',' && depth === 0) break;
    }
    return { text: t.slice(start, i).trim() };
  }
  function value() {
    ws();
    name.lastIndex = i;
    const m = name.exec(t);
    if (!m) return leaf();
    i = name.lastIndex;
    const fields = [];
    while (i < t.length) {
      ws();
      if (t[i] === '}') { i++; break; }
      field.lastIndex = i;
      const f = field.exec(t);
      const before = i;
      if (f) { i = field.lastIndex; fields.push([f[1], value()]); }
      else fields.push(['', leaf()]);
      ws();
      if (t[i] === ',') i++;
      if (i === before) i++; // never stall on text this reader does not know
    }
    return { name: m[1], fields };
  }
  return value();
}

// The tree as "path: value" lines: `Abd { current: Tagged { tag: .. } }` -> `current.tag: ..`.
function stateLines(text) {
  const root = parseDebug(text);
  if (!root.fields) return { ty: '', lines: [['', text]] };
  const lines = [];
  const walk = (v, path) => {
    if (v.fields && v.fields.length && path.split('.').length < 4) {
      for (const [k, f] of v.fields) walk(f, path ? (k ? path + '.' + k : path) : k);
    } else if (v.text !== '..') {
      lines.push([path, v.fields ? (v.fields.length ? '{…}' : '{}') : v.text]);
    }
  };
  walk(root, '');
  return { ty: root.name, lines };
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

// ---------------------------------------------------------------- drawing a state

function render() {
  const s = state;
  const key = s.game + ':' + s.nodes.length + ':' + s.clients.length;
  if (key !== layoutKey) { buildServers(s); layoutKey = key; }
  if (shownGame !== s.game) { shownGame = s.game; }

  $('algorithm').textContent = s.algorithm;
  $('tick').textContent = s.tick;
  $('ticks').textContent = s.ticks;
  $('seed').textContent = s.seed;
  const play = $('play');
  play.classList.toggle('paused', !s.running);
  play.querySelector('.icon').textContent = s.running ? '❚❚' : '▶';
  play.querySelector('.text').textContent = s.running ? 'Pause' : 'Resume';
  play.disabled = s.finished && !s.running;
  $('step').disabled = s.finished;
  const idx = nearestSpeed(s.speed);
  if (document.activeElement !== $('speed')) $('speed').value = idx;
  $('speed-out').textContent = fmtSpeed(s.speed);

  const banner = $('banner');
  banner.className = 'banner';
  if (s.error) { banner.classList.add('error'); banner.textContent = 'The run stopped: ' + s.error; }
  else if (s.finished) { banner.classList.add('over'); banner.textContent = `The game is over at tick ${s.tick}: restart it, or play longer with --ticks`; }
  else if (!s.running) { banner.textContent = 'Paused · Space resumes · S steps one tick'; }
  else banner.classList.add('hidden');

  drawServers(s);
  syncSignals(s);
  drawVerdict(s);
  drawCounters(s);
  drawConfig(s);
  drawLog(s);
  drawHistory();
}

function drawServers(s) {
  const cut = new Set(s.cuts.map(([a, b]) => a + '>' + b));
  for (const line of $('links').children) {
    const a = line.getAttribute('data-a'), b = line.getAttribute('data-b');
    line.classList.toggle('cut', cut.has(a + '>' + b) || cut.has(b + '>' + a));
  }
  for (const node of s.nodes) {
    const g = $('servers').querySelector(`.node[data-id="${node.id}"]`);
    if (!g) continue;
    g.classList.toggle('crashed', node.status === 'crashed');
    g.classList.toggle('paused', node.status === 'paused');
    g.classList.toggle('cut-off', node.cut_off);
    g.querySelector('.crown').textContent = node.leader ? '♛' : '';
    const mark = g.querySelector('.mark');
    const marks = [];
    if (node.status !== 'up') marks.push(node.status);
    if (node.cut_off) marks.push('cut off');
    mark.textContent = marks.join(' · ');
    mark.setAttribute('class', 'mark ' + (node.status !== 'up' ? node.status : node.cut_off ? 'cut-off' : ''));
    const card = g.querySelector('.node-card');
    const key = node.status + '|' + node.state;
    if (card.dataset.key !== key) {
      card.dataset.key = key;
      card.classList.toggle('crashed', node.status === 'crashed');
      const { ty, lines } = stateLines(node.state);
      const shown = lines.slice(0, 5);
      card.innerHTML = (ty ? `<div class="ln ty">${escapeHtml(ty)}${node.status === 'crashed' ? ' · crashed' : ''}</div>` : '') +
        shown.map(([k, v]) => (k
          ? `<div class="ln"><span class="k">${escapeHtml(k)}:</span> ${escapeHtml(v)}</div>`
          : `<div class="ln">${escapeHtml(v)}</div>`)).join('') +
        (lines.length > 5 ? `<div class="ln k">… ${lines.length - 5} more: click the node</div>` : '');
      card.parentNode.setAttribute('aria-label', node.state);
    }
    g.setAttribute('data-status', node.status);
  }
  const sub = $('gateway-sub');
  if (sub) sub.textContent = s.leader ? 'routes to ' + s.leader : 'round robin';
  for (const client of s.clients) {
    const g = $('servers').querySelector(`.client[data-id="${client.id}"]`);
    if (!g) continue;
    const op = client.operation != null ? s.history[client.operation] : null;
    g.classList.toggle('waiting', client.waiting);
    const t = g.querySelector('.op');
    t.textContent = client.display || '·';
    t.setAttribute('class', 'op ' + (op ? op.outcome : ''));
    g.querySelector('.sub').textContent = !op ? 'starting' : client.waiting ? 'waiting' : op.outcome === 'ok' ? 'done' : op.outcome;
  }
}

function clearSignals() {
  for (const { el: e } of dots.values()) e.remove();
  dots.clear();
  hideTooltip();
}

function syncSignals(s) {
  const seen = new Set();
  const layer = $('signals');
  for (const sig of s.signals) {
    seen.add(sig.id);
    let d = dots.get(sig.id);
    if (!d) {
      const c = el('circle', { r: 6, class: 'signal ' + sig.category, 'data-id': sig.id }, layer);
      c.addEventListener('mouseenter', (e) => { hovered = sig.id; c.classList.add('hot'); showTooltip(sig.id, e); });
      c.addEventListener('mousemove', (e) => moveTooltip(e));
      c.addEventListener('mouseleave', () => { if (hovered === sig.id) hovered = null; c.classList.remove('hot'); hideTooltip(); });
      c.addEventListener('click', (e) => { e.stopPropagation(); dropSignal(sig.id); });
      d = { el: c, s: sig };
      dots.set(sig.id, d);
    }
    d.s = sig;
  }
  // New drops flash where they happened, seen from the signal's last known place.
  for (const entry of s.log) {
    if (entry.seq <= lastLogSeq) continue;
    if (entry.kind === 'drop') flashDrop(entry);
  }
  for (const [id, d] of dots) {
    if (!seen.has(id)) {
      d.el.remove();
      dots.delete(id);
      if (hovered === id) { hovered = null; hideTooltip(); }
    }
  }
  placeSignals();
}

function endpoints(sig) {
  const a = pos.get(sig.from), b = pos.get(sig.to);
  if (!a || !b) return null;
  const dx = b.x - a.x, dy = b.y - a.y;
  const len = Math.hypot(dx, dy) || 1;
  const ux = dx / len, uy = dy / len;
  // Each direction of a link has its own lane, so requests and replies do not overlap.
  const ox = -uy * 5, oy = ux * 5;
  return {
    x1: a.x + ux * a.r + ox, y1: a.y + uy * a.r + oy,
    x2: b.x - ux * b.r + ox, y2: b.y - uy * b.r + oy,
  };
}

function where(sig, t) {
  const e = endpoints(sig);
  if (!e) return null;
  const span = Math.max(1, sig.arrival - sig.sent);
  const p = Math.max(0, Math.min(1, (t - sig.sent) / span));
  return { x: e.x1 + (e.x2 - e.x1) * p, y: e.y1 + (e.y2 - e.y1) * p };
}

function placeSignals() {
  if (!state) return;
  const t = state.tick + frac();
  for (const d of dots.values()) {
    const p = where(d.s, t);
    if (!p) continue;
    d.el.setAttribute('cx', p.x.toFixed(1));
    d.el.setAttribute('cy', p.y.toFixed(1));
  }
}

function flashDrop(entry) {
  const d = dots.get(entry.signal);
  let p = null;
  if (d && entry.reason !== 'loss' && entry.reason !== 'crashed') p = where(d.s, state.tick + frac());
  if (!p) {
    const end = pos.get(entry.reason === 'partition' && !d ? entry.from : entry.to);
    if (end) p = { x: end.x, y: end.y };
  }
  if (!p) return;
  const ring = el('circle', { cx: p.x, cy: p.y, r: 6, class: 'flash' }, $('flashes'));
  const x = el('text', { x: p.x, y: p.y, class: 'flash-x' }, $('flashes'));
  x.textContent = '✕';
  flashes.push({ ring, x, start: performance.now() });
}

function animateFlashes(now) {
  for (let i = flashes.length - 1; i >= 0; i--) {
    const f = flashes[i];
    const k = (now - f.start) / 900;
    if (k >= 1) { f.ring.remove(); f.x.remove(); flashes.splice(i, 1); continue; }
    f.ring.setAttribute('r', (6 + 30 * k).toFixed(1));
    f.ring.setAttribute('opacity', (1 - k).toFixed(2));
    f.x.setAttribute('opacity', (1 - k * k).toFixed(2));
  }
}

function frame(now) {
  placeSignals();
  animateFlashes(now);
  requestAnimationFrame(frame);
}

// ---------------------------------------------------------------- the tooltip and the menu

function showTooltip(id, e) {
  const d = dots.get(id);
  if (!d) return;
  const s = d.s;
  const kind = s.kind === 'reply' ? `reply to #${s.reply_to}` : s.kind === 'one_way' ? 'one-way' : 'request';
  $('tooltip').innerHTML =
    `<div class="tt-head"><span class="tt-id">#${s.id}</span><span class="tt-type" style="color:var(--${s.category})">${escapeHtml(s.type)}</span><span class="tt-id">${kind}</span></div>` +
    `<div class="tt-msg">${escapeHtml(s.message)}</div>` +
    `<div class="tt-route">${s.from} → ${s.to} · sent at tick ${s.sent} · arrives at the end of tick ${s.arrival}</div>` +
    `<div class="tt-hint">click to drop it</div>`;
  $('tooltip').classList.remove('hidden');
  moveTooltip(e);
}

function moveTooltip(e) {
  const wrap = $('stage-wrap').getBoundingClientRect();
  const t = $('tooltip');
  let x = e.clientX - wrap.left + 14, y = e.clientY - wrap.top + 14;
  if (x + t.offsetWidth > wrap.width - 8) x = e.clientX - wrap.left - t.offsetWidth - 14;
  if (y + t.offsetHeight > wrap.height - 8) y = e.clientY - wrap.top - t.offsetHeight - 14;
  t.style.left = Math.max(4, x) + 'px';
  t.style.top = Math.max(4, y) + 'px';
}

function hideTooltip() { $('tooltip').classList.add('hidden'); }

function openMenu(id) {
  const node = state && state.nodes.find((n) => n.id === id);
  if (!node) return;
  const p = pos.get(id);
  const svg = $('stage');
  const pt = svg.createSVGPoint();
  pt.x = p.x + R_NODE + 6; pt.y = p.y - R_NODE;
  const screen = pt.matrixTransform(svg.getScreenCTM());
  const wrap = $('stage-wrap').getBoundingClientRect();
  const items = [];
  if (node.status === 'crashed') items.push(['restart', 'Restart', 'restart it from its durable store']);
  else items.push(['crash', 'Crash', 'lose its state and handlers', 'danger']);
  if (node.status === 'paused') items.push(['resume', 'Resume', '']);
  else if (node.status === 'up') items.push(['pause', 'Pause', 'freeze it; messages wait']);
  if (node.cut_off) items.push(['heal', 'Heal its links', '']);
  items.push(['isolate', 'Isolate', 'cut it off from everyone', 'danger']);
  const menu = $('menu');
  const { ty, lines } = stateLines(node.state);
  const full = (ty ? ty + '\n' : '') + lines.map(([k, v]) => (k ? `  ${k}: ${v}` : `  ${v}`)).join('\n');
  menu.innerHTML = `<h3>${id} · ${node.status}${node.cut_off ? ' · cut off' : ''}</h3><pre>${escapeHtml(full)}</pre>` +
    items.map(([a, label, title, cls]) => `<button data-action="${a}" data-node="${node.number}" title="${title}" class="${cls || ''}">${label}</button>`).join('');
  menu.classList.remove('hidden');
  let x = screen.x - wrap.left, y = screen.y - wrap.top;
  if (x + menu.offsetWidth > wrap.width - 8) x = screen.x - wrap.left - menu.offsetWidth - 2 * R_NODE - 12;
  menu.style.left = Math.max(4, x) + 'px';
  menu.style.top = Math.max(4, Math.min(y, wrap.height - menu.offsetHeight - 8)) + 'px';
  for (const b of menu.querySelectorAll('button')) {
    b.addEventListener('click', async (e) => {
      e.stopPropagation();
      closeMenu();
      await post('/api/node', { node: Number(b.dataset.node), action: b.dataset.action });
    });
  }
  const first = menu.querySelector('button');
  if (first) first.focus();
}

function closeMenu() { $('menu').classList.add('hidden'); }

// ---------------------------------------------------------------- the panels

function drawVerdict(s) {
  const v = s.verdict;
  const card = $('verdict');
  card.className = 'card verdict';
  const badge = $('verdict-badge');
  const text = $('verdict-text');
  const ops = s.counters.operations.total;
  if (v.verdict === 'linearizable') {
    card.classList.add('ok');
    badge.textContent = '✓ LINEARIZABLE';
    text.innerHTML = `${ops} operation${ops === 1 ? '' : 's'} so far, and some order of them explains every answer.`;
  } else if (v.verdict === 'not_linearizable') {
    card.classList.add('bad');
    badge.textContent = '✗ NOT LINEARIZABLE';
    text.innerHTML = `${escapeHtml(v.explanation)}<ul>${v.operations.map((o) => `<li>${escapeHtml(o)}</li>`).join('')}</ul>`;
  } else if (v.verdict === 'unknown') {
    card.classList.add('unknown');
    badge.textContent = '? UNKNOWN';
    text.textContent = v.reason;
  } else {
    card.classList.add('bad');
    badge.textContent = '✗ NO VERDICT';
    text.textContent = v.error;
  }
  const violation = v.verdict === 'not_linearizable';
  $('history-violation').classList.toggle('hidden', !violation || historyView === 'violation');
  $('history-live').classList.toggle('hidden', historyView === 'live');
  if (!violation && historyView === 'violation') historyView = 'live';
}

function drawCounters(s) {
  const c = s.counters, o = c.operations, l = c.latency, d = c.dropped;
  const lost = d.loss + d.partition + d.crashed;
  const tiles = [
    [`${o.total}<small> · ${o.pending} pending</small>`, 'operations', `<span class="ok">${o.ok} ok</span> · <span class="failed">${o.failed} failed</span> · <span class="unknown">${o.unknown} unknown</span>`, 'wide'],
    [`${l.p50}<small> ticks</small>`, 'latency p50', `p90 ${l.p90} · max ${l.max}`],
    [c.messages_per_operation.toFixed(1), 'messages / op', `${c.sent} sent`],
    [c.in_flight, 'in flight', `${c.delivered} delivered`],
    [`<span class="you">${d.by_id}</span>`, 'dropped by you', `${lost} lost otherwise`],
  ];
  $('counters').innerHTML = tiles.map(([v, k, more, cls]) =>
    `<div class="tile ${cls || ''}"><div class="v">${v}</div><div class="k">${k}</div><div class="d">${more}</div></div>`).join('');
  $('command').textContent = s.command;
  $('interventions').textContent = s.interventions.length
    ? `${s.interventions.length} intervention${s.interventions.length === 1 ? '' : 's'} recorded: ${s.interventions.join(', ')}`
    : 'Your interventions are recorded here as faults at the tick they landed on.';
}

let configKey = '';
function drawConfig(s) {
  const c = s.config;
  const key = JSON.stringify(c);
  if (key === configKey) return;
  configKey = key;
  const t = (x) => (x == null ? 'never' : x);
  const parts = [
    `${c.nodes} nodes`, `${c.clients} clients (${c.client_kind})`, `delay ${fmtDelay(c.delay)}`, `loss ${c.loss}`,
    `timeouts ${t(c.gateway_timeout)}/${t(c.client_timeout)}`, `pause ≤${c.max_pause}`, `${c.values} values`,
  ];
  if (c.duplicate) parts.push(`duplicate ${c.duplicate}`);
  if (c.nemesis) parts.push(`nemesis ${(c.nemesis.kinds || []).join(',')}`);
  if (c.schedule && c.schedule.length) parts.push(`${c.schedule.length} scheduled faults`);
  if (c.cuts && c.cuts.length) parts.push(`${c.cuts.length} cuts`);
  $('config').textContent = parts.join(' · ');
}

function fmtDelay(d) {
  if (typeof d === 'number' || typeof d === 'string') return String(d);
  return JSON.stringify(d);
}

function drawLog(s) {
  const ol = $('log');
  const fresh = s.log.filter((e) => e.seq > lastLogSeq);
  if (!fresh.length && ol.children.length) return;
  if (!ol.children.length) {
    // First draw (or after a reload): the whole log.
    for (const e of s.log) ol.prepend(logItem(e, false));
  } else {
    for (const e of fresh) ol.prepend(logItem(e, true));
  }
  while (ol.children.length > 150) ol.lastChild.remove();
  if (s.log.length) lastLogSeq = s.log[s.log.length - 1].seq;
}

function logItem(e, isNew) {
  const li = document.createElement('li');
  li.className = e.kind + (e.by_user ? ' you' : '') + (isNew ? ' new' : '');
  li.dataset.seq = e.seq;
  if (e.signal != null) li.dataset.signal = e.signal;
  li.innerHTML = `<span class="t">t${e.tick}</span><span class="x">${escapeHtml(e.text)}</span>` + (e.by_user ? '<span class="who">you</span>' : '');
  return li;
}

// ---------------------------------------------------------------- the history

const OUTCOME_COLOR = { ok: '#3ee0a1', failed: '#ff5c7a', unknown: '#ffc857', pending: null };

function drawHistory() {
  const s = state;
  const canvas = $('history');
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (!w || !h) return;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const left = 44, right = 12, axis = 20;
  const lanes = Math.max(1, s.clients.length);
  const laneH = Math.min(38, (h - axis - 4) / lanes);
  const culprits = new Set(s.verdict.verdict === 'not_linearizable' ? s.verdict.indices : []);
  let t0, t1;
  if (historyView === 'violation' && culprits.size) {
    const ops = s.history.filter((o) => culprits.has(o.index));
    t0 = Math.min(...ops.map((o) => o.invoke)) - 8;
    t1 = Math.max(...ops.map((o) => (o.complete == null ? s.tick : o.complete))) + 8;
  } else {
    const span = Math.max(40, Math.floor((w - left - right) / 6));
    t1 = Math.max(s.tick + 2, span);
    t0 = t1 - span;
  }
  t0 = Math.max(0, t0);
  const x = (t) => left + ((t - t0) / Math.max(1, t1 - t0)) * (w - left - right);
  // Axis and grid.
  ctx.font = '11px ui-monospace, DejaVu Sans Mono, monospace';
  ctx.textBaseline = 'middle';
  const every = niceStep((t1 - t0) / 10);
  for (let t = Math.ceil(t0 / every) * every; t <= t1; t += every) {
    const xx = x(t);
    ctx.strokeStyle = 'rgba(34,48,79,.7)';
    ctx.beginPath(); ctx.moveTo(xx, 0); ctx.lineTo(xx, h - axis); ctx.stroke();
    ctx.fillStyle = '#55628a';
    ctx.textAlign = 'center';
    ctx.fillText(String(t), xx, h - axis / 2);
  }
  for (let i = 0; i < lanes; i++) {
    ctx.fillStyle = '#8794b8';
    ctx.textAlign = 'left';
    ctx.fillText('c' + (i + 1), 8, 4 + laneH * i + laneH / 2);
  }
  // Now.
  const xn = x(s.tick + (s.running ? frac() : frozenFrac));
  ctx.strokeStyle = 'rgba(90,169,255,.8)';
  ctx.beginPath(); ctx.moveTo(xn, 0); ctx.lineTo(xn, h - axis); ctx.stroke();
  // The operations.
  historyBoxes = [];
  for (const op of s.history) {
    const end = op.complete == null ? s.tick + 1 : op.complete + 1;
    if (end < t0 || op.invoke > t1) continue;
    const x0 = Math.max(left, x(op.invoke)), x1 = Math.min(w - right, x(end));
    const y = 4 + laneH * (op.client - 1) + 3;
    const bh = laneH - 6;
    const culprit = culprits.has(op.index);
    ctx.globalAlpha = culprits.size && !culprit ? 0.45 : 1;
    const color = OUTCOME_COLOR[op.outcome];
    ctx.fillStyle = color || ctx.createPattern(stripes(), 'repeat');
    roundRect(ctx, x0, y, Math.max(2, x1 - x0 - 1), bh, 3);
    ctx.fill();
    if (culprit) {
      ctx.globalAlpha = 1;
      ctx.strokeStyle = '#ff3d6e';
      ctx.lineWidth = 2.5;
      ctx.shadowColor = '#ff3d6e';
      ctx.shadowBlur = 10;
      roundRect(ctx, x0 - 1.5, y - 1.5, Math.max(2, x1 - x0 - 1) + 3, bh + 3, 4);
      ctx.stroke();
      ctx.shadowBlur = 0;
      ctx.lineWidth = 1;
    }
    const label = op.label;
    const tw = ctx.measureText(label).width;
    if (x1 - x0 > tw + 6) {
      ctx.fillStyle = color ? '#08101f' : '#dfe7ff';
      ctx.textAlign = 'center';
      ctx.fillText(label, (x0 + x1) / 2, y + bh / 2 + 0.5);
    }
    ctx.globalAlpha = 1;
    historyBoxes.push({ x0, x1, y, y1: y + bh, op });
  }
}

let historyBoxes = [];
let stripeCanvas = null;
function stripes() {
  if (stripeCanvas) return stripeCanvas;
  stripeCanvas = document.createElement('canvas');
  stripeCanvas.width = stripeCanvas.height = 8;
  const c = stripeCanvas.getContext('2d');
  c.fillStyle = '#27365c'; c.fillRect(0, 0, 8, 8);
  c.strokeStyle = '#3a5290'; c.lineWidth = 3;
  c.beginPath(); c.moveTo(-2, 10); c.lineTo(10, -2); c.stroke();
  return stripeCanvas;
}

function roundRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}

function niceStep(raw) {
  const steps = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000];
  return steps.find((s) => s >= raw) || 10000;
}

function historyHover(e) {
  const r = $('history').getBoundingClientRect();
  const mx = e.clientX - r.left, my = e.clientY - r.top;
  const hit = historyBoxes.find((b) => mx >= b.x0 && mx <= b.x1 && my >= b.y && my <= b.y1);
  const t = $('tooltip');
  if (!hit) { if (hovered == null) hideTooltip(); return; }
  const op = hit.op;
  const what = op.kind === 'read' ? 'read' : `write ${op.value}`;
  const end = op.complete == null ? 'still waiting' : `answered at tick ${op.complete}`;
  t.innerHTML = `<div class="tt-head"><span class="tt-id">op ${op.index}</span><span class="tt-type">c${op.client} ${what}</span></div>` +
    `<div class="tt-route">invoked at tick ${op.invoke} · ${end} · ${op.outcome}${op.read !== undefined ? ' · read ' + (op.read == null ? 'nothing' : op.read) : ''}</div>`;
  t.classList.remove('hidden');
  const wrap = $('stage-wrap').getBoundingClientRect();
  t.style.left = Math.max(4, Math.min(e.clientX - wrap.left + 12, wrap.width - t.offsetWidth - 8)) + 'px';
  t.style.top = Math.max(4, wrap.height - t.offsetHeight - 40) + 'px';
}

// ---------------------------------------------------------------- the controls

function fmtSpeed(v) { return (v < 1 ? v.toFixed(1) : Math.round(v)) + '/s'; }
function nearestSpeed(v) {
  let best = 0;
  SPEEDS.forEach((s, i) => { if (Math.abs(s - v) < Math.abs(SPEEDS[best] - v)) best = i; });
  return best;
}

function togglePause() {
  if (!state) return;
  post(state.running ? '/api/pause' : '/api/resume');
}
function step() { post('/api/step'); }
function setSpeed(i) {
  i = Math.max(0, Math.min(SPEEDS.length - 1, i));
  $('speed').value = i;
  $('speed-out').textContent = fmtSpeed(SPEEDS[i]);
  post('/api/speed', { ticks_per_second: SPEEDS[i] });
}
function dropSignal(id) {
  hideTooltip();
  post('/api/drop', { signal: id });
}

$('play').addEventListener('click', togglePause);
$('step').addEventListener('click', step);
$('speed').addEventListener('input', (e) => setSpeed(Number(e.target.value)));
$('restart-same').addEventListener('click', () => post('/api/restart', { seed: 'same' }));
$('restart-new').addEventListener('click', () => post('/api/restart', { seed: 'new' }));
$('copy').addEventListener('click', async () => {
  try { await navigator.clipboard.writeText(state ? state.command : ''); $('copy').textContent = 'copied'; }
  catch (e) { $('copy').textContent = 'select it'; }
  setTimeout(() => { $('copy').textContent = 'copy'; }, 1500);
});
$('history-violation').addEventListener('click', () => { historyView = 'violation'; if (state) render(); });
$('history-live').addEventListener('click', () => { historyView = 'live'; if (state) render(); });
$('history').addEventListener('mousemove', historyHover);
$('history').addEventListener('mouseleave', () => { if (hovered == null) hideTooltip(); });
document.addEventListener('click', (e) => { if (!$('menu').contains(e.target)) closeMenu(); });
window.addEventListener('resize', () => { if (state) drawHistory(); });

// Space pauses and resumes, even when a button has the focus: the button must not also fire.
window.addEventListener('keydown', (e) => {
  const t = e.target;
  if (t && (t.tagName === 'TEXTAREA' || (t.tagName === 'INPUT' && t.type !== 'range'))) return;
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.code === 'Space' || e.key === ' ') {
    e.preventDefault();
    e.stopPropagation();
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    if (!e.repeat) togglePause();
  } else if (e.key === 's' || e.key === 'S' || e.key === 'ArrowRight') {
    e.preventDefault();
    step();
  } else if (e.key === '+' || e.key === '=') {
    e.preventDefault();
    setSpeed(Number($('speed').value) + 1);
  } else if (e.key === '-' || e.key === '_') {
    e.preventDefault();
    setSpeed(Number($('speed').value) - 1);
  } else if (e.key === 'Escape') {
    closeMenu();
    hideTooltip();
  }
}, true);
window.addEventListener('keyup', (e) => { if (e.code === 'Space' || e.key === ' ') e.preventDefault(); }, true);

connect();
requestAnimationFrame(frame);

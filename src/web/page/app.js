// dgame play: the page. It keeps the state the server streams (a whole state first, then the
// patches that turn one state into the next, see docs/PLAY.md), draws it once per animation
// frame, moves every signal smoothly between ticks, and sends the player's interventions and
// moves on the timeline to the API. No framework, no build step.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);
const SPEEDS = [0.1, 0.2, 0.5, 1, 2, 3, 5, 8, 10, 15, 20, 30, 50, 100];
const W = 1000;
const DIAGRAM_TICKS = 60;

let state = null;          // the state shown
let base = null;           // the last state of the stream (what its next patch applies to)
let live = false;          // the stream is connected
let dirty = true;          // the panels need drawing
let lastTickAt = 0;        // performance.now() when the shown tick arrived
let frozenFrac = 0;        // the progress into the next tick while paused
let arrivalGap = 0;        // how far apart the ticks arrive while running (ms, a moving average)
let layoutKey = '';        // what the drawn servers depend on
let hovered = null;        // the id of the signal under the pointer
let hotOp = null;          // the operation under the pointer in the history
let hotMessage = null;     // the message under the pointer in the diagram
let historyView = 'live';  // or 'violation'
let view = { height: 640, rNode: 30, compact: false };
const pos = new Map();     // server id -> {x, y, r}
const dots = new Map();    // signal id -> {s, x, y, lit}: the dots drawn, in drawing order
const flashes = [];        // {x, y, start}: dropped signals, flashing
const expanded = new Set(); // node ids whose state card is open
let seenLogSeq = 0;        // the newest log entry already flashed
let seenTimeline = '';     // game:timeline of the log entries seen

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
  // The stream brings the same state; without it, show the answer's.
  if (json.state && !live) show(json.state);
  return json;
}

let toastTimer = 0;
function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.classList.remove('hidden');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.add('hidden'), 4500);
}

// A patch (see src/web/patch.rs) applied to `old`: a new value, sharing what did not change.
function applyPatch(old, p) {
  if ('=' in p) return p['='];
  if (p.o) {
    const out = Object.assign({}, old);
    if (p.d) for (const k of p.d) delete out[k];
    for (const k of Object.keys(p.o)) out[k] = applyPatch(old ? old[k] : undefined, p.o[k]);
    return out;
  }
  if (p.a) {
    const out = (old || []).slice(0, p.n);
    for (const [i, q] of p.a) out[i] = applyPatch(out[i], q);
    return out;
  }
  const k = p.k, gone = new Set(p.d), upd = new Map(p.u);
  const out = [];
  for (const e of old || []) {
    if (gone.has(e[k])) continue;
    out.push(upd.has(e[k]) ? applyPatch(e, upd.get(e[k])) : e);
  }
  for (const e of p['+']) out.push(e);
  return out;
}

function connect() {
  const es = new EventSource('/api/stream');
  es.onopen = () => { $('conn').textContent = 'live'; $('conn').classList.add('live'); };
  es.onerror = () => { live = false; base = null; $('conn').textContent = 'reconnecting'; $('conn').classList.remove('live'); };
  es.addEventListener('state', (e) => {
    try { base = JSON.parse(e.data); live = true; show(base); } catch (err) { console.error(err); }
  });
  es.addEventListener('patch', (e) => {
    if (!base) return;
    try { base = applyPatch(base, JSON.parse(e.data)); show(base); } catch (err) { console.error(err); }
  });
}

// ---------------------------------------------------------------- time

// How long a tick lasts on the page: the speed's, or longer when the server cannot keep that
// speed (a big game at 100 ticks per second), so the dots glide between the ticks that come
// instead of jumping and then waiting.
function tickDuration() {
  return Math.max(state.tick_ms, arrivalGap);
}

function frac() {
  if (!state) return 0;
  if (!state.running) return frozenFrac;
  return Math.max(0, Math.min(1, (performance.now() - lastTickAt) / tickDuration()));
}

function show(next) {
  const prev = state;
  const f = frac();
  const at = performance.now();
  if (!prev || !prev.running || !next.running || prev.speed !== next.speed) arrivalGap = 0;
  if (!prev || prev.game !== next.game || prev.timeline !== next.timeline) {
    lastTickAt = at;
    frozenFrac = 0;
    arrivalGap = 0;
    if (prev && prev.game !== next.game) { historyView = 'live'; expanded.clear(); }
    if (prev) clearSignals();
  } else if (next.tick !== prev.tick) {
    if (prev.running && next.running && next.tick === prev.tick + 1) {
      const gap = Math.min(2000, at - lastTickAt);
      arrivalGap = arrivalGap ? 0.8 * arrivalGap + 0.2 * gap : gap;
    }
    lastTickAt = at;
    frozenFrac = 0;
  } else if (prev.running && !next.running) {
    frozenFrac = f;
  } else if (!prev.running && next.running) {
    lastTickAt = at - frozenFrac * next.tick_ms;
  }
  state = next;
  window.__states = (window.__states || 0) + 1;
  dirty = true;
}

// ---------------------------------------------------------------- layout

function nodeAngle(i, n) {
  const step = 360 / n;
  const deg = 270 + (n % 2 === 1 ? i * step : (i + 0.5) * step);
  return deg * Math.PI / 180;
}

// The ring grows and the nodes shrink with their number; clients wrap in rows.
function layout(s) {
  pos.clear();
  const n = s.nodes.length, c = s.clients.length;
  const compact = n > 7;
  const rNode = n <= 7 ? 30 : Math.max(14, Math.round(30 - (n - 7) * 0.9));
  const ring = n <= 7 ? 200 : Math.min(250, 200 + (n - 7) * 4);
  const perRow = Math.min(c, 10);
  const rows = Math.max(1, Math.ceil(c / Math.max(1, perRow)));
  const center = { x: 500, y: compact ? 285 : 250 };
  const clientTop = center.y + ring + (compact ? 70 : 150);
  const height = Math.max(640, clientTop + rows * 64 + 10);
  view = { height, rNode, compact, tiny: n > 12, center, ring };
  document.body.classList.toggle('compact', compact);
  document.body.classList.toggle('tiny', n > 12);
  s.nodes.forEach((node, i) => {
    const a = nodeAngle(i, n);
    pos.set(node.id, { x: center.x + ring * Math.cos(a), y: center.y + ring * Math.sin(a), r: rNode, a });
  });
  pos.set('gateway', { x: center.x, y: center.y, r: 30 });
  const gap = Math.min(110, 900 / Math.max(1, perRow));
  s.clients.forEach((client, i) => {
    const row = Math.floor(i / perRow), col = i % perRow;
    const inRow = Math.min(perRow, c - row * perRow);
    pos.set(client.id, { x: W / 2 + (col - (inRow - 1) / 2) * gap, y: clientTop + row * 64, r: 26 });
  });
  $('stage-static').setAttribute('viewBox', `0 0 ${W} ${height}`);
  dotsDirty = true;
  const ringEl = $('ring');
  ringEl.setAttribute('cx', center.x); ringEl.setAttribute('cy', center.y); ringEl.setAttribute('r', ring);
}

function el(tag, attrs, parent) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

// Where a node's state card goes: under it, or outside the ring when the nodes are many.
function cardBox(p, open) {
  const w = open ? 300 : (view.tiny ? 96 : view.compact ? 132 : 230);
  const h = open ? 240 : (view.tiny ? 17 : view.compact ? 34 : 100);
  if (!view.compact) return { x: p.x - w / 2, y: p.y + p.r + 19, w, h };
  const ox = Math.cos(p.a), oy = Math.sin(p.a);
  let x = p.x + ox * (p.r + 8) - w / 2 + ox * w / 2;
  let y = p.y + oy * (p.r + 8) - h / 2 + oy * h / 2;
  x = Math.max(2, Math.min(W - w - 2, x));
  y = Math.max(2, Math.min(view.height - h - 2, y));
  return { x, y, w, h };
}

function buildServers(s) {
  layout(s);
  const links = $('links');
  const servers = $('servers');
  links.textContent = '';
  servers.textContent = '';
  const g = pos.get('gateway');
  for (let i = 0; i < s.nodes.length; i++) {
    for (let j = i + 1; j < s.nodes.length; j++) {
      const a = pos.get(s.nodes[i].id), b = pos.get(s.nodes[j].id);
      // Many nodes: the chords would be a grey fog; only a cut one is drawn.
      el('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: 'link peer' + (s.nodes.length > 9 ? ' quiet' : ''), 'data-a': s.nodes[i].id, 'data-b': s.nodes[j].id }, links);
    }
  }
  for (const node of s.nodes) {
    const a = pos.get(node.id);
    el('line', { x1: g.x, y1: g.y, x2: a.x, y2: a.y, class: 'link spoke', 'data-a': 'gateway', 'data-b': node.id }, links);
  }
  for (const client of s.clients) {
    const a = pos.get(client.id);
    el('line', { x1: a.x, y1: a.y, x2: g.x, y2: g.y, class: 'link', 'data-a': client.id, 'data-b': 'gateway' }, links);
  }
  const gw = el('g', { class: 'server gateway', 'data-id': 'gateway' }, servers);
  el('rect', { x: g.x - 48, y: g.y - 22, width: 96, height: 44, rx: 12, class: 'body' }, gw);
  el('text', { x: g.x, y: g.y - 2, class: 'name' }, gw).textContent = 'gateway';
  el('text', { x: g.x, y: g.y + 38, class: 'sub', id: 'gateway-sub' }, gw);
  for (const node of s.nodes) {
    const p = pos.get(node.id);
    const ng = el('g', { class: 'server node', 'data-id': node.id, tabindex: '0', role: 'button', 'aria-label': 'node ' + node.number }, servers);
    el('circle', { cx: p.x, cy: p.y, r: p.r, class: 'body' }, ng);
    el('text', { x: p.x, y: p.y, class: 'name', style: `font-size:${Math.max(10, Math.round(p.r * 0.56))}px` }, ng).textContent = node.id;
    el('text', { x: p.x, y: p.y - p.r - 8, class: 'badge-text' }, ng);
    el('text', { x: p.x, y: p.y + p.r + 12, class: 'mark' }, ng);
    const box = cardBox(p, false);
    const fo = el('foreignObject', { x: box.x, y: box.y, width: box.w, height: box.h, class: 'card-fo' }, ng);
    const card = document.createElement('div');
    card.className = 'node-card';
    card.title = 'click to open or close its state';
    fo.appendChild(card);
    card.addEventListener('click', (e) => { e.stopPropagation(); toggleCard(node.id); });
    ng.querySelector('circle').addEventListener('click', (e) => { e.stopPropagation(); openMenu(node.id); });
    ng.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); openMenu(node.id); } });
  }
  for (const client of s.clients) {
    const p = pos.get(client.id);
    const cg = el('g', { class: 'server client', 'data-id': client.id }, servers);
    el('rect', { x: p.x - 40, y: p.y - 25, width: 80, height: 52, rx: 10, class: 'body' }, cg);
    el('text', { x: p.x, y: p.y - 11, class: 'name' }, cg).textContent = client.id;
    el('text', { x: p.x, y: p.y + 9, class: 'op' }, cg);
    el('text', { x: p.x, y: p.y + 22, class: 'sub' }, cg);
  }
}

function toggleCard(id) {
  if (expanded.has(id)) expanded.delete(id); else expanded.add(id);
  const g = $('servers').querySelector(`.node[data-id="${id}"]`);
  if (!g) return;
  const open = expanded.has(id);
  const box = cardBox(pos.get(id), open);
  const fo = g.querySelector('foreignObject');
  fo.setAttribute('x', box.x); fo.setAttribute('y', box.y); fo.setAttribute('width', box.w); fo.setAttribute('height', box.h);
  g.classList.toggle('open', open);
  if (open) g.parentNode.appendChild(g); // on top of its neighbours
  g.__node = null;
  dirty = true;
  dotsDirty = true;
}

// ---------------------------------------------------------------- a node's state as a tree

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function scalar(v) {
  if (v === null) return '<span class="nil">none</span>';
  if (typeof v === 'string') return `<span class="str">${escapeHtml(v)}</span>`;
  if (typeof v === 'boolean') return `<span class="bool">${v}</span>`;
  return `<span class="num">${escapeHtml(v)}</span>`;
}

const isScalar = (v) => v === null || typeof v !== 'object';
// A Raft-like log: a vector of objects with a term and a command.
const isLog = (v) => Array.isArray(v) && v.length > 0 && v.every((e) => e && typeof e === 'object' && !Array.isArray(e) && 'term' in e && 'command' in e);

function termColor(t) { return `hsl(${(Number(t) * 67) % 360} 70% 62%)`; }

function commandText(c) {
  if (isScalar(c)) return c === null ? '·' : String(c);
  if (Array.isArray(c)) return c.map(commandText).join(', ');
  return Object.entries(c).map(([k, v]) => isScalar(v) ? `${k} ${v === null ? '' : v}`.trim() : `${k}(${commandText(v)})`).join(' ');
}

// `changed` holds the paths that changed since the tick before; a path is changed when it or
// one of its ancestors is in it.
function isChanged(changed, path) {
  if (!changed || !changed.size) return false;
  if (changed.has(path)) return true;
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    if (changed.has(path.slice(0, i))) return true;
  }
  return false;
}

// Whether `path` or anything under it changed: a log entry is one box, lit when its term or its
// command changed as when it is new.
function isTouched(changed, path) {
  if (isChanged(changed, path)) return true;
  for (const c of changed || []) if (c.startsWith(path + '/')) return true;
  return false;
}

function tree(v, path, changed) {
  const chg = (p) => (isChanged(changed, p) ? ' chg' : '');
  if (isScalar(v)) return scalar(v);
  if (isLog(v)) {
    return `<div class="log-row">` + v.map((e, i) => {
      const p = path + '/' + i;
      return `<div class="entry${isTouched(changed, p) ? ' chg' : ''}" title="index ${i + 1} · term ${escapeHtml(e.term)} · ${escapeHtml(commandText(e.command))}">` +
        `<span class="ix">${i + 1}</span><span class="term" style="background:${termColor(e.term)}">${escapeHtml(e.term)}</span>` +
        `<span class="cmd">${escapeHtml(commandText(e.command))}</span></div>`;
    }).join('') + `</div>`;
  }
  if (Array.isArray(v)) {
    if (!v.length) return '<span class="nil">[]</span>';
    if (v.every(isScalar)) {
      return '<div class="cells">' + v.map((x, i) => `<span class="cell${chg(path + '/' + i)}">${scalar(x)}</span>`).join('') + '</div>';
    }
    return '<div class="kids">' + v.map((x, i) => `<div class="kv${chg(path + '/' + i)}"><span class="k">${i}</span>${tree(x, path + '/' + i, changed)}</div>`).join('') + '</div>';
  }
  const keys = Object.keys(v);
  if (!keys.length) return '<span class="nil">{}</span>';
  return '<div class="kids">' + keys.map((k) => {
    const p = path ? path + '/' + k : k;
    return `<div class="kv${chg(p)}"><span class="k">${escapeHtml(k)}</span>${tree(v[k], p, changed)}</div>`;
  }).join('') + '</div>';
}

// The whole state: a tree, or (the fallback) its Debug text.
function stateHtml(node) {
  if (node.state_error) return `<div class="state-error">${escapeHtml(node.state_error)}</div>`;
  const changed = new Set(node.changed || []);
  if (typeof node.state === 'string') return `<pre class="debug">${escapeHtml(node.state)}</pre>`;
  return `<div class="tree">${tree(node.state, '', changed)}</div>`;
}

// A line for a closed card: the badge, then the first few scalar fields.
function stateSummary(node) {
  if (node.state_error) return `<span class="state-error">${escapeHtml(node.state_error)}</span>`;
  const v = node.state;
  if (typeof v === 'string') return escapeHtml(v.slice(0, 60));
  if (!v || typeof v !== 'object') return scalar(v);
  const changed = new Set(node.changed || []);
  const parts = [];
  // One level of nesting is spread out: `current.tag 3` rather than `current {…}`.
  const entries = [];
  for (const [k, x] of Object.entries(v)) {
    if (x && typeof x === 'object' && !Array.isArray(x)) for (const [k2, y] of Object.entries(x)) entries.push([k + '.' + k2, y, k + '/' + k2]);
    else entries.push([k, x, k]);
  }
  for (const [k, x, path] of entries) {
    const shown = isScalar(x) ? scalar(x) : isLog(x) ? `<span class="num">${x.length}</span> entries`
      : Array.isArray(x) && x.every(isScalar) && x.length <= 4 ? `(${x.map(scalar).join(', ')})` : Array.isArray(x) ? `[${x.length}]` : '{…}';
    parts.push(`<span class="pair${isChanged(changed, path) ? ' chg' : ''}"><span class="k">${escapeHtml(k)}</span> ${shown}</span>`);
    if (parts.length >= (view.compact ? 2 : 6)) break;
  }
  return parts.join(view.compact ? ' ' : '');
}

// ---------------------------------------------------------------- drawing a state

function render() {
  const s = state;
  const key = s.game + ':' + s.nodes.length + ':' + s.clients.length;
  if (key !== layoutKey) { buildServers(s); layoutKey = key; }

  setText($('algorithm'), s.algorithm);
  setText($('tick'), String(s.tick));
  setText($('ticks'), String(s.ticks));
  setText($('seed'), String(s.seed));
  const play = $('play');
  setClass(play, 'paused', !s.running);
  setText(play.querySelector('.icon'), s.running ? '❚❚' : '▶');
  setText(play.querySelector('.text'), s.running ? 'Pause' : 'Resume');
  setProp(play, 'disabled', s.finished && !s.running);
  setProp($('step'), 'disabled', s.finished);
  setProp($('back'), 'disabled', s.tick === 0);
  if (document.activeElement !== $('speed')) setProp($('speed'), 'value', String(nearestSpeed(s.speed)));
  setText($('speed-out'), fmtSpeed(s.speed));
  drawTimeline(s);

  const banner = $('banner');
  let cls = '', text = '';
  if (s.error) { cls = 'error'; text = 'The run stopped: ' + s.error; }
  else if (s.finished) { cls = 'over'; text = `The game is over at tick ${s.tick}`; }
  else if (!s.running && s.tick < s.head) { cls = 'past'; text = `Tick ${s.tick} of ${s.head} · acting here forks the game`; }
  else if (!s.running) { text = 'Paused · Space resumes · S steps'; }
  else cls = 'hidden';
  setProp(banner, 'className', cls ? 'banner ' + cls : 'banner');
  setText(banner, text);

  drawServers(s);
  syncSignals(s);
  panelsDirty = true;
}

// The side panel's text (the verdict, the counters, the command, the log) follows the game ten
// times a second while it runs: a small game at 100 ticks per second brings a state every
// frame, and rewriting those texts every frame made the browser lay out and repaint the panel
// sixty times a second for figures nobody can read at that rate. Paused, it follows at once.
let panelsDirty = false, nextPanelsAt = 0;
const PANELS_MS = 100;
function renderPanels(now) {
  const s = state;
  if (!panelsDirty || (s.running && now < nextPanelsAt)) return;
  panelsDirty = false;
  nextPanelsAt = now + PANELS_MS;
  drawVerdict(s);
  drawCounters(s);
  drawConfig(s);
  drawLog(s);
}

// Each state changes little of the page: what did not change is not written again (a write, even
// of the same text, makes the browser lay out and repaint that part).
function setText(e, text) { if (e.textContent !== text) e.textContent = text; }
function setProp(e, key, value) { if (e[key] !== value) e[key] = value; }
function setHtml(e, html) { if (e.__html !== html) { e.__html = html; e.innerHTML = html; } }

function drawTimeline(s) {
  const t = $('timeline');
  setProp(t, 'max', String(Math.max(1, s.head)));
  // While a seek is on its way, the stream may still show an older tick: keep the slider where
  // the player put it (else a second arrow key would start from the old tick).
  if (seeking.target != null && s.tick === seeking.target) seeking.target = null;
  if (!seeking.dragging && seeking.target == null) setProp(t, 'value', String(s.tick));
  setProp(t, 'disabled', s.head === 0);
  setText($('timeline-out'), s.tick < s.head ? `tick ${s.tick} of ${s.head}` : `tick ${s.tick}`);
  setClass($('to-latest'), 'hidden', s.tick >= s.head);
  const note = $('fork-note');
  setClass(note, 'hidden', !s.fork);
  if (s.fork) {
    setText(note, `forked at tick ${s.fork.at}: ${s.fork.ticks} later tick${s.fork.ticks === 1 ? '' : 's'}` +
      (s.fork.clicks ? ` and ${s.fork.clicks} click${s.fork.clicks === 1 ? '' : 's'}` : '') + ' discarded');
  }
}

let linksKey = '';
const serverEls = new Map();
function serverEl(id, cls) {
  let e = serverEls.get(id);
  if (!e || !e.isConnected) {
    e = $('servers').querySelector(`.${cls}[data-id="${id}"]`);
    if (e) serverEls.set(id, e);
  }
  return e;
}

function setClass(e, cls, on) { if (e.classList.contains(cls) !== on) e.classList.toggle(cls, on); }

function drawServers(s) {
  const key = layoutKey + JSON.stringify(s.cuts) + s.routes_to;
  if (key !== linksKey) {
    linksKey = key;
    const cut = new Set(s.cuts.map(([a, b]) => a + '>' + b));
    for (const line of $('links').children) {
      const a = line.getAttribute('data-a'), b = line.getAttribute('data-b');
      setClass(line, 'cut', cut.has(a + '>' + b) || cut.has(b + '>' + a));
      setClass(line, 'route', a === 'gateway' && b === s.routes_to);
    }
  }
  for (const node of s.nodes) {
    const g = serverEl(node.id, 'node');
    if (!g) continue;
    if (g.__node === node) continue;
    g.__node = node;
    setClass(g, 'crashed', node.status === 'crashed');
    setClass(g, 'paused', node.status === 'paused');
    setClass(g, 'cut-off', node.cut_off);
    setClass(g, 'routed', node.routed);
    const badge = g.querySelector('.badge-text');
    if (badge.textContent !== (node.badge || '')) {
      badge.textContent = node.badge || '';
      badge.setAttribute('class', 'badge-text ' + (node.badge ? node.badge.split(' ')[0] : ''));
    }
    const mark = g.querySelector('.mark');
    const marks = [];
    if (node.status !== 'up') marks.push(node.status);
    if (node.cut_off) marks.push('cut off');
    if (mark.textContent !== marks.join(' · ')) {
      mark.textContent = marks.join(' · ');
      mark.setAttribute('class', 'mark ' + (node.status !== 'up' ? node.status : node.cut_off ? 'cut-off' : ''));
    }
    const card = g.querySelector('.node-card');
    const open = expanded.has(node.id);
    const html = `<div class="card-head">${open ? '▾' : '▸'} ${escapeHtml(node.badge || node.id)}</div>` +
      (open ? stateHtml(node) : view.tiny ? '' : `<div class="summary">${stateSummary(node)}</div>`);
    if (card.__html !== html) {
      card.__html = html;
      setClass(card, 'crashed', node.status === 'crashed');
      setClass(card, 'open', open);
      card.innerHTML = html;
    }
  }
  const sub = $('gateway-sub');
  if (sub) {
    const target = s.nodes.find((n) => n.id === s.routes_to);
    setText(sub, !target ? 'round robin' : `routes to ${target.id}${target.status !== 'up' ? ' (' + target.status + ')' : ''}`);
  }
  for (const client of s.clients) {
    const g = serverEl(client.id, 'client');
    if (!g || g.__client === client) continue;
    g.__client = client;
    const op = client.operation != null ? s.history[client.operation] : null;
    setClass(g, 'waiting', client.waiting);
    const t = g.__op || (g.__op = g.querySelector('.op'));
    setText(t, client.display || '·');
    const cls = 'op ' + (op ? op.outcome : '');
    if (t.getAttribute('class') !== cls) t.setAttribute('class', cls);
    setText(g.__sub || (g.__sub = g.querySelector('.sub')), !op ? 'starting' : client.waiting ? 'waiting' : op.outcome === 'ok' ? 'done' : op.outcome);
  }
}

// ---------------------------------------------------------------- the signals
//
// The dots are drawn on a canvas over the stage, not as SVG elements: hundreds of them move every
// frame, and moving an element costs a style recalculation, a layout and a repaint of its layer
// each time. Hovering and clicking find the dot under the pointer here (signalAt), the topmost
// (the last drawn) first.

const DOT_COLOR = { request: '#5aa9ff', reply: '#3ee0a1', node: '#c792ff' };
let stageBox = null;       // the stage's size in CSS pixels, from a ResizeObserver
let dotsDirty = true;      // draw the dots this frame even if the time stood still

function dotRadius() { return view.compact ? 5 : 6; }
// A dot answers the pointer up to the edge of its halo.
function dotReach() { return dotRadius() + 2.5; }

// How the stage's user units (the SVG's viewBox) map onto the stage's box: as
// preserveAspectRatio="xMidYMid meet" places the SVG.
function stageFit() {
  if (!stageBox || !stageBox.w || !stageBox.h) return null;
  const scale = Math.min(stageBox.w / W, stageBox.h / view.height);
  return { scale, ox: (stageBox.w - W * scale) / 2, oy: (stageBox.h - view.height * scale) / 2 };
}

// A dot drawn once at the stage's scale, then copied for every signal (a copy costs far less than
// filling two circles).
const sprites = new Map();
function sprite(category, lit, k) {
  const r = dotRadius();
  const key = `${category}:${lit}:${r}:${k}`;
  let sp = sprites.get(key);
  if (sp) return sp;
  if (sprites.size > 48) sprites.clear();
  const size = Math.ceil(2 * (r + 3) * k) + 2;
  const c = document.createElement('canvas');
  c.width = c.height = size;
  const g = c.getContext('2d');
  g.translate(size / 2, size / 2);
  g.scale(k, k);
  g.fillStyle = DOT_COLOR[category] || DOT_COLOR.node;
  if (lit) {
    g.beginPath(); g.arc(0, 0, r, 0, 7); g.fill();
    g.lineWidth = 2.5; g.strokeStyle = 'rgba(255,255,255,.9)'; g.stroke();
  } else {
    g.globalAlpha = 0.28;
    g.beginPath(); g.arc(0, 0, r + 2.5, 0, 7); g.fill();
    g.globalAlpha = 1;
    g.beginPath(); g.arc(0, 0, r, 0, 7); g.fill();
  }
  sp = { c, half: size / 2 };
  sprites.set(key, sp);
  return sp;
}

function clearSignals() {
  dots.clear();
  flashes.length = 0;
  hovered = null;
  dotsDirty = true;
  hideTooltip();
}

function opMessages(s, index) {
  // A large world's state leaves out older messages, but each signal in flight has its ops.
  const ids = new Set(s.messages.filter((m) => m.ops.includes(index)).map((m) => m.id));
  for (const sig of s.signals) if (sig.ops.includes(index)) ids.add(sig.id);
  return ids;
}

function syncSignals(s) {
  const seen = new Set();
  const hot = hotOp != null ? opMessages(s, hotOp) : null;
  for (const sig of s.signals) {
    seen.add(sig.id);
    let d = dots.get(sig.id);
    if (!d) {
      d = { s: sig, x: null, y: null, lit: false };
      dots.set(sig.id, d);
      dotsDirty = true;
    }
    d.s = sig;
    const lit = (hot && hot.has(sig.id)) || hotMessage === sig.id;
    if (d.lit !== lit) { d.lit = lit; dotsDirty = true; }
  }
  const tl = s.game + ':' + s.timeline;
  if (tl !== seenTimeline) { seenTimeline = tl; seenLogSeq = s.log.length ? s.log[s.log.length - 1].seq : 0; }
  for (const entry of s.log) {
    if (entry.seq <= seenLogSeq) continue;
    if (entry.kind === 'drop') flashDrop(entry);
  }
  if (s.log.length) seenLogSeq = Math.max(seenLogSeq, s.log[s.log.length - 1].seq);
  for (const id of dots.keys()) {
    if (!seen.has(id)) {
      dots.delete(id);
      dotsDirty = true;
      if (hovered === id) { hovered = null; hideTooltip(); }
    }
  }
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
  const e = sig.__e || (sig.__e = endpoints(sig));
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
    if (!p) { if (d.x != null) { d.x = d.y = null; dotsDirty = true; } continue; }
    if (d.x === p.x && d.y === p.y) continue;
    d.x = p.x; d.y = p.y;
    dotsDirty = true;
  }
}

function drawDots(now) {
  const canvas = $('stage-dots');
  const fit = stageFit();
  if (!fit) return;
  const dpr = window.devicePixelRatio || 1;
  // The canvas covers the drawing, not the margins the stage's aspect ratio leaves beside it: the
  // compositor blends the whole canvas every frame the dots move.
  const m = 40 * fit.scale;
  const left = Math.max(0, Math.floor(fit.ox - m)), top = Math.max(0, Math.floor(fit.oy - m));
  const right = Math.min(stageBox.w, Math.ceil(fit.ox + W * fit.scale + m));
  const bottom = Math.min(stageBox.h, Math.ceil(fit.oy + view.height * fit.scale + m));
  const place = `${left}:${top}:${right}:${bottom}`;
  if (canvas.__place !== place) {
    canvas.__place = place;
    Object.assign(canvas.style, { left: left + 'px', top: top + 'px', width: (right - left) + 'px', height: (bottom - top) + 'px' });
  }
  const cw = Math.round((right - left) * dpr), ch = Math.round((bottom - top) * dpr);
  if (canvas.width !== cw || canvas.height !== ch) { canvas.width = cw; canvas.height = ch; }
  const ctx = canvas.__ctx || (canvas.__ctx = canvas.getContext('2d'));
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, cw, ch);
  const k = fit.scale * dpr;
  const ox = (fit.ox - left) * dpr, oy = (fit.oy - top) * dpr;
  const covers = openCards();
  for (const d of dots.values()) {
    if (d.x == null || underCard(covers, d)) continue;
    const sp = sprite(d.s.category, d.lit || hovered === d.s.id, k);
    ctx.drawImage(sp.c, ox + d.x * k - sp.half, oy + d.y * k - sp.half);
  }
  // A dropped signal flashes red where it died: a widening ring and a cross, for 0.9 s.
  if (flashes.length) {
    ctx.setTransform(k, 0, 0, k, ox, oy);
    ctx.strokeStyle = ctx.fillStyle = '#ff5c7a';
    ctx.lineWidth = 3;
    ctx.font = '700 18px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (let i = flashes.length - 1; i >= 0; i--) {
      const f = flashes[i];
      const q = (now - f.start) / 900;
      if (q >= 1) { flashes.splice(i, 1); continue; }
      ctx.globalAlpha = 1 - q;
      ctx.beginPath(); ctx.arc(f.x, f.y, 6 + 30 * q, 0, 7); ctx.stroke();
      ctx.globalAlpha = 1 - q * q;
      ctx.fillText('✕', f.x, f.y);
    }
    ctx.globalAlpha = 1;
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
  if (!p || flashes.length > 40) return;
  flashes.push({ x: p.x, y: p.y, start: performance.now() });
}

// An open state card lies over the signals (it is there to be read): the dots under it are not
// drawn, and cannot be hovered or clicked.
function openCards() {
  const boxes = [];
  for (const id of expanded) { const p = pos.get(id); if (p) boxes.push(cardBox(p, true)); }
  return boxes;
}

function underCard(boxes, d) {
  return boxes.some((b) => d.x >= b.x && d.x <= b.x + b.w && d.y >= b.y && d.y <= b.y + b.h);
}

// The signal whose dot is under the point (client coordinates), or null.
function signalAt(clientX, clientY) {
  const fit = stageFit();
  if (!fit) return null;
  const r = $('stage').getBoundingClientRect();
  const x = (clientX - r.left - fit.ox) / fit.scale, y = (clientY - r.top - fit.oy) / fit.scale;
  const reach = dotReach();
  const covers = openCards();
  let hit = null;
  for (const d of dots.values()) {
    if (d.x == null || underCard(covers, d)) continue;
    const dx = d.x - x, dy = d.y - y;
    if (dx * dx + dy * dy <= reach * reach) hit = d;
  }
  return hit ? hit.s.id : null;
}

// Where a signal's dot is on the screen (client coordinates), or null: for the browser test.
function signalPoint(id) {
  const d = dots.get(id), fit = stageFit();
  if (!d || d.x == null || !fit) return null;
  const r = $('stage').getBoundingClientRect();
  return { x: r.left + fit.ox + d.x * fit.scale, y: r.top + fit.oy + d.y * fit.scale };
}

function hoverSignal(id, e) {
  if (id === hovered) { if (id != null) moveTooltip(e); return; }
  hovered = id;
  dotsDirty = true;
  dirtyDiagram = true;
  $('stage').classList.toggle('on-signal', id != null);
  if (id != null) showTooltip(id, e); else hideTooltip();
}

let dirtyDiagram = true;  // the pointer moved over something: redraw the canvases now
let staleCanvases = true;  // the state or the time moved on
let lastDrawnT = -1, nextCanvasAt = 0;
// While the clock runs, the canvases follow it 20 times a second (their axes move a tick or so
// per frame at full speed), or less often when drawing them is slow (a 25-node diagram has 2,000
// arrows): they get at most a fifth of the time. The stage's dots move every frame; a hover
// redraws at once.
const CANVAS_MS = 50;
function frame(now) {
  window.__frames = (window.__frames || 0) + 1;
  if (state) {
    if (dirty) { dirty = false; render(); staleCanvases = true; }
    renderPanels(now);
    placeSignals();
    if (dotsDirty || flashes.length) { dotsDirty = false; drawDots(now); }
    const t = state.tick + frac();
    if (t !== lastDrawnT) staleCanvases = true;
    const due = !state.running || now >= nextCanvasAt;
    if (dirtyDiagram || (staleCanvases && due)) {
      lastDrawnT = t;
      dirtyDiagram = false;
      staleCanvases = false;
      const started = performance.now();
      drawHistory();
      drawDiagram();
      nextCanvasAt = now + Math.max(CANVAS_MS, 4 * (performance.now() - started));
    }
  }
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
  const t = $('tooltip');
  let x = e.clientX + 14, y = e.clientY + 14;
  if (x + t.offsetWidth > window.innerWidth - 8) x = e.clientX - t.offsetWidth - 14;
  if (y + t.offsetHeight > window.innerHeight - 8) y = e.clientY - t.offsetHeight - 14;
  t.style.left = Math.max(4, x) + 'px';
  t.style.top = Math.max(4, y) + 'px';
}

function hideTooltip() { $('tooltip').classList.add('hidden'); }

let menuNode = null;
function openMenu(id) {
  const node = state && state.nodes.find((n) => n.id === id);
  if (!node) return;
  menuNode = id;
  const p = pos.get(id);
  const svg = $('stage-static');
  const pt = svg.createSVGPoint();
  pt.x = p.x + p.r + 6; pt.y = p.y - p.r;
  const screen = pt.matrixTransform(svg.getScreenCTM());
  const items = [];
  if (node.status === 'crashed') items.push(['restart', 'Restart', 'restart it from its durable store']);
  else items.push(['crash', 'Crash', 'lose its state and handlers', 'danger']);
  if (node.status === 'paused') items.push(['resume', 'Resume', '']);
  else if (node.status === 'up') items.push(['pause', 'Pause', 'freeze it; messages wait']);
  if (node.cut_off) items.push(['heal', 'Heal its links', 'rejoin it to everyone']);
  if (node.unreachable.length < state.nodes.length) items.push(['isolate', 'Isolate', 'cut it off from everyone', 'danger']);
  const menu = $('menu');
  const where = node.unreachable.length ? ` · no link with ${node.unreachable.join(', ')}` : '';
  menu.innerHTML = `<h3>${id}${node.badge ? ' · ' + escapeHtml(node.badge) : ''} · ${node.status}${node.cut_off ? ' · cut off' : ''}${escapeHtml(where)}</h3>` +
    `<div class="menu-state">${stateHtml(node)}</div>` +
    `<div class="menu-actions">` +
    items.map(([a, label, title, cls]) => `<button data-action="${a}" data-node="${node.number}" title="${title}" class="${cls || ''}">${label}</button>`).join('') +
    `</div>`;
  menu.classList.remove('hidden');
  let x = screen.x + 4, y = screen.y;
  if (x + menu.offsetWidth > window.innerWidth - 8) x = screen.x - menu.offsetWidth - 2 * p.r - 16;
  menu.style.left = Math.max(4, x) + 'px';
  menu.style.top = Math.max(4, Math.min(y, window.innerHeight - menu.offsetHeight - 8)) + 'px';
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

function closeMenu() { $('menu').classList.add('hidden'); menuNode = null; }

// ---------------------------------------------------------------- the panels

let verdictShown = null;
function drawVerdict(s) {
  const v = s.verdict;
  $('pov').checked = s.pause_on_violation;
  const key = JSON.stringify(v) + s.counters.operations.total + ':' + s.violation_at + ':' + historyView;
  if (key === verdictShown) return;
  verdictShown = key;
  const card = $('verdict');
  card.className = 'card verdict';
  const badge = $('verdict-badge');
  const text = $('verdict-text');
  const ops = s.counters.operations.total;
  if (v.verdict === 'linearizable') {
    card.classList.add('ok');
    badge.textContent = '✓ LINEARIZABLE';
    text.innerHTML = `${ops} operation${ops === 1 ? '' : 's'} so far, and some order of them explains every answer.`;
  } else if (v.verdict === 'valid') {
    card.classList.add('ok');
    badge.textContent = `✓ VALID (${v.workload})`;
    text.textContent = v.summary;
  } else if (v.verdict === 'not_linearizable' || v.verdict === 'invalid') {
    card.classList.add('bad');
    badge.textContent = v.verdict === 'invalid' ? `✗ INVALID (${v.workload})` : '✗ NOT LINEARIZABLE';
    text.innerHTML = `${escapeHtml(v.explanation)}<ul>${v.operations.map((o, i) => `<li data-op="${v.indices[i]}">${escapeHtml(o)}</li>`).join('')}</ul>`;
    for (const li of text.querySelectorAll('li[data-op]')) {
      li.addEventListener('mouseenter', () => { hotOp = Number(li.dataset.op); dirty = true; });
      li.addEventListener('mouseleave', () => { hotOp = null; dirty = true; });
      li.addEventListener('click', () => jumpToOp(Number(li.dataset.op)));
    }
  } else if (v.verdict === 'unknown') {
    card.classList.add('unknown');
    badge.textContent = '? UNKNOWN';
    text.textContent = v.reason;
  } else {
    card.classList.add('bad');
    badge.textContent = '✗ NO VERDICT';
    text.textContent = v.error;
  }
  const violation = v.verdict === 'not_linearizable' || v.verdict === 'invalid';
  $('to-violation').classList.toggle('hidden', !violation || s.violation_at == null);
  $('history-violation').classList.toggle('hidden', !violation || historyView === 'violation');
  $('history-live').classList.toggle('hidden', historyView === 'live');
  if (!violation && historyView === 'violation') historyView = 'live';
}

let countersShown = null;
// A large world sends more than a page can draw: the state carries the first few thousand
// signals in flight and the newest messages, and says how many it left out.
function leftOut(c) {
  const parts = [];
  if (c.signals_left_out) parts.push(`${c.signals_left_out} in flight`);
  if (c.messages_left_out) parts.push(`${c.messages_left_out} older messages`);
  return parts.length ? ` · <span title="too many to draw">not drawn: ${parts.join(', ')}</span>` : '';
}

function drawCounters(s) {
  if (countersShown !== s.counters) {
    countersShown = s.counters;
    const c = s.counters, o = c.operations, l = c.latency, d = c.dropped;
    const lost = d.loss + d.partition + d.crashed;
    const tiles = [
      [`${o.total}<small> · ${o.pending} pending</small>`, 'operations', `<span class="ok">${o.ok} ok</span> · <span class="failed">${o.failed} failed</span> · <span class="unknown">${o.unknown} unknown</span>`, 'wide'],
      [`${l.p50}<small> ticks</small>`, 'latency p50', `p90 ${l.p90} · max ${l.max}`],
      [c.messages_per_operation.toFixed(1), 'messages / op', `${c.sent} sent`],
      [c.in_flight, 'in flight', `${c.delivered} delivered` + leftOut(c)],
      [`<span class="you">${d.by_id}</span>`, 'dropped by you', `${lost} lost otherwise`],
    ];
    const box = $('counters');
    if (box.children.length !== tiles.length) {
      box.innerHTML = tiles.map(([, k, , cls]) =>
        `<div class="tile ${cls || ''}"><div class="v"></div><div class="k">${k}</div><div class="d"></div></div>`).join('');
    }
    tiles.forEach(([v, , more], i) => {
      const tile = box.children[i];
      setHtml(tile.firstChild, String(v));
      setHtml(tile.lastChild, more);
    });
  }
  drawCommand($('command'), s.command);
  const iv = s.interventions.length
    ? `${s.interventions.length} intervention${s.interventions.length === 1 ? '' : 's'} recorded: ${s.interventions.join(', ')}`
    : 'Clicks are recorded as faults at the tick they act from.';
  setText($('interventions'), s.command_note ? `${s.command_note} ${iv}` : iv);
}

// The command's words, each flag with its value kept on one line (a span each, so it wraps between
// flags); only the spans whose words changed are written (`--ticks` changes every tick).
function drawCommand(box, cmd) {
  if (box.__cmd === cmd) return;
  box.__cmd = cmd;
  const words = cmd.match(/'[^']*'|\S+/g) || [];
  const groups = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i].startsWith('--') && i + 1 < words.length && !words[i + 1].startsWith('--')) {
      groups.push(words[i] + ' ' + words[i + 1]);
      i++;
    } else groups.push(words[i]);
  }
  const spans = box.getElementsByClassName('arg');
  if (spans.length === 0) box.textContent = '';
  groups.forEach((g, i) => {
    let span = spans[i];
    if (!span) {
      if (i > 0) box.appendChild(document.createTextNode(' '));
      span = document.createElement('span');
      span.className = 'arg';
      box.appendChild(span);
    }
    setText(span, g);
  });
  while (spans.length > groups.length) {
    const last = spans[spans.length - 1];
    if (last.previousSibling) last.previousSibling.remove();
    last.remove();
  }
}

let configKey = '';
function drawConfig(s) {
  const c = s.config;
  if (c === configKey) return;
  configKey = c;
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
  $('config').title = parts.join(' · ');
}

function fmtDelay(d) {
  if (typeof d === 'number' || typeof d === 'string') return String(d);
  return JSON.stringify(d);
}

// The newest 80 events, newest first. An entry never changes (its `seq` names it within a timeline),
// so each is made once; a new state adds the new ones at the top and drops the oldest.
let logShown = null, logTimeline = '';
const logItems = new Map(); // seq -> li
function logItem(e) {
  const li = document.createElement('li');
  li.className = e.kind + (e.by_user ? ' you' : '');
  li.dataset.seq = e.seq;
  li.dataset.tick = e.tick;
  if (e.signal != null) li.dataset.signal = e.signal;
  if (e.operation != null) li.dataset.op = e.operation;
  li.title = `go to tick ${e.tick}`;
  li.innerHTML = `<span class="t">t${e.tick}</span><span class="x">${escapeHtml(e.text)}</span>` + (e.by_user ? '<span class="who">you</span>' : '');
  return li;
}

function drawLog(s) {
  if (logShown === s.log) return;
  logShown = s.log;
  const ol = $('log');
  const tl = s.game + ':' + s.timeline;
  if (tl !== logTimeline) { logTimeline = tl; ol.textContent = ''; logItems.clear(); }
  const want = s.log.slice(Math.max(0, s.log.length - 80)).reverse();
  const keep = new Set(want.map((e) => e.seq));
  for (const [seq, li] of logItems) if (!keep.has(seq)) { li.remove(); logItems.delete(seq); }
  let next = ol.firstChild;
  for (const e of want) {
    let li = logItems.get(e.seq);
    if (!li) { li = logItem(e); logItems.set(e.seq, li); }
    if (li !== next) ol.insertBefore(li, next); else next = next.nextSibling;
  }
}

// ---------------------------------------------------------------- the history

const OUTCOME_COLOR = { ok: '#3ee0a1', failed: '#ff5c7a', unknown: '#ffc857', pending: null };
let historyBoxes = [];

// The canvases' sizes, told by a ResizeObserver: reading clientWidth while drawing would make the
// browser lay the page out again after every change the frame made (a forced layout a frame).
const canvasSizes = new Map();
const sizer = new ResizeObserver((entries) => {
  for (const e of entries) canvasSizes.set(e.target, { w: e.contentRect.width, h: e.contentRect.height });
  dirtyDiagram = true;
});

// A canvas to draw the history or the diagram on; `show()` puts the drawing on the page. They are
// drawn off screen and handed to a 'bitmaprenderer' canvas as a finished bitmap: a 2D canvas on
// the page is copied to the compositor at every frame the page changes (the dots change it every
// frame), drawn or not, which cost more than drawing these two twenty times a second.
function fitCanvas(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const size = canvasSizes.get(canvas);
  if (!size || !size.w || !size.h) return null;
  const { w, h } = size;
  const cw = Math.round(w * dpr), ch = Math.round(h * dpr);
  if (canvas.width !== cw || canvas.height !== ch) { canvas.width = cw; canvas.height = ch; }
  let ctx, show = () => {};
  if (typeof OffscreenCanvas === 'function') {
    if (!canvas.__off) { canvas.__off = new OffscreenCanvas(cw, ch); canvas.__shown = canvas.getContext('bitmaprenderer'); }
    const off = canvas.__off;
    if (off.width !== cw || off.height !== ch) { off.width = cw; off.height = ch; }
    ctx = off.__ctx || (off.__ctx = off.getContext('2d'));
    show = () => canvas.__shown.transferFromImageBitmap(off.transferToImageBitmap());
  } else {
    ctx = canvas.__ctx || (canvas.__ctx = canvas.getContext('2d'));
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h, dpr, show };
}

// Strokes line segments ([x0, y0, x1, y1, ...]). One path of many segments at a width over one
// device pixel costs the rasterizer far more than the segments one by one (it strokes the path
// as one self-crossing shape: 16 ms for 600 arrows against 2 ms), while hairlines (one device
// pixel or less) are fastest as one path.
function strokeSegments(ctx, xy, width, dpr) {
  ctx.lineWidth = width;
  if (width * dpr <= 1) {
    ctx.beginPath();
    for (let i = 0; i < xy.length; i += 4) { ctx.moveTo(xy[i], xy[i + 1]); ctx.lineTo(xy[i + 2], xy[i + 3]); }
    ctx.stroke();
    return;
  }
  for (let i = 0; i < xy.length; i += 4) {
    ctx.beginPath(); ctx.moveTo(xy[i], xy[i + 1]); ctx.lineTo(xy[i + 2], xy[i + 3]); ctx.stroke();
  }
}

function explainedSet(s) { return new Set(s.explained || []); }

function drawHistory() {
  const s = state;
  const fit = fitCanvas($('history'));
  if (!fit) return;
  const { ctx, w, h } = fit;
  const left = 44, right = 12, axis = 20;
  const lanes = Math.max(1, s.clients.length);
  const laneH = Math.min(38, (h - axis - 4) / lanes);
  const culprits = explainedSet(s);
  let dimUntil = -1;
  if (culprits.size) {
    for (const o of s.history) if (culprits.has(o.index)) dimUntil = Math.max(dimUntil, o.complete == null ? s.tick : o.complete);
  }
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
  const labelEvery = laneH < 11 ? Math.ceil(11 / laneH) : 1;
  for (let i = 0; i < lanes; i += labelEvery) {
    ctx.fillStyle = '#8794b8';
    ctx.textAlign = 'left';
    ctx.fillText('c' + (i + 1), 8, 4 + laneH * i + laneH / 2);
  }
  const xn = x(s.tick + frac());
  ctx.strokeStyle = 'rgba(90,169,255,.8)';
  ctx.beginPath(); ctx.moveTo(xn, 0); ctx.lineTo(xn, h - axis); ctx.stroke();
  historyBoxes = [];
  // Only the operations in view: the history is in invocation order, and none lasts forever.
  const ops = s.history;
  let lo = 0, hi = ops.length;
  const longest = s.config.client_timeout == null ? 400 : s.config.client_timeout + 2;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (ops[mid].invoke < t0 - longest) lo = mid + 1; else hi = mid; }
  for (let i = lo; i < ops.length; i++) {
    const op = ops[i];
    if (op.invoke > t1) break;
    const end = op.complete == null ? s.tick + 1 : op.complete + 1;
    if (end < t0) continue;
    const x0 = Math.max(left, x(op.invoke)), x1 = Math.min(w - right, x(end));
    const pad = laneH > 14 ? 3 : 0.5;
    const y = 4 + laneH * (op.client - 1) + pad;
    const bh = Math.max(1.5, laneH - 2 * pad);
    const culprit = culprits.has(op.index);
    // Dim only what the violation is about: the operations it overlaps, not those after it.
    ctx.globalAlpha = culprits.size && !culprit && op.invoke <= dimUntil ? 0.45 : 1;
    const color = OUTCOME_COLOR[op.outcome];
    ctx.fillStyle = color || stripePattern(ctx);
    roundRect(ctx, x0, y, Math.max(2, x1 - x0 - 1), bh, 3);
    ctx.fill();
    if (culprit || hotOp === op.index) {
      ctx.globalAlpha = 1;
      ctx.strokeStyle = culprit ? '#ff3d6e' : '#ffffff';
      ctx.lineWidth = 2.5;
      roundRect(ctx, x0 - 1.5, y - 1.5, Math.max(2, x1 - x0 - 1) + 3, bh + 3, 4);
      ctx.stroke();
      ctx.lineWidth = 1;
    }
    const label = op.label;
    const tw = ctx.measureText(label).width;
    if (x1 - x0 > tw + 6 && bh >= 10) {
      ctx.fillStyle = color ? '#08101f' : '#dfe7ff';
      ctx.textAlign = 'center';
      ctx.fillText(label, (x0 + x1) / 2, y + bh / 2 + 0.5);
    }
    ctx.globalAlpha = 1;
    historyBoxes.push({ x0, x1, y, y1: y + bh, op });
  }
  fit.show();
}

let patternFor = null, pattern = null;
function stripePattern(ctx) {
  if (patternFor !== ctx) { patternFor = ctx; pattern = ctx.createPattern(stripes(), 'repeat'); }
  return pattern;
}

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

function historyHit(e) {
  const r = $('history').getBoundingClientRect();
  const mx = e.clientX - r.left, my = e.clientY - r.top;
  return historyBoxes.find((b) => mx >= b.x0 && mx <= b.x1 && my >= b.y && my <= b.y1);
}

function historyHover(e) {
  const hit = historyHit(e);
  const t = $('tooltip');
  const next = hit ? hit.op.index : null;
  if (next !== hotOp) { hotOp = next; dirty = true; dirtyDiagram = true; }
  if (!hit) { if (hovered == null) hideTooltip(); return; }
  const op = hit.op;
  const what = op.kind === 'read' ? 'read' : `write ${op.value}`;
  const end = op.complete == null ? 'still waiting' : `answered at tick ${op.complete}`;
  const n = opMessages(state, op.index).size;
  t.innerHTML = `<div class="tt-head"><span class="tt-id">op ${op.index}</span><span class="tt-type">c${op.client} ${what}</span></div>` +
    `<div class="tt-route">invoked at tick ${op.invoke} · ${end} · ${op.outcome}${op.read !== undefined ? ' · read ' + (op.read == null ? 'nothing' : op.read) : ''}</div>` +
    `<div class="tt-hint">${n} of its messages in the diagram · click to go to tick ${jumpTick(op)}</div>`;
  t.classList.remove('hidden');
  moveTooltip(e);
}

function jumpTick(op) {
  const t = op.complete == null ? state.head : op.complete;
  return Math.min(state.head, t);
}

function jumpToOp(index) {
  const op = state && state.history[index];
  if (op) seekTo(jumpTick(op));
}

// ---------------------------------------------------------------- the space-time diagram

let diagramSegs = [];
function laneOf(s, id) {
  if (id === 'gateway') return 1;
  if (id[0] === 'c') return 0;
  return 1 + Number(id.slice(1));
}

function category(m) {
  if (m.from[0] === 'n' && m.to[0] === 'n') return 'node';
  if (m.kind === 'reply') return 'reply';
  if (m.from[0] === 'n') return 'node';
  return 'request';
}
const CAT_COLOR = { request: '#5aa9ff', reply: '#3ee0a1', node: '#c792ff' };

function drawDiagram() {
  const s = state;
  const fit = fitCanvas($('diagram'));
  if (!fit) return;
  const { ctx, w, h, dpr } = fit;
  const left = 58, right = 10, top = 6, axis = 18;
  const lanes = s.nodes.length + 2;
  const laneH = (h - top - axis) / lanes;
  const y = (lane) => top + laneH * lane + laneH / 2;
  const now = s.tick + frac();
  const t1 = Math.max(now, DIAGRAM_TICKS / 3), t0 = t1 - DIAGRAM_TICKS;
  const x = (t) => left + ((t - t0) / (t1 - t0)) * (w - left - right);
  ctx.font = '10px ui-monospace, DejaVu Sans Mono, monospace';
  ctx.textBaseline = 'middle';
  const names = ['clients', 'gateway', ...s.nodes.map((n) => n.id)];
  const showEvery = laneH < 11 ? Math.ceil(11 / laneH) : 1;
  for (let i = 0; i < lanes; i++) {
    const node = i >= 2 ? s.nodes[i - 2] : null;
    ctx.strokeStyle = node && node.status === 'crashed' ? 'rgba(255,92,122,.35)' : 'rgba(60,80,125,.55)';
    ctx.beginPath(); ctx.moveTo(left, y(i)); ctx.lineTo(w - right, y(i)); ctx.stroke();
    if (i === 1 || (i === 0 && showEvery === 1) || (i >= 2 && (i - 2) % showEvery === 0)) {
      ctx.fillStyle = node && node.routed ? '#ffc857' : '#8794b8';
      ctx.textAlign = 'right';
      ctx.fillText(names[i], left - 6, y(i));
    }
  }
  const every = niceStep(DIAGRAM_TICKS / 8);
  ctx.fillStyle = '#55628a';
  ctx.textAlign = 'center';
  for (let t = Math.ceil(Math.max(0, t0) / every) * every; t <= t1; t += every) ctx.fillText(String(t), x(t), h - axis / 2);
  ctx.strokeStyle = 'rgba(90,169,255,.8)';
  ctx.beginPath(); ctx.moveTo(x(now), top); ctx.lineTo(x(now), h - axis); ctx.stroke();

  const culprits = explainedSet(s);
  const hot = hotOp != null ? hotOp : null;
  const anyHot = hot != null || hotMessage != null || hovered != null;
  diagramSegs = [];
  // One path per style: a few strokes a frame, however many messages.
  const buckets = new Map();
  const bucket = (color, alpha, width, dash) => {
    const k = color + alpha + ':' + width + ':' + dash;
    let b = buckets.get(k);
    if (!b) { b = { color, alpha, width, dash, lines: [], heads: new Path2D() }; buckets.set(k, b); }
    return b;
  };
  const crosses = new Path2D();
  const shown = (m) => !(m.sent > now || (m.end != null && m.end < t0) || (m.arrival < t0 - 5 && m.end == null));
  let count = 0;
  for (const m of s.messages) if (shown(m)) count++;
  // Hundreds of arrows in a few hundred pixels are a texture, not arrows: past 400 only the
  // highlighted ones get heads (a head costs the rasterizer more than its line).
  const dense = count > 400;
  for (const m of s.messages) {
    if (!shown(m)) continue;
    const la = laneOf(s, m.from), lb = laneOf(s, m.to);
    const xa = x(m.sent), ya = y(la);
    const fx = x(m.arrival), fy = y(lb);
    const span = Math.max(1, m.arrival - m.sent);
    let stop = Math.min(1, (now - m.sent) / span);
    let cross = false;
    if (m.fate !== 'in_flight' && m.fate !== 'delivered') {
      const at = m.fate === 'crashed' ? 1 : Math.max(0, Math.min(1, (m.end - m.sent) / span));
      if (stop >= at) { stop = at; cross = true; }
    }
    const xb = xa + (fx - xa) * stop, yb = ya + (fy - ya) * stop;
    const isHot = (hot != null && m.ops.includes(hot)) || hotMessage === m.id || hovered === m.id;
    const isCulprit = culprits.size > 0 && m.ops.some((o) => culprits.has(o));
    let color = CAT_COLOR[category(m)];
    const alpha = anyHot ? (isHot ? 1 : 0.18) : (culprits.size ? (isCulprit ? 1 : 0.35) : 0.75);
    // One device pixel for the many, so they rasterize as hairlines (see strokeSegments).
    let width = isHot ? 2.4 : 1 / dpr;
    if (isCulprit && !anyHot) { color = '#ff3d6e'; width = 2; }
    const b = bucket(color, alpha, width, m.copy_of != null);
    b.lines.push(xa, ya, xb, yb);
    diagramSegs.push({ m, xa, ya, xb, yb, culprit: isCulprit, hot: isHot });
    if (m.copy_of != null) { b.heads.moveTo(xa + 2.5, ya); b.heads.arc(xa, ya, 2.5, 0, 7); }
    if (cross) {
      crosses.moveTo(xb - 3, yb - 3); crosses.lineTo(xb + 3, yb + 3); crosses.moveTo(xb + 3, yb - 3); crosses.lineTo(xb - 3, yb + 3);
    } else if (dense && !isHot && !(isCulprit && !anyHot)) {
      continue;
    } else if (stop >= 1) {
      const ang = Math.atan2(yb - ya, xb - xa);
      b.heads.moveTo(xb, yb);
      b.heads.lineTo(xb - 6 * Math.cos(ang - 0.45), yb - 6 * Math.sin(ang - 0.45));
      // No closePath: fill closes the triangle anyway, and closing costs the rasterizer twice.
      b.heads.lineTo(xb - 6 * Math.cos(ang + 0.45), yb - 6 * Math.sin(ang + 0.45));
    } else {
      b.heads.moveTo(xb + 2.2, yb); b.heads.arc(xb, yb, 2.2, 0, 7);
    }
  }
  for (const b of buckets.values()) {
    ctx.globalAlpha = b.alpha;
    ctx.strokeStyle = b.color;
    ctx.fillStyle = b.color;
    ctx.lineCap = b.width * dpr > 1 ? 'round' : 'butt';
    ctx.setLineDash(b.dash ? [4, 3] : []);
    strokeSegments(ctx, b.lines, b.width, dpr);
    ctx.setLineDash([]);
    ctx.fill(b.heads);
  }
  ctx.lineCap = 'butt';
  ctx.globalAlpha = 1;
  ctx.strokeStyle = '#ff5c7a';
  ctx.lineWidth = 1.8;
  ctx.stroke(crosses);
  ctx.lineWidth = 1;
  fit.show();
}

function diagramHover(e) {
  const r = $('diagram').getBoundingClientRect();
  const mx = e.clientX - r.left, my = e.clientY - r.top;
  let best = null, bestD = 6;
  for (const sg of diagramSegs) {
    const dx = sg.xb - sg.xa, dy = sg.yb - sg.ya;
    const len2 = dx * dx + dy * dy || 1;
    const k = Math.max(0, Math.min(1, ((mx - sg.xa) * dx + (my - sg.ya) * dy) / len2));
    const d = Math.hypot(mx - (sg.xa + k * dx), my - (sg.ya + k * dy));
    if (d < bestD) { bestD = d; best = sg; }
  }
  const next = best ? best.m.id : null;
  if (next !== hotMessage) { hotMessage = next; dirty = true; dirtyDiagram = true; }
  if (!best) { hideTooltip(); return; }
  const m = best.m;
  const fate = m.fate === 'delivered' ? `delivered at the end of tick ${m.end}` : m.fate === 'in_flight' ? `arrives at the end of tick ${m.arrival}` : `dropped at tick ${m.end} (${m.fate.replace('_', ' ')})`;
  const t = $('tooltip');
  t.innerHTML = `<div class="tt-head"><span class="tt-id">#${m.id}</span><span class="tt-type" style="color:${CAT_COLOR[category(m)]}">${escapeHtml(m.type)}</span>` +
    `<span class="tt-id">${m.kind === 'reply' ? 'reply to #' + m.reply_to : m.kind}${m.copy_of != null ? ' · copy of #' + m.copy_of : ''}</span></div>` +
    `<div class="tt-route">${m.from} → ${m.to} · sent at tick ${m.sent} · ${fate}</div>` +
    (m.ops.length ? `<div class="tt-route">for operation${m.ops.length > 1 ? 's' : ''} ${m.ops.join(', ')}</div>` : '');
  t.classList.remove('hidden');
  moveTooltip(e);
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
function back() { post('/api/back'); }
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

// Seeks as the slider moves, one request at a time, always to the latest position asked.
const seeking = { busy: false, want: null, dragging: false, target: null, release: 0 };
async function seekTo(tick) {
  seeking.want = tick;
  seeking.target = tick;
  // Refused or overtaken seeks must not pin the slider for long.
  clearTimeout(seeking.release);
  seeking.release = setTimeout(() => { seeking.target = null; }, 1500);
  if (seeking.busy) return;
  seeking.busy = true;
  while (seeking.want != null) {
    const t = seeking.want;
    seeking.want = null;
    await post('/api/seek', { tick: t });
  }
  seeking.busy = false;
}

$('play').addEventListener('click', togglePause);
$('step').addEventListener('click', step);
$('back').addEventListener('click', back);
$('speed').max = SPEEDS.length - 1;
$('speed').addEventListener('input', (e) => setSpeed(Number(e.target.value)));
$('timeline').addEventListener('input', (e) => seekTo(Number(e.target.value)));
$('timeline').addEventListener('pointerdown', () => { seeking.dragging = true; });
window.addEventListener('pointerup', () => { seeking.dragging = false; });
$('to-latest').addEventListener('click', () => state && seekTo(state.head));
$('to-violation').addEventListener('click', () => { if (state && state.violation_at != null) { historyView = 'violation'; seekTo(state.violation_at); } });
$('pov').addEventListener('change', (e) => post('/api/options', { pause_on_violation: e.target.checked }));
$('restart-same').addEventListener('click', () => post('/api/restart', { seed: 'same' }));
$('restart-new').addEventListener('click', () => post('/api/restart', { seed: 'new' }));
$('copy').addEventListener('click', async () => {
  try { await navigator.clipboard.writeText(state ? state.command : ''); $('copy').textContent = 'copied'; }
  catch (e) { $('copy').textContent = 'select it'; }
  setTimeout(() => { $('copy').textContent = 'copy'; }, 1500);
});
$('history-violation').addEventListener('click', () => { historyView = 'violation'; dirty = true; });
$('history-live').addEventListener('click', () => { historyView = 'live'; dirty = true; });
$('history').addEventListener('mousemove', historyHover);
$('history').addEventListener('mouseleave', () => { hotOp = null; dirty = true; if (hovered == null) hideTooltip(); });
$('history').addEventListener('click', (e) => { const hit = historyHit(e); if (hit) jumpToOp(hit.op.index); });
$('diagram').addEventListener('mousemove', diagramHover);
$('diagram').addEventListener('mouseleave', () => { hotMessage = null; dirty = true; hideTooltip(); });
$('log').addEventListener('click', (e) => {
  const li = e.target.closest('li[data-tick]');
  if (li && state) seekTo(Math.min(state.head, Number(li.dataset.tick)));
});
document.addEventListener('click', (e) => { if (!$('menu').contains(e.target)) closeMenu(); });
window.addEventListener('resize', () => { dirty = true; });

// Space pauses and resumes, even when a button has the focus: the button must not also fire.
// A focused slider keeps its arrow keys (they move it).
window.addEventListener('keydown', (e) => {
  const t = e.target;
  if (t && (t.tagName === 'TEXTAREA' || (t.tagName === 'INPUT' && t.type !== 'range' && t.type !== 'checkbox'))) return;
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const onSlider = t && t.tagName === 'INPUT' && t.type === 'range';
  if (onSlider && ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown'].includes(e.key)) return;
  if (e.code === 'Space' || e.key === ' ') {
    e.preventDefault();
    e.stopPropagation();
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    if (!e.repeat) togglePause();
  } else if (e.key === 's' || e.key === 'S' || e.key === 'ArrowRight') {
    e.preventDefault();
    step();
  } else if (e.key === 'b' || e.key === 'B' || e.key === 'ArrowLeft') {
    e.preventDefault();
    back();
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

sizer.observe($('history'));
new ResizeObserver((entries) => {
  for (const e of entries) stageBox = { w: e.contentRect.width, h: e.contentRect.height };
  dotsDirty = true;
}).observe($('stage'));
$('stage').addEventListener('mousemove', (e) => hoverSignal(signalAt(e.clientX, e.clientY), e));
$('stage').addEventListener('mouseleave', (e) => hoverSignal(null, e));
// A dot is on top of everything on the stage: its click is the dot's, not the node's under it.
$('stage').addEventListener('click', (e) => {
  const id = signalAt(e.clientX, e.clientY);
  if (id == null) return;
  e.stopPropagation();
  e.preventDefault();
  dropSignal(id);
}, true);
sizer.observe($('diagram'));
connect();
requestAnimationFrame(frame);

// nabla board — the page. Plain JavaScript, SVG; no library. Every name that
// comes from the logdir (runs, tags, nodes) is put into the document with
// textContent or as an attribute value, never parsed as markup.
'use strict';

const S = {
  tab: 'scalars', version: -1, runs: [], enabled: new Map(), colors: new Map(),
  smoothing: 0.6, xaxis: 'step', logy: false, tagFilter: '', runFilter: '',
  graph: null, graphRun: null, expanded: new Set(), selected: null,
  imageIndex: new Map(), reload: 2, charts: new Map(),
};
const MAX_SERIES = 100;
const PALETTE = ['#ff7043', '#0077bb', '#cc3311', '#33bbee', '#ee3377', '#009988', '#bbbbbb', '#f9a825',
  '#7b1fa2', '#2e7d32', '#5d4037', '#1565c0'];
const $ = (id) => document.getElementById(id);
const SVGNS = 'http://www.w3.org/2000/svg';

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function sv(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function q(params) {
  return Object.keys(params).map((k) => k + '=' + encodeURIComponent(params[k])).join('&');
}
async function getJSON(url) {
  const r = await fetch(url, { cache: 'no-store' });
  if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
  return r.json();
}
function regex(text) {
  try { return new RegExp(text); } catch (e) { return null; }
}
function fmt(v) {
  if (v === null || v === undefined) return 'NaN';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(3).replace(/\.?0+e/, 'e').replace('e+', 'e');
  return String(+v.toPrecision(5));
}
function fmtTime(sec) {
  if (sec < 60) return sec.toFixed(1) + 's';
  if (sec < 3600) return (sec / 60).toFixed(1) + 'm';
  return (sec / 3600).toFixed(2) + 'h';
}

/*** runs ***/

function color(run) {
  if (!S.colors.has(run)) S.colors.set(run, PALETTE[S.colors.size % PALETTE.length]);
  return S.colors.get(run);
}
function visibleRuns() {
  const re = regex(S.runFilter) || /(?:)/;
  return S.runs.filter((r) => re.test(r.name));
}
function runOn(name) { return S.enabled.get(name) !== false; }

function drawRuns() {
  const box = $('runs');
  box.textContent = '';
  for (const r of visibleRuns()) {
    const row = el('label', { class: 'run', 'data-run': r.name });
    const cb = el('input', { type: 'checkbox' });
    cb.checked = runOn(r.name);
    cb.addEventListener('change', () => { S.enabled.set(r.name, cb.checked); render(); });
    const sw = el('span', { class: 'swatch' });
    sw.style.background = color(r.name);
    row.append(cb, sw, el('span', { class: 'run-name' }, r.name));
    box.append(row);
  }
  const errs = $('errors');
  errs.textContent = '';
  for (const r of S.runs)
    for (const e of r.errors)
      errs.append(el('li', {}, r.name + ': ' + e.message + (e.offset !== null ? ' (byte ' + e.offset + ')' : '')));
  $('errors-box').hidden = !errs.childElementCount;
}

/*** scalars ***/

// TensorBoard's smoothing: an exponential moving average, debiased so that
// the first points are not pulled towards 0.
function smooth(values, w) {
  const out = new Array(values.length);
  let last = 0, n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || !isFinite(v)) { out[i] = v; continue; }
    last = last * w + (1 - w) * v;
    n++;
    out[i] = w === 0 ? v : last / (1 - Math.pow(w, n));
  }
  return out;
}

function ticks(lo, hi, n) {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) || step0;
  const out = [];
  // by index, not by adding step (lo + step may equal lo for wall times)
  for (let k = Math.ceil(lo / step); k * step <= hi + step * 1e-9 && out.length < 50; k++) out.push(+(k * step).toPrecision(15));
  return out.length ? out : [lo];
}

function xOf(p, first) {
  if (S.xaxis === 'step') return p[1];
  if (S.xaxis === 'relative') return p[0] - first;
  return p[0];
}

function drawChart(card, tag, series) {
  const W = 460, H = 280, L = 56, R = 12, T = 10, B = 30;
  let old = card.querySelector('svg');
  const svg = sv('svg', { width: W, height: H, class: 'plot', 'data-tag': tag });
  const runs = series.filter((s) => runOn(s.run) && s.points.length);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  const prepared = runs.map((s) => {
    const first = s.points[0][0];
    const xs = s.points.map((p) => xOf(p, first));
    let ys = s.points.map((p) => p[2]);
    const sm = smooth(ys, S.smoothing);
    const tr = (v) => (v === null || !isFinite(v) ? null : S.logy ? (v > 0 ? Math.log10(v) : null) : v);
    const raw = ys.map(tr), sy = sm.map(tr);
    xs.forEach((x) => { x0 = Math.min(x0, x); x1 = Math.max(x1, x); });
    raw.concat(sy).forEach((y) => { if (y !== null) { y0 = Math.min(y0, y); y1 = Math.max(y1, y); } });
    return { s, xs, raw, sy, first };
  });
  if (!isFinite(x0)) { x0 = 0; x1 = 1; }
  if (!isFinite(y0)) { y0 = 0; y1 = 1; }
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad; y1 += pad;
  const px = (x) => L + (x - x0) / (x1 - x0) * (W - L - R);
  const py = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  svg.setAttribute('data-y0', y0); svg.setAttribute('data-y1', y1);
  svg.setAttribute('data-x0', x0); svg.setAttribute('data-x1', x1); svg.setAttribute('data-xaxis', S.xaxis);
  svg.setAttribute('data-top', T); svg.setAttribute('data-bottom', H - B);
  svg.setAttribute('data-logy', S.logy ? '1' : '0');
  // log scale: ticks at whole powers of ten when the range spans one, labelled with the value
  const yt = S.logy && y1 - y0 >= 2 ? ticks(Math.ceil(y0), Math.floor(y1), 5).filter((t) => t === Math.round(t))
    : ticks(y0, y1, 5);
  for (const t of yt) {
    svg.append(sv('line', { class: 'grid', x1: L, x2: W - R, y1: py(t), y2: py(t) }));
    svg.append(sv('text', { class: 'tick', x: L - 4, y: py(t) + 3, 'text-anchor': 'end' }, S.logy ? fmt(Math.pow(10, t)) : fmt(t)));
  }
  for (const t of ticks(x0, x1, 5)) {
    const label = S.xaxis === 'step' ? fmt(t) : S.xaxis === 'relative' ? fmtTime(t)
      : new Date(t * 1000).toLocaleTimeString();
    svg.append(sv('text', { class: 'tick', x: px(t), y: H - B + 14, 'text-anchor': 'middle' }, label));
  }
  svg.append(sv('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }));
  svg.append(sv('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
  const path = (xs, ys) => {
    let d = '', pen = false;
    for (let i = 0; i < xs.length; i++) {
      if (ys[i] === null) { pen = false; continue; }
      d += (pen ? 'L' : 'M') + px(xs[i]).toFixed(2) + ',' + py(ys[i]).toFixed(3);
      pen = true;
    }
    return d;
  };
  for (const p of prepared) {
    const c = color(p.s.run);
    svg.append(sv('path', { class: 'raw', d: path(p.xs, p.raw), stroke: c, 'data-run': p.s.run, 'data-points': p.xs.length }));
    svg.append(sv('path', { class: 'smoothed', d: path(p.xs, p.sy), stroke: c, 'data-run': p.s.run }));
    if (p.xs.length === 1 && p.raw[0] !== null) // one point: a dot, as a path of one point draws nothing
      svg.append(sv('circle', { class: 'dot', cx: px(p.xs[0]), cy: py(p.raw[0]), r: 3, fill: c, 'data-run': p.s.run }));
  }
  const hover = sv('line', { class: 'axis', y1: T, y2: H - B, visibility: 'hidden' });
  svg.append(hover);
  svg.addEventListener('mousemove', (ev) => {
    const box = svg.getBoundingClientRect(), mx = ev.clientX - box.left;
    if (!prepared.length) return;
    const xv = x0 + (mx - L) / (W - L - R) * (x1 - x0);
    const tip = $('tooltip');
    tip.textContent = '';
    const table = el('table');
    table.append(tr(['', 'Run', 'Smoothed', 'Value', 'Step', 'Time', 'Relative']));
    for (const p of prepared) {
      let best = 0;
      for (let i = 1; i < p.xs.length; i++) if (Math.abs(p.xs[i] - xv) < Math.abs(p.xs[best] - xv)) best = i;
      const pt = p.s.points[best];
      const row = tr(['', p.s.run, fmt(S.logy && p.sy[best] !== null ? Math.pow(10, p.sy[best]) : p.sy[best]),
        fmt(pt[2]), String(pt[1]), new Date(pt[0] * 1000).toLocaleString(), fmtTime(pt[0] - p.first)]);
      row.firstChild.append(el('span', { class: 'swatch' }));
      row.firstChild.firstChild.style.background = color(p.s.run);
      row.setAttribute('data-run', p.s.run);
      table.append(row);
      if (p === prepared[0]) { hover.setAttribute('x1', px(p.xs[best])); hover.setAttribute('x2', px(p.xs[best])); }
    }
    tip.append(table);
    tip.hidden = false;
    tip.style.left = (ev.clientX + 14) + 'px';
    tip.style.top = (ev.clientY + 14) + 'px';
    hover.setAttribute('visibility', 'visible');
  });
  svg.addEventListener('mouseleave', () => { $('tooltip').hidden = true; hover.setAttribute('visibility', 'hidden'); });
  if (old) old.replaceWith(svg); else card.append(svg);
  const dl = card.querySelector('.downloads') || card.appendChild(el('div', { class: 'downloads' }));
  dl.textContent = '';
  for (const p of prepared) {
    const sw = el('span', { class: 'swatch legend' });
    sw.style.background = color(p.s.run);
    dl.append(sw, el('span', {}, p.s.run + ': '));
    for (const f of ['csv', 'json']) {
      const a = el('a', { href: '/api/scalars?' + q({ run: p.s.run, tag, format: f }),
        download: (p.s.run + '_' + tag).replace(/[^A-Za-z0-9_.-]+/g, '_') + '.' + f }, f.toUpperCase());
      dl.append(a);
    }
  }
}
function tr(cells) {
  const row = el('tr');
  for (const c of cells) row.append(el('td', {}, c));
  return row;
}

async function renderScalars(view) {
  const re = regex(S.tagFilter) || /(?:)/;
  const tags = new Map();
  // at most MAX_SERIES runs per chart (a logdir may hold thousands): the first
  // ones the run filter and the toggles leave
  const shown = visibleRuns().filter((r) => runOn(r.name)).slice(0, MAX_SERIES);
  const note = $('series-note');
  const total = visibleRuns().filter((r) => runOn(r.name)).length;
  note.hidden = total <= MAX_SERIES;
  note.textContent = 'Charts show the first ' + MAX_SERIES + ' of ' + total + ' runs; filter the runs to see others.';
  for (const r of shown) for (const t of r.scalars) if (re.test(t)) {
    if (!tags.has(t)) tags.set(t, []);
    tags.get(t).push(r.name);
  }
  if (!tags.size) { view.replaceChildren(el('div', { class: 'empty' }, 'No scalar data' + (S.tagFilter ? ' matching the filter.' : '.'))); return; }
  const keep = new Set();
  for (const [tag, runs] of [...tags].sort((a, b) => a[0].localeCompare(b[0]))) {
    keep.add(tag);
    let card = [...view.children].find((c) => c.dataset && c.dataset.tag === tag);
    if (!card) {
      card = el('div', { class: 'card chart', 'data-tag': tag });
      card.append(el('h4', {}, tag));
      view.append(card);
    }
    const series = await Promise.all(runs.map((run) =>
      getJSON('/api/scalars?' + q({ run, tag, max: 2000 })).then((d) => ({ run, points: d.points }))
        .catch(() => ({ run, points: [] }))));
    S.charts.set(tag, series);
    drawChart(card, tag, series);
  }
  for (const c of [...view.children]) if (!c.dataset || !keep.has(c.dataset.tag)) c.remove();
}
function redrawScalars() {
  const view = $('view');
  for (const card of view.querySelectorAll('.chart')) {
    const s = S.charts.get(card.dataset.tag);
    if (s) drawChart(card, card.dataset.tag, s);
  }
}

/*** histograms and distributions ***/

// Buckets as [left, right, count]: the limits are right edges, the first bucket
// starts at the histogram's min.
function buckets(h) {
  const out = [];
  let left = h.min;
  for (let i = 0; i < h.limits.length; i++) {
    const right = Math.min(h.limits[i] === null ? h.max : h.limits[i], h.max);
    if (h.counts[i] > 0) out.push([Math.max(left, h.min), Math.max(right, left), h.counts[i]]);
    left = h.limits[i] === null ? h.max : h.limits[i];
  }
  return out;
}
// Rebins into n equal bins over [lo, hi], spreading each bucket's count
// over the bins it covers in proportion (as TensorBoard does).
function rebin(h, lo, hi, n) {
  const out = new Array(n).fill(0), w = (hi - lo) / n;
  for (const [a, b, c] of buckets(h)) {
    if (b <= a) { out[Math.min(n - 1, Math.max(0, Math.floor((a - lo) / w)))] += c; continue; }
    for (let i = Math.max(0, Math.floor((a - lo) / w)); i < n && lo + i * w < b; i++) {
      const s = Math.max(a, lo + i * w), e = Math.min(b, lo + (i + 1) * w);
      if (e > s) out[i] += c * (e - s) / (b - a);
    }
  }
  return out;
}
// Value at cumulative fraction p of the histogram (linear inside a bucket).
function percentile(h, p) {
  const bs = buckets(h), total = bs.reduce((s, b) => s + b[2], 0);
  if (!total) return h.min;
  let acc = 0;
  for (const [a, b, c] of bs) {
    if (acc + c >= p * total) return a + (b - a) * (c ? (p * total - acc) / c : 0);
    acc += c;
  }
  return h.max;
}

function histPairs() {
  const re = regex(S.tagFilter) || /(?:)/, out = [];
  for (const r of S.runs) if (runOn(r.name)) for (const t of r.histograms) if (re.test(t)) out.push([r.name, t]);
  return out;
}

async function renderHistograms(view, dist) {
  const pairs = histPairs();
  view.replaceChildren();
  if (!pairs.length) { view.append(el('div', { class: 'empty' }, 'No histogram data.')); return; }
  for (const [run, tag] of pairs) {
    const d = await getJSON('/api/histograms?' + q({ run, tag }));
    const card = el('div', { class: 'card ' + (dist ? 'dist' : 'hist'), 'data-run': run, 'data-tag': tag });
    card.append(el('h4', {}, tag), el('div', { class: 'sub' }, run));
    card.append(dist ? distChart(d.histograms, color(run)) : histChart(d.histograms, color(run)));
    view.append(card);
  }
}

function histChart(hs, c) {
  const W = 460, H = 300, L = 40, R = 50, T = 10, B = 24, N = 30;
  const svg = sv('svg', { width: W, height: H, 'data-steps': hs.length });
  if (!hs.length) return svg;
  const shown = hs.length > 60 ? hs.filter((_, i) => i % Math.ceil(hs.length / 60) === 0) : hs;
  let lo = Math.min(...shown.map((h) => h.min)), hi = Math.max(...shown.map((h) => h.max));
  if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
  const bins = shown.map((h) => rebin(h, lo, hi, N));
  const ymax = Math.max(1e-12, ...bins.map((b) => Math.max(...b)));
  const off = shown.length > 1 ? (H - T - B) * 0.6 / (shown.length - 1) : 0;
  const hh = (H - T - B) * 0.4;
  const px = (x) => L + (x - lo) / (hi - lo) * (W - L - R);
  for (let k = 0; k < shown.length; k++) { // oldest at the back (top), newest in front
    const base = T + hh + k * off;
    let d = 'M' + px(lo) + ',' + base;
    for (let i = 0; i < N; i++) {
      const x = lo + (i + 0.5) * (hi - lo) / N;
      d += 'L' + px(x).toFixed(2) + ',' + (base - bins[k][i] / ymax * hh).toFixed(2);
    }
    d += 'L' + px(hi) + ',' + base + 'Z';
    const shade = 0.35 + 0.65 * (shown.length > 1 ? k / (shown.length - 1) : 1);
    svg.append(sv('path', { d, fill: '#fff', stroke: c, 'stroke-opacity': shade, 'class': 'hist-step', 'data-step': shown[k].step }));
    if (k === 0 || k === shown.length - 1 || k % Math.ceil(shown.length / 6) === 0)
      svg.append(sv('text', { class: 'tick', x: W - R + 4, y: base, }, 'step ' + shown[k].step));
  }
  for (const t of ticks(lo, hi, 6)) svg.append(sv('text', { class: 'tick', x: px(t), y: H - 6, 'text-anchor': 'middle' }, fmt(t)));
  return svg;
}

// TensorBoard's distribution bands: percentiles 0, 6.68, 15.87, 30.85, 50, 69.15, 84.13, 93.32, 100
// (the mean and 1, 1.5, 2 standard deviations of a normal distribution, and the extremes).
const BPS = [0, 0.0668, 0.1587, 0.3085, 0.5, 0.6915, 0.8413, 0.9332, 1];
function distChart(hs, c) {
  const W = 460, H = 280, L = 56, R = 12, T = 10, B = 24;
  const svg = sv('svg', { width: W, height: H, 'data-steps': hs.length });
  if (!hs.length) return svg;
  const ps = hs.map((h) => BPS.map((p) => percentile(h, p)));
  let y0 = Math.min(...ps.map((p) => p[0])), y1 = Math.max(...ps.map((p) => p[8]));
  if (!(y1 > y0)) { y0 -= 0.5; y1 += 0.5; }
  const x0 = hs[0].step, x1 = hs.length > 1 ? hs[hs.length - 1].step : x0 + 1;
  const px = (x) => L + (x - x0) / ((x1 - x0) || 1) * (W - L - R);
  const py = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  for (const t of ticks(y0, y1, 5)) {
    svg.append(sv('line', { class: 'grid', x1: L, x2: W - R, y1: py(t), y2: py(t) }));
    svg.append(sv('text', { class: 'tick', x: L - 4, y: py(t) + 3, 'text-anchor': 'end' }, fmt(t)));
  }
  for (const t of ticks(x0, x1, 5)) svg.append(sv('text', { class: 'tick', x: px(t), y: H - 6, 'text-anchor': 'middle' }, fmt(t)));
  for (let b = 0; b < 4; b++) {
    let d = '';
    hs.forEach((h, i) => { d += (i ? 'L' : 'M') + px(h.step).toFixed(2) + ',' + py(ps[i][b]).toFixed(2); });
    for (let i = hs.length - 1; i >= 0; i--) d += 'L' + px(hs[i].step).toFixed(2) + ',' + py(ps[i][8 - b]).toFixed(2);
    svg.append(sv('path', { d: d + 'Z', fill: c, 'fill-opacity': 0.15 + 0.12 * b, class: 'band' }));
  }
  let d = '';
  hs.forEach((h, i) => { d += (i ? 'L' : 'M') + px(h.step).toFixed(2) + ',' + py(ps[i][4]).toFixed(2); });
  svg.append(sv('path', { d, fill: 'none', stroke: c, 'stroke-width': 1.5, class: 'median' }));
  return svg;
}

/*** images ***/

async function renderImages(view) {
  const re = regex(S.tagFilter) || /(?:)/;
  view.replaceChildren();
  let any = false;
  for (const r of S.runs) if (runOn(r.name)) for (const tag of r.images) if (re.test(tag)) {
    any = true;
    const d = await getJSON('/api/images?' + q({ run: r.name, tag }));
    const key = r.name + '\u0000' + tag, n = d.images.length;
    let idx = S.imageIndex.has(key) ? Math.min(S.imageIndex.get(key), n - 1) : n - 1;
    const card = el('div', { class: 'card img-card', 'data-run': r.name, 'data-tag': tag });
    const label = el('div', { class: 'sub' });
    const img = el('img', { alt: tag });
    const slider = el('input', { type: 'range', min: 0, max: Math.max(0, n - 1), step: 1, value: idx });
    const show = () => {
      const im = d.images[idx];
      if (!im) return;
      label.textContent = r.name + ' \u2014 step ' + im.step + ' (' + im.width + '\u00d7' + im.height + ')';
      img.src = '/api/image?' + q({ run: r.name, tag, index: im.index });
      const scale = Math.max(1, Math.floor(240 / Math.max(im.width, im.height)));
      img.width = im.width * scale; img.height = im.height * scale;
      img.setAttribute('data-step', im.step);
    };
    slider.addEventListener('input', () => { idx = +slider.value; S.imageIndex.set(key, idx); show(); });
    card.append(el('h4', {}, tag), label, img, slider);
    show();
    view.append(card);
  }
  if (!any) view.append(el('div', { class: 'empty' }, 'No image data.'));
}

/*** graph ***/

// Builds the hierarchy: a node "a/b/c" lives in scope "a/b"; a node whose
// name is also a scope ("range" beside "range/start") goes inside that scope.
function buildGraph(d) {
  const nodes = new Map(), scopes = new Map();
  for (const n of d.nodes) nodes.set(n.name, { ...n, outs: [] });
  const ensureScope = (path) => {
    if (scopes.has(path)) return scopes.get(path);
    const s = { path, children: new Set(), count: 0 };
    scopes.set(path, s);
    if (path !== '') {
      const cut = path.lastIndexOf('/');
      ensureScope(cut < 0 ? '' : path.slice(0, cut)).children.add('s:' + path);
    }
    return s;
  };
  ensureScope('');
  for (const n of nodes.values()) {
    const cut = n.name.lastIndexOf('/');
    if (cut > 0) ensureScope(n.name.slice(0, cut));
  }
  for (const n of nodes.values()) {
    let parent = scopes.has(n.name) ? n.name : n.name.lastIndexOf('/') > 0 ? n.name.slice(0, n.name.lastIndexOf('/')) : '';
    n.scope = parent;
    scopes.get(parent).children.add('n:' + n.name);
    for (let p = parent; ; p = p.slice(0, Math.max(0, p.lastIndexOf('/')))) { scopes.get(p).count++; if (!p) break; }
  }
  const edges = [];
  for (const n of nodes.values()) n.inputs.forEach((inp, k) => {
    const control = inp.startsWith('^');
    let src = control ? inp.slice(1) : inp, port = 0;
    const colon = src.lastIndexOf(':');
    if (colon > 0 && /^\d+$/.test(src.slice(colon + 1))) { port = +src.slice(colon + 1); src = src.slice(0, colon); }
    if (!nodes.has(src)) return;
    nodes.get(src).outs.push(n.name);
    const shapes = nodes.get(src).shapes;
    edges.push({ src, dst: n.name, control, label: control ? '' : shapes[port] || '' });
  });
  return { nodes, scopes, edges, run: d.run };
}

// The item a node is drawn as: itself, or its outermost closed scope.
function shownAs(G, name) {
  const n = G.nodes.get(name);
  const parts = n.scope ? n.scope.split('/') : [];
  let p = '';
  for (let i = 0; i < parts.length; i++) {
    p = p ? p + '/' + parts[i] : parts[i];
    if (!S.expanded.has(p)) return 's:' + p;
  }
  return 'n:' + name;
}
// The direct child of scope that holds item id ("n:..." or "s:...").
function childOf(G, scope, id) {
  const path = id.startsWith('s:') ? id.slice(2) : G.nodes.get(id.slice(2)).scope;
  if (id.startsWith('n:') && path === scope) return id;
  if (scope !== '' && !(path === scope || path.startsWith(scope + '/'))) return null;
  const rest = scope === '' ? path : path.slice(scope.length + 1);
  if (rest === '') return id.startsWith('s:') ? null : id;
  return 's:' + (scope === '' ? '' : scope + '/') + rest.split('/')[0];
}
function label(id) {
  const name = id.slice(2), cut = name.lastIndexOf('/');
  return cut < 0 ? name : name.slice(cut + 1);
}

// Layered layout of one scope, bottom to top (inputs below, as TensorBoard
// draws): longest-path layers, then barycenter ordering; open scopes are laid
// out first and placed as one big box.
function layoutScope(G, scope, visEdges) {
  const ids = [...G.scopes.get(scope).children];
  const box = new Map();
  for (const id of ids) {
    if (id.startsWith('s:') && S.expanded.has(id.slice(2))) box.set(id, layoutScope(G, id.slice(2), visEdges));
    else {
      const text = label(id), sub = id.startsWith('n:') ? G.nodes.get(id.slice(2)).op : G.scopes.get(id.slice(2)).count + ' nodes';
      box.set(id, { w: Math.max(90, 7 * Math.max(text.length, sub.length) + 16), h: 34, kids: null });
    }
  }
  const succ = new Map(ids.map((i) => [i, new Set()])), pred = new Map(ids.map((i) => [i, new Set()]));
  for (const [a, b] of visEdges) {
    const ca = childOf(G, scope, a), cb = childOf(G, scope, b);
    if (ca && cb && ca !== cb && succ.has(ca) && succ.has(cb)) { succ.get(ca).add(cb); pred.get(cb).add(ca); }
  }
  // layers: longest path from the sources, cycles broken by DFS order
  const layer = new Map(), state = new Map();
  const visit = (id) => {
    if (state.get(id) === 2) return layer.get(id);
    if (state.get(id) === 1) return -1;
    state.set(id, 1);
    let l = 0;
    for (const p of pred.get(id)) l = Math.max(l, visit(p) + 1);
    state.set(id, 2); layer.set(id, l);
    return l;
  };
  ids.forEach(visit);
  const layers = [];
  for (const id of ids) (layers[layer.get(id)] = layers[layer.get(id)] || []).push(id);
  const pos = new Map();
  layers.forEach((ls) => ls.forEach((id, i) => pos.set(id, i)));
  for (let it = 0; it < 6; it++) {
    for (let l = 1; l < layers.length; l++) bary(layers[l], pred, pos);
    for (let l = layers.length - 2; l >= 0; l--) bary(layers[l], succ, pos);
  }
  const GX = 24, GY = 48, PAD = 14, TOP = 22;
  const widths = layers.map((ls) => ls.reduce((s, id) => s + box.get(id).w, 0) + GX * (ls.length - 1));
  const W = Math.max(120, ...widths) + 2 * PAD;
  let y = PAD;
  const place = new Map();
  for (let l = 0; l < layers.length; l++) { // layer 0 at the bottom: place from the bottom up
    const hmax = Math.max(...layers[l].map((id) => box.get(id).h));
    let x = PAD + (W - 2 * PAD - widths[l]) / 2;
    for (const id of layers[l]) {
      const b = box.get(id);
      place.set(id, { x, y: y + (hmax - b.h) / 2, b });
      x += b.w + GX;
    }
    y += hmax + GY;
  }
  const Hc = Math.max(40, y - GY + PAD);
  for (const p of place.values()) p.y = Hc - p.y - p.b.h; // flip: bottom to top
  return { w: W, h: Hc + (scope ? TOP : 0), kids: place, scope };
}
function bary(ls, nb, pos) {
  const key = new Map(ls.map((id) => {
    const ns = [...nb.get(id)].filter((n) => pos.has(n));
    return [id, ns.length ? ns.reduce((s, n) => s + pos.get(n), 0) / ns.length : pos.get(id)];
  }));
  ls.sort((a, b) => key.get(a) - key.get(b));
  ls.forEach((id, i) => pos.set(id, i));
}

function drawGraph() {
  const G = S.graph, host = $('graph-canvas');
  if (!G || !host) return;
  const visEdges = [], seen = new Set(), drawn = [];
  for (const e of G.edges) {
    const a = shownAs(G, e.src), b = shownAs(G, e.dst);
    if (a === b) continue;
    visEdges.push([a, b]);
    const k = a + '\u0000' + b + (e.control ? 'c' : '');
    if (seen.has(k)) continue;
    seen.add(k);
    drawn.push({ a, b, control: e.control, label: e.label });
  }
  const root = layoutScope(G, '', visEdges);
  const abs = new Map();
  host.textContent = '';
  const gScopes = sv('g'), gEdges = sv('g'), gNodes = sv('g');
  host.append(gScopes, gEdges, gNodes);
  const put = (lay, ox, oy) => {
    for (const [id, p] of lay.kids) {
      const x = ox + p.x, y = oy + p.y, b = p.b;
      abs.set(id, { x, y, w: b.w, h: b.h });
      const isScope = id.startsWith('s:'), open = isScope && S.expanded.has(id.slice(2));
      const g = sv('g', { class: 'gnode ' + (isScope ? 'scope' : 'op') + (open ? ' open' : '') + (S.selected === id.slice(2) ? ' selected' : ''),
        'data-name': id.slice(2), transform: 'translate(' + x + ',' + y + ')' });
      g.append(sv('rect', { width: b.w, height: b.h, rx: isScope ? 6 : 14 }));
      if (open) {
        g.append(sv('text', { x: 8, y: 15 }, label(id) + ' \u25be'));
        gScopes.append(g);
        put(b, x, y + 22); // TOP: the scope's label
      } else {
        g.append(sv('text', { x: b.w / 2, y: 15, 'text-anchor': 'middle' }, label(id) + (isScope ? ' \u25b8' : '')));
        g.append(sv('text', { class: 'optype', x: b.w / 2, y: 28, 'text-anchor': 'middle' },
          isScope ? G.scopes.get(id.slice(2)).count + ' nodes' : G.nodes.get(id.slice(2)).op));
        gNodes.append(g);
      }
      g.addEventListener('click', (ev) => {
        ev.stopPropagation();
        if (S.dragged) return;
        if (isScope) {
          if (open) S.expanded.delete(id.slice(2)); else S.expanded.add(id.slice(2));
          S.selected = id.slice(2);
          S.viewBox = null; // fit the new layout
        }
        else S.selected = id.slice(2);
        drawGraph(); showNode();
      });
    }
  };
  put(root, 0, 0);
  for (const e of drawn) {
    const s = abs.get(e.a), t = abs.get(e.b);
    if (!s || !t) continue;
    const x1 = s.x + s.w / 2, y1 = s.y, x2 = t.x + t.w / 2, y2 = t.y + t.h;
    const my = (y1 + y2) / 2;
    gEdges.append(sv('path', { class: 'edge' + (e.control ? ' control' : ''), d: `M${x1},${y1}C${x1},${my} ${x2},${my} ${x2},${y2}`,
      'marker-end': 'url(#arrow)', 'data-src': e.a.slice(2), 'data-dst': e.b.slice(2) }));
    if (e.label) gEdges.append(sv('text', { class: 'elabel', x: (x1 + x2) / 2 + 3, y: my }, e.label));
  }
  S.graphSize = { w: root.w, h: root.h };
  if (!S.viewBox) fitGraph();
  applyView();
}
function fitGraph() {
  const { w, h } = S.graphSize || { w: 100, h: 100 };
  S.viewBox = { x: -10, y: -10, w: w + 20, h: h + 20 };
}
function applyView() {
  const svg = $('graph-svg'), v = S.viewBox;
  if (svg && v) svg.setAttribute('viewBox', `${v.x} ${v.y} ${v.w} ${v.h}`);
}

function showNode() {
  const info = $('graph-info');
  if (!info) return;
  info.textContent = '';
  const G = S.graph, name = S.selected;
  if (!G || !name) { info.append(el('div', { class: 'hint' }, 'Select a node.')); return; }
  const n = G.nodes.get(name);
  if (!n) {
    const sc = G.scopes.get(name);
    info.append(el('h4', {}, name), el('div', { class: 'sub' }, 'Name scope, ' + (sc ? sc.count : 0) + ' nodes'));
    return;
  }
  info.append(el('h4', { id: 'node-name' }, n.name));
  const t = el('table');
  const row = (k, v) => { const r = tr([k, v]); t.append(r); return r; };
  row('Operation', n.op).setAttribute('id', 'node-op');
  if (n.device) row('Device', n.device);
  for (const k of Object.keys(n.attrs).sort()) row(k, n.attrs[k]);
  if (n.shapes.length) row('Output shapes', n.shapes.join(', '));
  info.append(t, el('h4', {}, 'Inputs'));
  const ul = el('ul');
  for (const i of n.inputs) ul.append(el('li', {}, i + (i.startsWith('^') ? ' (control)' : '')));
  info.append(ul, el('h4', {}, 'Outputs'));
  const ol = el('ul');
  for (const o of n.outs) ol.append(el('li', {}, o));
  info.append(ol);
}

function findNode(text) {
  const G = S.graph;
  if (!G || !text) return false;
  const name = G.nodes.has(text) ? text : [...G.nodes.keys()].find((k) => k.endsWith('/' + text) || k.includes(text));
  if (!name) return false;
  const parts = G.nodes.get(name).scope.split('/');
  for (let i = 1; i <= parts.length; i++) if (parts[0]) S.expanded.add(parts.slice(0, i).join('/'));
  S.selected = name;
  S.viewBox = null;
  drawGraph(); showNode();
  const g = [...document.querySelectorAll('#graph-canvas .gnode')].find((e) => e.getAttribute('data-name') === name);
  if (g) {
    const m = /translate\(([-\d.e]+),([-\d.e]+)\)/.exec(g.getAttribute('transform'));
    const v = S.viewBox;
    v.x = +m[1] - v.w / 2; v.y = +m[2] - v.h / 2; applyView();
  }
  return true;
}

async function renderGraph(view) {
  const withGraph = S.runs.filter((r) => r.graph);
  const sel = $('graph-run');
  const names = withGraph.map((r) => r.name);
  if ([...sel.options].map((o) => o.value).join('\u0000') !== names.join('\u0000')) {
    sel.textContent = '';
    for (const n of names) { const o = el('option', {}, n); o.value = n; sel.append(o); }
  }
  if (!names.length) { view.replaceChildren(el('div', { class: 'empty' }, 'No graph in the logdir.')); return; }
  if (!names.includes(S.graphRun)) S.graphRun = names[0];
  sel.value = S.graphRun;
  if (!S.graph || S.graph.run !== S.graphRun || !$('graph-svg')) {
    const d = await getJSON('/api/graph?' + q({ run: S.graphRun }));
    if (!S.graph || S.graph.run !== S.graphRun) { S.expanded = new Set(); S.selected = null; S.viewBox = null; }
    S.graph = buildGraph(d);
    const dl = $('graph-names');
    dl.textContent = '';
    for (const k of S.graph.nodes.keys()) { const o = el('option'); o.value = k; dl.append(o); }
    const wrap = el('div', { id: 'graph-wrap' });
    const svg = sv('svg', { id: 'graph-svg' });
    const defs = sv('defs'), mk = sv('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    mk.append(sv('path', { d: 'M0,0L10,5L0,10Z', fill: '#8a94a6' }));
    defs.append(mk);
    svg.append(defs, sv('g', { id: 'graph-canvas' }));
    wrap.append(svg, el('div', { id: 'graph-info', class: 'card' }));
    view.replaceChildren(wrap);
    panZoom(svg);
  }
  drawGraph(); showNode();
}

function panZoom(svg) {
  let drag = null;
  svg.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    const v = S.viewBox, r = svg.getBoundingClientRect();
    const f = ev.deltaY > 0 ? 1.15 : 1 / 1.15;
    const s = Math.max(v.w / r.width, v.h / r.height);
    const mx = v.x + (ev.clientX - r.left) * s, my = v.y + (ev.clientY - r.top) * s;
    v.x = mx - (mx - v.x) * f; v.y = my - (my - v.y) * f; v.w *= f; v.h *= f;
    applyView();
  }, { passive: false });
  svg.addEventListener('mousedown', (ev) => { drag = { x: ev.clientX, y: ev.clientY, v: { ...S.viewBox } }; S.dragged = false; });
  window.addEventListener('mousemove', (ev) => {
    if (!drag) return;
    const r = svg.getBoundingClientRect(), s = Math.max(drag.v.w / r.width, drag.v.h / r.height);
    if (Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y) > 3) S.dragged = true;
    S.viewBox = { ...drag.v, x: drag.v.x - (ev.clientX - drag.x) * s, y: drag.v.y - (ev.clientY - drag.y) * s };
    applyView();
  });
  window.addEventListener('mouseup', () => { drag = null; setTimeout(() => { S.dragged = false; }, 0); });
}

/*** main loop ***/

let rendering = Promise.resolve();
function render() {
  rendering = rendering.then(renderNow).catch((e) => { $('status').textContent = String(e); });
  return rendering;
}
async function renderNow() {
  drawRuns();
  const view = $('view');
  $('scalar-settings').hidden = S.tab !== 'scalars';
  $('graph-settings').hidden = S.tab !== 'graph';
  $('tag-filter-row').hidden = S.tab === 'graph';
  if (view.dataset.tab !== S.tab) { view.replaceChildren(); view.dataset.tab = S.tab; }
  if (S.tab === 'scalars') await renderScalars(view);
  else if (S.tab === 'graph') await renderGraph(view);
  else if (S.tab === 'histograms') await renderHistograms(view, false);
  else if (S.tab === 'distributions') await renderHistograms(view, true);
  else if (S.tab === 'images') await renderImages(view);
  document.body.setAttribute('data-rendered', String(S.version));
}

async function poll() {
  try {
    const st = await getJSON('/api/status');
    S.reload = st.reload || 2;
    $('status').textContent = st.logdir + ' \u2014 ' + st.runs + ' runs' + (st.loading ? ' (loading\u2026)' : '');
    if (st.version !== S.version) {
      const d = await getJSON('/api/runs');
      S.runs = d.runs;
      S.version = d.version;
      if (S.tab === 'graph' && S.graph) {
        const r = S.runs.find((x) => x.name === S.graph.run);
        if (!r || !r.graph) S.graph = null;
      }
      await render();
    }
  } catch (e) {
    $('status').textContent = 'server not reachable: ' + e.message;
  }
  setTimeout(poll, Math.max(500, Math.min(S.reload, 5) * 1000));
}

function init() {
  for (const b of document.querySelectorAll('#tabs button'))
    b.addEventListener('click', () => {
      for (const o of document.querySelectorAll('#tabs button')) o.classList.toggle('active', o === b);
      S.tab = b.dataset.tab;
      if (S.tab === 'graph') S.graph = S.graph && $('graph-svg') ? S.graph : null;
      render();
    });
  $('smoothing').addEventListener('input', () => {
    S.smoothing = +$('smoothing').value;
    $('smoothing-value').textContent = S.smoothing.toFixed(3);
    redrawScalars();
  });
  for (const r of document.querySelectorAll('input[name=xaxis]'))
    r.addEventListener('change', () => { S.xaxis = r.value; redrawScalars(); });
  $('logy').addEventListener('change', () => { S.logy = $('logy').checked; redrawScalars(); });
  $('tag-filter').addEventListener('input', () => { S.tagFilter = $('tag-filter').value; render(); });
  $('run-filter').addEventListener('input', () => { S.runFilter = $('run-filter').value; render(); });
  $('graph-run').addEventListener('change', () => { S.graphRun = $('graph-run').value; S.graph = null; render(); });
  $('graph-search').addEventListener('change', () => findNode($('graph-search').value));
  window.board = { state: S, findNode, render };
  poll();
}
init();

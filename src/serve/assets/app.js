// The iiot dashboard: one chart per series of the chosen asset, drawn as
// SVG from the read API and updated by polling it every two seconds.
// No library, no build step; everything comes from the serving binary.
"use strict";

const POLL_MS = 2000;
const params = new URLSearchParams(location.search);
const state = {
  asset: params.get("asset"),
  tags: params.getAll("tag"),
  windowMs: Number(params.get("window")) || 600000,
  series: new Map(), // "asset/tag" -> {info, points:[[ts,value,anomalous]], last}
  active: [],
  events: [],
  end: null, // the newest reading's time: the window ends there
  polls: 0,
};

const $ = (id) => document.getElementById(id);
const key = (a, t) => a + "/" + t;
const svgNS = "http://www.w3.org/2000/svg";

function q(path, extra) {
  const p = new URLSearchParams();
  if (state.asset) p.append("asset", state.asset);
  for (const t of state.tags) p.append("tag", t);
  for (const [k, v] of Object.entries(extra || {})) p.append(k, v);
  return path + "?" + p.toString();
}

async function getJSON(url) {
  const r = await fetch(url, { headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(url + ": " + r.status + " " + (await r.text()));
  return r.json();
}

const iso = (ms) => new Date(ms).toISOString();

function seriesEntry(a, t) {
  const k = key(a, t);
  let s = state.series.get(k);
  if (!s) {
    s = { info: { asset: a, tag: t }, points: [], last: -Infinity, value: null };
    state.series.set(k, s);
  }
  return s;
}

function addReadings(recs) {
  for (const r of recs) {
    const ts = Date.parse(r.ts);
    const s = seriesEntry(r.asset, r.tag);
    if (ts <= s.last) continue;
    s.last = ts;
    s.value = r.value;
    s.unit = r.unit || s.unit;
    s.points.push([ts, r.value, Array.isArray(r.anomalies) && r.anomalies.length > 0, r.anomalies]);
    if (state.end === null || ts > state.end) state.end = ts;
  }
}

function trim() {
  if (state.end === null) return;
  const from = state.end - state.windowMs;
  for (const s of state.series.values()) {
    let i = 0;
    while (i < s.points.length && s.points[i][0] < from) i++;
    if (i > 0) s.points.splice(0, i);
  }
}

async function loadSeries() {
  const { series } = await getJSON(q("/series"));
  for (const info of series) {
    const s = seriesEntry(info.asset, info.tag);
    s.info = info;
    s.unit = info.unit;
  }
  if (!state.asset) {
    const assets = [...new Set(series.map((s) => s.asset))];
    drawAssets(assets);
  }
}

async function loadAssets() {
  const { series } = await getJSON("/series");
  drawAssets([...new Set(series.map((s) => s.asset))]);
  if (!state.asset && series.length > 0) state.asset = series[0].asset;
}

function drawAssets(assets) {
  const nav = $("assets");
  nav.textContent = "";
  for (const a of assets) {
    const link = document.createElement("a");
    link.href = "?asset=" + encodeURIComponent(a);
    link.textContent = a;
    if (a === state.asset) link.className = "on";
    nav.appendChild(link);
  }
}

async function poll() {
  // Where the data ends decides the window: a store of last year's
  // readings shows its last window, a live one follows the clock.
  const latest = await getJSON(q("/latest"));
  for (const r of latest) {
    const ts = Date.parse(r.ts);
    if (state.end === null || ts > state.end) state.end = ts;
  }
  if (state.end === null) return;
  let since = Infinity;
  for (const s of state.series.values()) since = Math.min(since, s.last);
  const windowFrom = state.end - state.windowMs;
  const from = Number.isFinite(since) && since > windowFrom ? since + 1 : windowFrom;
  const recs = await getJSON(q("/readings", { from: iso(from), limit: 200000 }));
  addReadings(recs);
  trim();
  const [active, events] = await Promise.all([
    getJSON(q("/alarms/active")),
    getJSON(q("/alarms", { from: iso(state.end - state.windowMs) })),
  ]);
  state.active = active;
  state.events = events;
  state.polls++;
}

function alarmSpans(s, from, to) {
  // raised … cleared pairs of this series' rules, clipped to the window;
  // one still open runs to the window's end.
  const open = new Map();
  const spans = [];
  for (const e of state.events) {
    if (e.asset !== s.info.asset || e.tag !== s.info.tag) continue;
    const ts = Date.parse(e.ts);
    if (e.event === "raised") open.set(e.rule, ts);
    else if (e.event === "cleared") {
      spans.push([open.has(e.rule) ? open.get(e.rule) : from, ts, e.rule]);
      open.delete(e.rule);
    }
  }
  for (const a of state.active) {
    if (a.asset === s.info.asset && a.tag === s.info.tag && a.state !== "rtn_unacked") {
      spans.push([Math.max(from, open.get(a.rule) ?? Date.parse(a.ts)), to, a.rule]);
    }
  }
  return spans;
}

function el(name, attrs, parent) {
  const e = document.createElementNS(svgNS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function fmt(v) {
  if (v === null || v === undefined) return "–";
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(3);
}

function drawChart(s, card) {
  const W = 400, H = 150, L = 42, R = 6, T = 6, B = 18;
  const to = state.end, from = to - state.windowMs;
  let svg = card.querySelector("svg");
  if (svg) svg.remove();
  svg = el("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none" }, card);
  svg.dataset.series = key(s.info.asset, s.info.tag);
  svg.dataset.points = String(s.points.length);
  const limits = s.info.limits || {};
  let lo = Infinity, hi = -Infinity;
  for (const p of s.points) { lo = Math.min(lo, p[1]); hi = Math.max(hi, p[1]); }
  // The model's hi and lo limits are always in view; hi_hi and lo_lo
  // when the data reach towards them.
  for (const k of ["lo", "hi"]) {
    const v = limits[k];
    if (v === undefined) continue;
    lo = Number.isFinite(lo) ? Math.min(lo, v) : v;
    hi = Number.isFinite(hi) ? Math.max(hi, v) : v;
  }
  if (!Number.isFinite(lo)) { lo = 0; hi = 1; }
  if (hi === lo) { hi += 1; lo -= 1; }
  const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
  const x = (t) => L + ((t - from) / (to - from)) * (W - L - R);
  const y = (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  for (let i = 0; i <= 3; i++) {
    const v = lo + ((hi - lo) * i) / 3;
    el("line", { class: "grid", x1: L, x2: W - R, y1: y(v), y2: y(v) }, svg);
    el("text", { class: "axis", x: L - 3, y: y(v) + 3, "text-anchor": "end" }, svg).textContent = fmt(v);
  }
  el("text", { class: "axis", x: L, y: H - 4 }, svg).textContent = new Date(from).toISOString().slice(11, 19);
  el("text", { class: "axis", x: W - R, y: H - 4, "text-anchor": "end" }, svg).textContent = new Date(to).toISOString().slice(11, 19) + "Z";
  for (const [a, b, rule] of alarmSpans(s, from, to)) {
    const r = el("rect", { class: "alarm-span", x: x(a), y: T, width: Math.max(2, x(b) - x(a)), height: H - T - B }, svg);
    el("title", {}, r).textContent = "alarm " + rule;
  }
  for (const [k, cls] of [["lo_lo", "hh"], ["lo", ""], ["hi", ""], ["hi_hi", "hh"]]) {
    const v = limits[k];
    if (v === undefined || v < lo || v > hi) continue;
    const l = el("line", { class: "limit " + cls, x1: L, x2: W - R, y1: y(v), y2: y(v) }, svg);
    l.dataset.limit = k;
    el("title", {}, l).textContent = k + " " + v;
  }
  if (s.points.length > 0) {
    const d = s.points.map((p, i) => (i ? "L" : "M") + x(p[0]).toFixed(1) + " " + y(p[1]).toFixed(1)).join("");
    el("path", { class: "trace", d }, svg);
  }
  for (const p of s.points) {
    if (!p[2]) continue;
    const c = el("circle", { class: "anomaly", cx: x(p[0]), cy: y(p[1]), r: 3.5 }, svg);
    c.dataset.ts = new Date(p[0]).toISOString();
    el("title", {}, c).textContent = "anomaly " + (p[3] || []).map((a) => a.rule).join(", ") + " at " + c.dataset.ts;
  }
}

function draw() {
  const charts = $("charts");
  const shown = [...state.series.values()]
    .filter((s) => !state.asset || s.info.asset === state.asset)
    .sort((a, b) => key(a.info.asset, a.info.tag).localeCompare(key(b.info.asset, b.info.tag)));
  // Alarm state records (ISA-18.2): unacked and acked are active,
  // rtn_unacked has returned to normal but waits for its acknowledgement.
  const isActive = (a) => a.state === "unacked" || a.state === "acked";
  const alarmed = new Set(state.active.filter(isActive).map((a) => key(a.asset, a.tag)));
  const tbody = $("current").querySelector("tbody");
  tbody.textContent = "";
  for (const s of shown) {
    const k = key(s.info.asset, s.info.tag);
    let card = charts.querySelector(`[data-key="${CSS.escape(k)}"]`);
    if (!card) {
      card = document.createElement("div");
      card.className = "card";
      card.dataset.key = k;
      card.innerHTML = '<h2><span class="name"></span><span class="now"></span></h2>';
      card.querySelector(".name").textContent = s.info.tag + (s.info.description ? " — " + s.info.description : "");
      charts.appendChild(card);
    }
    card.classList.toggle("alarm", alarmed.has(k));
    card.querySelector(".now").textContent = fmt(s.value) + " " + (s.unit || "");
    drawChart(s, card);
    const tr = document.createElement("tr");
    tr.dataset.series = k;
    const alarmsHere = state.active.filter((a) => key(a.asset, a.tag) === k);
    tr.innerHTML = "<td></td><td class=num></td><td></td>";
    tr.children[0].textContent = s.info.tag;
    tr.children[1].textContent = fmt(s.value) + " " + (s.unit || "");
    const activeHere = alarmsHere.filter(isActive);
    tr.children[2].textContent = alarmsHere.length
      ? (activeHere.length ? "ALARM " : "") + alarmsHere.map((a) => a.rule + " " + a.state).join(", ")
      : "normal";
    tr.children[2].className = activeHere.length ? "state-alarm" : alarmsHere.length ? "state-rtn" : "state-normal";
    tbody.appendChild(tr);
  }
  const ul = $("active");
  ul.textContent = "";
  for (const a of state.active) {
    const li = document.createElement("li");
    li.className = "active-alarm state-" + a.state;
    li.dataset.series = key(a.asset, a.tag);
    li.innerHTML = '<span class="sev"></span> <span class="what"></span> <span class="muted since"></span>';
    li.querySelector(".sev").textContent = (a.severity || "alarm").toUpperCase();
    li.querySelector(".what").textContent = a.asset + " " + a.tag + " " + a.rule + (a.value !== undefined ? " = " + fmt(a.value) : "");
    li.querySelector(".since").textContent =
      a.state + " since " + a.ts.slice(11, 19) + (a.by ? " · acked by " + a.by : "") + (a.cleared ? " · cleared " + a.cleared.slice(11, 19) : "");
    ul.appendChild(li);
  }
  $("active-count").textContent = "(" + state.active.length + ")";
  const n = shown.reduce((acc, s) => acc + s.points.length, 0);
  $("status").textContent = (state.end ? "data to " + iso(state.end).slice(0, 19) + "Z · " : "no data yet · ") + n + " points · update " + state.polls;
  document.body.dataset.polls = String(state.polls);
  document.body.dataset.points = String(n);
}

async function tick() {
  try {
    if (state.series.size === 0 || state.polls % 15 === 0) await loadSeries();
    await poll();
    draw();
  } catch (e) {
    $("status").textContent = "error: " + e.message;
  }
  setTimeout(tick, POLL_MS);
}

async function start() {
  const sel = $("window");
  sel.value = String(state.windowMs);
  sel.addEventListener("change", () => {
    state.windowMs = Number(sel.value);
    for (const s of state.series.values()) { s.points = []; s.last = -Infinity; }
    draw();
  });
  try {
    await loadAssets();
  } catch (e) {
    $("status").textContent = "error: " + e.message;
  }
  tick();
}

start();

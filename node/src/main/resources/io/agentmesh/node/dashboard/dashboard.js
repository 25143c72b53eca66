// The node's dashboard: polls this node's JSON endpoints and draws them. Everything shown comes from the agent's
// state, which agents write, so text only ever enters the page through textContent and attribute setters, never as
// markup (the Content-Security-Policy forbids inline scripts as a second line of defence).
'use strict';
(() => {
  const TOKEN_KEY = 'agentmesh.token';
  const FETCH_TIMEOUT_MS = 4000;
  /** Replication lag kept per peer, one sample a second: two minutes. */
  const LAG_SAMPLES = 120;
  /** A timeline spans at least this much, so a fresh mesh does not draw one term across the whole width. */
  const MIN_SPAN_MS = 20_000;
  /** About how wide one character of an SVG label is, to leave out labels that do not fit their box. */
  const CHAR_PX = 6.6;
  const MAX_INTENT_ROWS = 15;
  const MAX_INTENT_LANES = 8;
  const MAX_TEXT_CHARS = 600;
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------ token (for nodes bound beyond loopback)

  /**
   * A `#token=...` fragment is taken into this tab's session storage and removed from the address bar; returns
   * whether there was one.
   */
  function takeTokenFromFragment() {
    const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
    if (!m) {
      return false;
    }
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
    return true;
  }

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function showLogin() {
    $('login').hidden = false;
  }

  function saveToken() {
    const value = $('token-input').value.trim();
    if (value) {
      sessionStorage.setItem(TOKEN_KEY, value);
      $('token-input').value = '';
      $('login').hidden = true;
      pollAllNow();
    }
  }

  // ------------------------------------------------------------------ fetching

  /** GET one endpoint: {status, body} (body null when not JSON); throws on a network error or timeout. */
  async function getJson(path) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), FETCH_TIMEOUT_MS);
    try {
      const headers = { Accept: 'application/json' };
      const t = token();
      if (t) {
        headers.Authorization = 'Bearer ' + t;
      }
      const r = await fetch(path, { headers, signal: ctl.signal, cache: 'no-store', credentials: 'omit' });
      if (r.status === 401) {
        showLogin();
      }
      let body = null;
      try {
        body = await r.json();
      } catch (e) {
        body = null;
      }
      return { status: r.status, body };
    } finally {
      clearTimeout(timer);
    }
  }

  const errorText = (r) => (r.body && typeof r.body.error === 'string') ? r.body.error : 'HTTP ' + r.status;

  // ------------------------------------------------------------------ DOM helpers (text only)

  function el(tag, props, ...kids) {
    const e = document.createElement(tag);
    setProps(e, props);
    for (const k of kids) {
      if (k != null) {
        e.append(k); // a string becomes a text node
      }
    }
    return e;
  }

  function svg(tag, props, ...kids) {
    const e = document.createElementNS(SVG_NS, tag);
    setProps(e, props);
    for (const k of kids) {
      if (k != null) {
        e.append(k);
      }
    }
    return e;
  }

  function setProps(e, props) {
    if (!props) {
      return;
    }
    for (const [k, v] of Object.entries(props)) {
      if (v == null) {
        continue;
      }
      if (k === 'text') {
        e.textContent = String(v);
      } else if (k === 'class') {
        e.setAttribute('class', String(v));
      } else {
        e.setAttribute(k, String(v));
      }
    }
  }

  /** An SVG tooltip: a <title> child, text only. */
  const tip = (text) => svg('title', { text });

  function pill(text, kind) {
    return el('span', { class: 'pill ' + (kind || String(text).split(' ')[0]), text });
  }

  function facts(dl, pairs) {
    dl.replaceChildren();
    for (const [k, v] of pairs) {
      if (v === undefined) {
        continue;
      }
      dl.append(el('dt', { text: k }), el('dd', null, v == null ? '—' : (v instanceof Node ? v : String(v))));
    }
  }

  function message(container, text) {
    container.replaceChildren(el('p', { class: 'muted', text }));
  }

  // ------------------------------------------------------------------ formatting

  /** The short form of a node or agent id: its prefix, the separator and 8 characters (NodeId.shortForm). */
  function short(id) {
    if (typeof id !== 'string' || id === '') {
      return '—';
    }
    const sep = id.indexOf('1');
    return id.slice(0, sep > 0 ? sep + 9 : 12);
  }

  function ago(ms) {
    if (ms == null || ms < 0) {
      return '—';
    }
    if (ms < 1000) {
      return ms + ' ms';
    }
    const s = Math.round(ms / 1000);
    if (s < 120) {
      return s + ' s';
    }
    if (s < 7200) {
      return Math.round(s / 60) + ' min';
    }
    if (s < 172800) {
      return Math.round(s / 3600) + ' h';
    }
    return Math.round(s / 86400) + ' d';
  }

  function clockTime(millis) {
    if (!millis) {
      return '—';
    }
    const d = new Date(millis);
    const sameDay = new Date().toDateString() === d.toDateString();
    return sameDay ? d.toLocaleTimeString() : d.toLocaleString();
  }

  function usd(nano) {
    if (nano == null) {
      return '—';
    }
    const v = Number(nano) / 1e9;
    return '$' + (v !== 0 && Math.abs(v) < 0.01 ? v.toFixed(6) : v.toFixed(2));
  }

  function clip(text, max) {
    const s = String(text == null ? '' : text);
    return s.length > max ? s.slice(0, max) + '…' : s;
  }

  /** A stable colour per node, so one node keeps its colour across every chart. */
  function hue(id) {
    let h = 0;
    for (const c of String(id)) {
      h = (h * 31 + c.codePointAt(0)) % 360;
    }
    return 'hsl(' + h + ', 58%, 50%)';
  }

  /**
   * The drawing width of a chart: its box's width in CSS pixels, so labels keep their size from a phone to a wide
   * screen (the chart is drawn again on every poll, so a resize or a turned phone catches up within a second).
   */
  function widthOf(box, fallback) {
    const w = Math.round(box.clientWidth);
    return w > 0 ? w : fallback;
  }

  function scale(fromLo, fromHi, toLo, toHi) {
    const span = Math.max(1, fromHi - fromLo);
    return (v) => toLo + (v - fromLo) * (toHi - toLo) / span;
  }

  // ------------------------------------------------------------------ what the page knows

  const view = {
    status: null,
    /** This node's clock minus the browser's, from the newest status: ages shown are the node's. */
    skewMs: 0,
    lag: new Map(),
    lagSampledFrom: null,
    backup: null,
    drill: null,
  };

  const nodeNow = () => Date.now() + view.skewMs;

  // ------------------------------------------------------------------ status: header, leader, mesh, lag, agent

  function renderStatus(r) {
    if (r.status !== 200 || !r.body) {
      statusDown(errorText(r));
      return;
    }
    const s = r.body;
    view.status = s;
    if (typeof s.nowMillis === 'number') {
      view.skewMs = s.nowMillis - Date.now();
    }
    $('banner').hidden = true;
    document.querySelectorAll('.card.stale').forEach((c) => c.classList.remove('stale'));
    const fresh = $('freshness');
    fresh.classList.remove('stale');
    fresh.textContent = 'live · updated ' + new Date().toLocaleTimeString();

    $('agent-id').textContent = short(s.agent);
    $('agent-id').title = s.agent || '';
    $('self-id').textContent = short(s.node);
    $('self-id').title = s.node || '';
    const c = s.consensus || null;
    const selfRole = $('self-role');
    selfRole.textContent = s.role + (c ? ' · ' + c.role : '');
    selfRole.className = 'pill ' + (c ? c.role : '');

    renderLeader(s, c);
    renderMesh(s, c);
    renderLag(s);
    renderAgent(s, c);
    renderBackups();
  }

  /** The node stopped answering: say since when, and grey out what is now old. */
  function statusDown(reason) {
    const fresh = $('freshness');
    if (!fresh.classList.contains('stale')) {
      fresh.classList.add('stale');
      fresh.textContent = 'node not answering since ' + new Date().toLocaleTimeString();
      document.querySelectorAll('.card').forEach((c) => c.classList.add('stale'));
    }
    const banner = $('banner');
    banner.hidden = false;
    banner.textContent = 'This node does not answer /v1/status: ' + reason
      + '. What you see is what it said last.';
  }

  function renderLeader(s, c) {
    const leaderEl = $('leader');
    if (!c) {
      leaderEl.textContent = 'none';
      leaderEl.title = '';
      $('term').textContent = '—';
      $('consensus-role').textContent = 'this node takes no part in consensus';
      $('leader-timeline').replaceChildren();
      $('leader-changes').replaceChildren();
      return;
    }
    leaderEl.textContent = c.leader ? short(c.leader) : 'none (election)';
    leaderEl.title = c.leader || '';
    $('term').textContent = String(c.term);
    $('consensus-role').textContent = c.leader && c.leader === s.node ? '(this node leads)' : '';
    const note = $('consensus-note');
    note.hidden = !c.note;
    note.textContent = c.note || '';
    const history = Array.isArray(c.leaderHistory) ? c.leaderHistory : [];
    drawLeaderTimeline(history, s.nowMillis || nodeNow());
    const list = $('leader-changes');
    list.replaceChildren();
    for (let i = history.length - 1; i >= 0; i--) {
      const h = history[i];
      const until = i + 1 < history.length ? history[i + 1].sinceMillis : null;
      const who = h.leader ? short(h.leader) : 'no leader (election)';
      const item = el('li', null, 'term ' + h.term + ': ', el('strong', { text: who, title: h.leader || '' }),
        ' from ' + clockTime(h.sinceMillis) + (until ? ', for ' + ago(until - h.sinceMillis) : ' (now)'));
      list.append(item);
    }
  }

  function drawLeaderTimeline(history, now) {
    const box = $('leader-timeline');
    if (history.length === 0) {
      message(box, 'No leader seen yet.');
      return;
    }
    const W = widthOf(box, 1000);
    const H = 58;
    const t0 = Math.min(history[0].sinceMillis, now - MIN_SPAN_MS);
    const x = scale(t0, now, 0, W);
    const g = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'leader timeline' });
    g.append(svg('line', { x1: 0, y1: 38, x2: W, y2: 38, class: 'axis' }));
    history.forEach((h, i) => {
      const from = Math.max(h.sinceMillis, t0);
      const to = i + 1 < history.length ? history[i + 1].sinceMillis : now;
      const x1 = x(from);
      const w = Math.max(2, x(to) - x1);
      const label = (h.leader ? short(h.leader) : 'no leader') + ' · term ' + h.term;
      const rect = svg('rect', { x: x1, y: 6, width: w, height: 28, rx: 3 },
        tip(label + ', from ' + clockTime(h.sinceMillis) + ' for ' + ago(to - h.sinceMillis)));
      if (h.leader) {
        rect.setAttribute('fill', hue(h.leader));
      } else {
        rect.setAttribute('class', 'none');
      }
      g.append(rect);
      const fits = [label, short(h.leader || ''), 'term ' + h.term].find((t) => t.length * CHAR_PX + 10 < w);
      if (fits) {
        g.append(svg('text', { x: x1 + 5, y: 24, text: fits }));
      }
    });
    g.append(svg('text', { x: 0, y: 53, class: 'muted', text: clockTime(t0) }));
    g.append(svg('text', { x: W, y: 53, class: 'muted', 'text-anchor': 'end', text: 'now ' + clockTime(now) }));
    box.replaceChildren(g);
  }

  function linkKind(p) {
    if (p.link === 'removed') {
      return 'removed';
    }
    if (p.link !== 'up') {
      return 'down';
    }
    return p.relayed ? 'relayed' : 'up';
  }

  function renderMesh(s, c) {
    const peers = Array.isArray(s.peers) ? s.peers : [];
    const leader = c ? c.leader : null;
    const nodes = [{ node: s.node, self: true }].concat(peers);
    const W = 360;
    const H = 300;
    const cx = W / 2;
    const cy = H / 2 - 6;
    const radius = nodes.length > 1 ? 104 : 0;
    const pos = nodes.map((n, i) => {
      const a = -Math.PI / 2 + (2 * Math.PI * i) / nodes.length;
      return { x: cx + radius * Math.cos(a), y: cy + radius * Math.sin(a) };
    });
    const g = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'nodes and links' });
    peers.forEach((p, i) => {
      const kind = linkKind(p);
      const a = pos[0];
      const b = pos[i + 1];
      g.append(svg('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: 'edge-' + (kind === 'removed' ? 'down' : kind) },
        tip(short(p.node) + ': ' + p.link + (p.relayed ? ' (through a relay)' : ''))));
      if (p.roundTripMicros >= 0 && kind !== 'down') {
        g.append(svg('text', { x: (a.x + b.x) / 2 + 4, y: (a.y + b.y) / 2 - 4, class: 'muted',
          text: (p.roundTripMicros / 1000).toFixed(1) + ' ms' }));
      }
    });
    nodes.forEach((n, i) => {
      const p = pos[i];
      if (n.node && n.node === leader) {
        g.append(svg('circle', { cx: p.x, cy: p.y, r: 25, class: 'ring' }, tip('the leader')));
      }
      const down = !n.self && linkKind(n) !== 'up' && linkKind(n) !== 'relayed';
      g.append(svg('circle', { cx: p.x, cy: p.y, r: 18, fill: hue(n.node), opacity: down ? 0.35 : 1 },
        tip((n.node || '') + (n.role ? ' (' + n.role + ')' : ''))));
      const below = p.y > cy + 1 || nodes.length === 1;
      const ty = below ? p.y + 36 : p.y - 30;
      g.append(svg('text', { x: p.x, y: ty, 'text-anchor': 'middle', text: short(n.node) }));
      if (n.self) {
        g.append(svg('text', { x: p.x, y: ty + (below ? 13 : -13), 'text-anchor': 'middle', class: 'muted',
          text: 'this node' }));
      }
    });
    $('mesh-graph').replaceChildren(g);

    const body = $('peers').tBodies[0];
    body.replaceChildren();
    if (peers.length === 0) {
      body.append(el('tr', null, el('td', { colspan: 5, class: 'muted', text: 'No peers enrolled.' })));
    }
    for (const p of peers) {
      const kind = linkKind(p);
      body.append(el('tr', null,
        el('td', null, el('code', { text: short(p.node), title: p.node }), ' ', el('span', { class: 'muted small', text: p.role })),
        el('td', null, pill(kind === 'relayed' ? 'relayed' : kind, kind === 'relayed' ? 'warn' : kind),
          p.link !== kind && p.link !== 'up' ? el('div', { class: 'small muted', text: p.link.replace(/^down /, '') }) : null),
        el('td', { class: 'num', text: p.roundTripMicros >= 0 ? (p.roundTripMicros / 1000).toFixed(1) + ' ms' : '—' }),
        el('td', { class: 'num opt', text: p.lastContactMsAgo >= 0 ? ago(p.lastContactMsAgo) + ' ago' : 'never' }),
        el('td', { text: p.changesBehind >= 0 ? String(p.changesBehind) : '—' })));
    }
  }

  function renderLag(s) {
    const peers = Array.isArray(s.peers) ? s.peers : [];
    const seen = new Set();
    const fresh = view.lagSampledFrom !== s; // a redraw after a resize adds no sample
    view.lagSampledFrom = s;
    for (const p of peers) {
      seen.add(p.node);
      const series = view.lag.get(p.node) || [];
      if (fresh) {
        series.push(p.changesBehind >= 0 ? p.changesBehind : null);
      }
      while (series.length > LAG_SAMPLES) {
        series.shift();
      }
      view.lag.set(p.node, series);
    }
    for (const id of [...view.lag.keys()]) {
      if (!seen.has(id)) {
        view.lag.delete(id);
      }
    }
    const box = $('lag-chart');
    const W = widthOf(box, 600);
    const H = 110;
    const top = 10;
    const bottom = H - 8;
    let max = 1;
    view.lag.forEach((series) => series.forEach((v) => { if (v != null && v > max) max = v; }));
    const x = scale(0, LAG_SAMPLES - 1, 40, W - 4);
    const y = scale(0, max, bottom, top);
    const g = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'replication lag' });
    g.append(svg('line', { x1: 40, y1: bottom, x2: W, y2: bottom, class: 'axis' }));
    g.append(svg('text', { x: 34, y: top + 8, 'text-anchor': 'end', class: 'muted', text: String(max) }));
    g.append(svg('text', { x: 34, y: bottom, 'text-anchor': 'end', class: 'muted', text: '0' }));
    g.append(svg('text', { x: W - 4, y: top + 8, 'text-anchor': 'end', class: 'muted',
      text: ago(LAG_SAMPLES * 1000) + ' until now' }));
    const legend = el('div', { class: 'legend' });
    view.lag.forEach((series, id) => {
      const offset = LAG_SAMPLES - series.length;
      const points = [];
      series.forEach((v, i) => {
        if (v != null) {
          points.push(x(offset + i).toFixed(1) + ',' + y(v).toFixed(1));
        }
      });
      if (points.length > 0) {
        g.append(svg('polyline', { points: points.join(' '), fill: 'none', stroke: hue(id), 'stroke-width': 2 },
          tip(short(id))));
      }
      const last = series[series.length - 1];
      const swatch = el('span', { class: 'dot' });
      swatch.style.background = hue(id); // CSSOM, which the policy allows, unlike a style attribute
      legend.append(el('span', null, swatch, short(id) + ': ' + (last == null ? '—' : last + ' behind')));
    });
    box.replaceChildren(g, legend);

    const rep = s.replication || {};
    facts($('replication-facts'), [
      ['changes here', s.changes],
      ['sent / applied', rep.changesSent + ' / ' + rep.changesApplied],
      ['rejected', rep.rejected],
      ['majority writes waiting', rep.majorityWritesWaiting],
      ['applied Raft index', s.consensus ? s.consensus.appliedIndex : undefined],
    ]);
  }

  function renderAgent(s, c) {
    const a = s.agentProcess;
    const dl = $('agent-facts');
    const out = $('agent-output');
    if (!a) {
      facts(dl, [['agent', 'none hosted here (node run was started without an agent command)']]);
      out.textContent = '';
      return;
    }
    const pairs = [
      ['state', pill(a.state)],
      ['pid', a.pid],
      ['fence', a.fence],
      ['started', a.startedAt ? clockTime(Date.parse(a.startedAt)) : null],
      ['restarts', a.restarts],
      ['last exit code', a.lastExitCode],
      ['last stop', a.lastStopReason],
      ['hand-overs', a.leadershipHandOvers],
      ['newest run', a.newestFence ? a.newestFence.fence + ' on ' + short(a.newestFence.node) : null],
      ['command', Array.isArray(a.command) ? a.command.join(' ') : a.command],
    ];
    if (a.crashLoop) {
      pairs.splice(1, 0, ['crash loop', a.crashLoop]);
    }
    if (c && c.leader && c.leader !== s.node && a.state !== 'running') {
      pairs.push(['where', 'the agent runs on the leader ' + short(c.leader) + '; its own dashboard shows its output']);
    }
    facts(dl, pairs);
    const lines = Array.isArray(a.lastLines) ? a.lastLines : [];
    out.textContent = lines.length ? lines.join('\n') : '(no output yet)';
  }

  // ------------------------------------------------------------------ memory

  function renderMemory(r) {
    const list = $('memory-list');
    if (r.status !== 200 || !r.body) {
      list.replaceChildren(el('li', { class: 'muted', text: errorText(r) }));
      return;
    }
    const entries = Array.isArray(r.body.entries) ? r.body.entries.slice().reverse() : [];
    list.replaceChildren();
    if (entries.length === 0) {
      list.append(el('li', { class: 'muted', text: 'No memory entries yet.' }));
    }
    for (const m of entries) {
      const meta = el('div', { class: 'meta' }, clockTime(m.timeMillis) + ' · ' + short(m.author) + ' · ' + m.kind);
      for (const t of (Array.isArray(m.tags) ? m.tags : [])) {
        meta.append(el('span', { class: 'tag', text: clip(t, 40) }));
      }
      list.append(el('li', null, meta, el('div', { class: 'text', text: clip(m.text, MAX_TEXT_CHARS) })));
    }
  }

  // ------------------------------------------------------------------ intents

  function renderIntents(r) {
    const box = $('intent-timeline');
    const body = $('intent-rows').tBodies[0];
    if (r.status !== 200 || !r.body) {
      message(box, errorText(r));
      body.replaceChildren();
      return;
    }
    const items = Array.isArray(r.body.intents) ? r.body.intents : [];
    drawIntentTimeline(box, items);
    body.replaceChildren();
    if (items.length === 0) {
      body.append(el('tr', null, el('td', { colspan: 6, class: 'muted', text: 'No intents yet.' })));
    }
    for (const it of items.slice(-MAX_INTENT_ROWS).reverse()) {
      const i = it.intent || {};
      const o = it.outcome;
      body.append(el('tr', null,
        el('td', { text: clockTime(i.requestedMillis) }),
        el('td', { text: i.kind }),
        el('td', { class: 'opt' }, el('code', { text: clip(i.id, 14), title: i.id })),
        el('td', null, o ? pill(o.status) : pill('pending', 'idle')),
        el('td', { class: 'opt' }, o ? el('code', { text: short(o.performedBy), title: o.performedBy }) : '—'),
        el('td', { text: o ? clip(o.result, 140) : '', title: o ? clip(o.result, 2000) : '' })));
    }
  }

  function drawIntentTimeline(box, items) {
    if (items.length === 0) {
      box.replaceChildren();
      return;
    }
    const now = nodeNow();
    let t0 = now - MIN_SPAN_MS;
    const kinds = [];
    for (const it of items) {
      const i = it.intent || {};
      t0 = Math.min(t0, i.requestedMillis);
      if (!kinds.includes(i.kind)) {
        kinds.push(i.kind);
      }
    }
    kinds.sort();
    const lanes = kinds.slice(0, MAX_INTENT_LANES);
    const laneOf = (kind) => {
      const k = lanes.indexOf(kind);
      return k >= 0 ? k : lanes.length; // the rest share one lane
    };
    const laneCount = lanes.length + (kinds.length > lanes.length ? 1 : 0);
    const W = widthOf(box, 1000);
    const left = 90;
    const laneH = 24;
    const H = 12 + laneCount * laneH + 22;
    const x = scale(t0, now, left, W - 8);
    const g = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'intents over time' });
    for (let k = 0; k < laneCount; k++) {
      const yy = 12 + k * laneH + laneH / 2;
      g.append(svg('line', { x1: left, y1: yy, x2: W, y2: yy, class: 'axis' }));
      g.append(svg('text', { x: left - 6, y: yy + 4, 'text-anchor': 'end', text: clip(k < lanes.length ? lanes[k] : 'other', 12) }));
    }
    for (const it of items) {
      const i = it.intent || {};
      const o = it.outcome;
      const yy = 12 + laneOf(i.kind) * laneH + laneH / 2;
      const x1 = x(i.requestedMillis);
      const status = o ? o.status : 'pending';
      const cls = ['succeeded', 'failed', 'uncertain'].includes(status) ? status : 'pending';
      const end = o && o.completedMillis ? x(Math.max(o.completedMillis, i.requestedMillis)) : x(now);
      const label = i.kind + ' ' + i.id + ': ' + status + (o ? ' after ' + ago(o.completedMillis - i.requestedMillis)
        + ' by ' + short(o.performedBy) : ', waiting ' + ago(now - i.requestedMillis));
      g.append(svg('line', { x1, y1: yy, x2: end, y2: yy, class: cls, 'stroke-width': 3,
        'stroke-dasharray': o ? null : '3 3' }));
      g.append(svg('circle', { cx: o ? end : x1, cy: yy, r: 5, class: cls }, tip(label)));
    }
    g.append(svg('text', { x: left, y: H - 4, class: 'muted', text: clockTime(t0) }));
    g.append(svg('text', { x: W - 8, y: H - 4, 'text-anchor': 'end', class: 'muted', text: 'now' }));
    box.replaceChildren(g);
  }

  // ------------------------------------------------------------------ LLM spend

  function renderLlmStatus(r) {
    const dl = $('llm-facts');
    const targets = $('llm-targets').tBodies[0];
    const budgets = $('llm-budgets');
    if (r.status !== 200 || !r.body) {
      facts(dl, [['gateway', r.status === 404 ? 'this node keeps no LLM ledger' : errorText(r)]]);
      targets.replaceChildren();
      budgets.replaceChildren();
      return;
    }
    const l = r.body;
    const today = l.today || {};
    facts(dl, [
      ['gateway', l.configured ? (l.serving ? 'serving (this node leads)' : 'configured; the leader serves calls')
        : 'no providers configured (llm.json)'],
      ['today (' + (today.day || 'UTC') + ')', usd(today.chargedNanoUsd)
        + (today.inDoubtNanoUsd ? ' + ' + usd(today.inDoubtNanoUsd) + ' in doubt' : '')],
      ['calls today', (today.callsAnswered || 0) + ' answered, ' + (today.callsFailed || 0) + ' failed'],
      ['tokens today', (today.inputTokens || 0) + ' in, ' + (today.outputTokens || 0) + ' out'],
      ['in flight', (l.inFlight || 0) + ' of ' + (l.maxInFlight || 0)],
      ['reserved', l.ledger ? usd(l.ledger.reservedNanoUsd) : null],
    ]);
    budgets.replaceChildren();
    for (const b of (Array.isArray(l.budgets) ? l.budgets : [])) {
      const used = (b.spentNanoUsd || 0) + (b.reservedNanoUsd || 0);
      const pct = b.limitNanoUsd > 0 ? Math.min(100, (100 * used) / b.limitNanoUsd) : 0;
      const fill = el('span', { class: pct >= 100 ? 'over' : null });
      fill.style.width = pct.toFixed(1) + '%';
      budgets.append(el('div', { class: 'small' }, 'budget ' + b.scope + ' (' + b.period + ', ' + b.enforcement + '): '
        + usd(used) + ' of ' + usd(b.limitNanoUsd)), el('div', { class: 'bar' }, fill));
    }
    targets.replaceChildren();
    for (const t of (Array.isArray(l.targets) ? l.targets : [])) {
      const recent = t.recent || {};
      targets.append(el('tr', null,
        el('td', { text: t.target }),
        el('td', null, pill(t.health, t.available ? 'ok' : 'bad')),
        el('td', { text: t.circuit == null ? '—' : t.circuit }),
        el('td', { text: (recent.errorRatePercent == null ? '—' : recent.errorRatePercent + '%'),
          title: recent.lastError ? clip(recent.lastError, 500) : '' })));
    }
  }

  function renderLlmCosts(r) {
    const box = $('llm-days');
    if (r.status !== 200 || !r.body || !Array.isArray(r.body.rows)) {
      box.replaceChildren();
      return;
    }
    const perDay = new Map();
    const from = new Date(r.body.from + 'T00:00:00Z');
    for (let d = 0; d < (r.body.days || 7); d++) {
      perDay.set(new Date(from.getTime() + d * 86400000).toISOString().slice(0, 10), 0);
    }
    for (const row of r.body.rows) {
      perDay.set(row.day, (perDay.get(row.day) || 0) + (row.chargedNanoUsd || 0));
    }
    const days = [...perDay.entries()];
    if (days.every(([, v]) => v === 0)) {
      message(box, 'No LLM spend in the last ' + days.length + ' days.');
      return;
    }
    const W = widthOf(box, 600);
    const H = 110;
    const max = Math.max(1, ...days.map(([, v]) => v));
    const bw = (W - 10) / days.length;
    const g = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'LLM spend per day' });
    days.forEach(([day, v], i) => {
      const h = (v / max) * (H - 40);
      const xx = 5 + i * bw;
      g.append(svg('rect', { x: xx + 4, y: H - 22 - h, width: bw - 8, height: Math.max(1, h), class: 'spend' },
        tip(day + ': ' + usd(v))));
      g.append(svg('text', { x: xx + bw / 2, y: H - 8, 'text-anchor': 'middle', class: 'muted', text: day.slice(5) }));
      if (v > 0) {
        g.append(svg('text', { x: xx + bw / 2, y: H - 26 - h, 'text-anchor': 'middle', text: usd(v) }));
      }
    });
    box.replaceChildren(g);
  }

  // ------------------------------------------------------------------ backups and drills

  function takeBackup(r) {
    view.backup = r;
    renderBackups();
  }

  function takeDrill(r) {
    view.drill = r;
    renderBackups();
  }

  function renderBackups() {
    const body = $('backup-rows').tBodies[0];
    const note = $('backup-note');
    const b = view.backup;
    const d = view.drill;
    if (!b) {
      return;
    }
    body.replaceChildren();
    if (b.status !== 200 || !b.body) {
      note.textContent = errorText(b);
      return;
    }
    const targets = Array.isArray(b.body.targets) ? b.body.targets : [];
    const drills = d && d.status === 200 && d.body ? d.body : {};
    const period = b.body.scheduleEveryMs;
    const now = nodeNow();
    if (targets.length === 0) {
      body.append(el('tr', null, el('td', { colspan: 4, class: 'muted', text: 'No backup targets (backup.json).' })));
    }
    for (const t of targets) {
      let backupCell;
      if (t.ok == null) {
        backupCell = el('td', null, pill('not run here', 'idle'));
      } else {
        const age = now - t.finishedAtMs;
        const stale = period && age > 2 * period;
        backupCell = el('td', null, pill(!t.ok ? 'failed' : stale ? 'stale' : 'ok', !t.ok ? 'bad' : stale ? 'warn' : 'ok'),
          ' ' + ago(age) + ' ago', t.error ? el('div', { class: 'small muted', text: clip(t.error, 300) }) : null);
      }
      const drill = drills[t.target];
      let drillCell;
      if (!drill) {
        drillCell = el('td', { text: '—' });
      } else {
        const last = drill.last;
        drillCell = el('td', null, pill(drill.state), last ? ' ' + ago(now - last.atMs) + ' ago' : '',
          last && last.recoveryMs != null ? el('div', { class: 'small muted', text: 'restored in ' + ago(last.recoveryMs) }) : null,
          last && last.error ? el('div', { class: 'small muted', text: clip(last.error, 300) }) : null);
      }
      body.append(el('tr', null,
        el('td', null, el('strong', { text: t.target }), el('div', { class: 'small muted', text: clip(t.where, 80) })),
        backupCell,
        el('td', { text: t.manifest != null ? '#' + t.manifest : (t.remembered != null ? '#' + t.remembered + ' (remembered)' : '—') }),
        drillCell));
    }
    note.textContent = (period ? 'Backups every ' + ago(period) + '; ' : 'No backup schedule; ')
      + 'they run on the leader, so a follower shows only the runs it made while it led.'
      + (b.body.running ? ' A backup is running now.' : '');
  }

  // ------------------------------------------------------------------ wallet (issue 14): shown only when served

  function renderWallet(r) {
    const section = $('wallet');
    if (r.status !== 200 || !r.body || typeof r.body !== 'object') {
      section.hidden = true;
      return;
    }
    section.hidden = false;
    const dl = el('dl', { class: 'facts' });
    const pairs = [];
    const walk = (prefix, value, depth) => {
      if (value != null && typeof value === 'object' && depth < 3 && pairs.length < 60) {
        for (const [k, v] of Object.entries(value)) {
          walk(prefix ? prefix + '.' + k : k, v, depth + 1);
        }
      } else if (pairs.length < 60) {
        pairs.push([prefix, clip(typeof value === 'object' ? JSON.stringify(value) : value, 300)]);
      }
    };
    walk('', r.body, 0);
    facts(dl, pairs);
    $('wallet-body').replaceChildren(dl);
  }

  // ------------------------------------------------------------------ polling

  const sources = [
    { path: '/v1/status', everyMs: 1000, render: renderStatus, failed: (e) => statusDown(String(e.message || e)) },
    { path: '/v1/memory?limit=25', everyMs: 2000, render: renderMemory },
    { path: '/v1/intents?limit=100', everyMs: 2000, render: renderIntents },
    { path: '/v1/llm/status', everyMs: 5000, render: renderLlmStatus },
    { path: '/v1/llm/costs?days=7', everyMs: 15000, render: renderLlmCosts },
    { path: '/v1/backup', everyMs: 5000, render: takeBackup },
    { path: '/v1/drill', everyMs: 5000, render: takeDrill },
    { path: '/v1/wallet', everyMs: 10000, render: renderWallet },
  ];

  /** One request per source at a time; a hidden tab polls five times less often. */
  function start(src) {
    const run = async () => {
      src.timer = null;
      try {
        src.last = await getJson(src.path);
        src.render(src.last);
      } catch (e) {
        if (src.failed) {
          src.failed(e);
        }
      }
      src.timer = setTimeout(run, document.hidden ? src.everyMs * 5 : src.everyMs);
    };
    src.run = run;
    run();
  }

  function pollAllNow() {
    for (const src of sources) {
      if (src.timer) {
        clearTimeout(src.timer);
        src.run();
      }
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    takeTokenFromFragment();
    // A token pasted into the address bar of an open page arrives as a fragment change, without a reload.
    window.addEventListener('hashchange', () => {
      if (takeTokenFromFragment()) {
        $('login').hidden = true;
        pollAllNow();
      }
    });
    $('token-save').addEventListener('click', saveToken);
    $('token-input').addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        saveToken();
      }
    });
    sources.forEach(start);
    // Charts are drawn at their box's width: draw them again at once when it changes (a turned phone).
    let resizeTimer = null;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => sources.forEach((src) => src.last && src.render(src.last)), 150);
    });
  });
})();

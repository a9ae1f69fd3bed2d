// groupcast live dashboard: polls /admin/api/nodes every second and redraws. No libraries, no CDN.
(function () {
  'use strict';
  const POLL_MS = 1000;
  const HISTORY = 120;            // points in the rate chart: two minutes
  const rates = [];               // {at, published, delivered} per poll, cluster-wide per second
  let previous = null;            // the last answer, for rates

  const $ = (sel) => document.querySelector(sel);
  const fmt = (n) => n == null ? '–' : (Math.round(n * 10) / 10).toLocaleString();
  const ago = (ms) => {
    if (!ms) return '–';
    const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    return s < 60 ? s + ' s ago' : Math.round(s / 60) + ' min ago';
  };
  function cell(text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }
  function fill(tbody, rows, columns, empty) {
    tbody.replaceChildren();
    if (rows.length === 0) {
      const tr = document.createElement('tr');
      const td = cell(empty, 'empty');
      td.colSpan = columns;
      tr.appendChild(td);
      tbody.appendChild(tr);
      return;
    }
    rows.forEach((cells) => {
      const tr = document.createElement('tr');
      cells.forEach((c) => tr.appendChild(c));
      tbody.appendChild(tr);
    });
  }

  function perSecond(now, before, key, seconds) {
    if (!before || seconds <= 0) return null;
    return Math.max(0, (now[key] - before[key]) / seconds);
  }

  function render(data) {
    const nodes = data.nodes;
    const seconds = previous ? (data.at - previous.at) / 1000 : 0;
    const before = {};
    (previous ? previous.nodes : []).forEach((n) => { before[n.id] = n; });

    let connections = 0, published = 0, delivered = 0, ready = 0;
    nodes.forEach((n) => {
      connections += n.connections || 0;
      if (n.ready) ready++;
      const b = before[n.id];
      n.deliveredRate = perSecond(n, b, 'delivered', seconds);
      n.publishedRate = perSecond(n, b, 'published', seconds);
      published += n.publishedRate || 0;
      delivered += n.deliveredRate || 0;
    });
    $('#summary').textContent = `${nodes.length} node${nodes.length === 1 ? '' : 's'} (${ready} ready), `
      + `${connections.toLocaleString()} connection${connections === 1 ? '' : 's'}`;
    if (previous) {
      rates.push({ at: data.at, published, delivered });
      if (rates.length > HISTORY) rates.shift();
    }

    fill($('#nodes tbody'), nodes.map((n) => {
      const t = n.transports || {};
      return [cell(n.id), cell(n.http || ''), cell((n.roles || []).join(', ')),
        cell(n.reachable === false ? 'unreachable' : n.status, n.ready ? 'up' : 'down'),
        cell(fmt(n.connections), 'n'), cell(`${t.ws || 0} / ${t.sockjs || 0} / ${t.eventbus || 0}`, 'n'),
        cell(fmt(n.groups), 'n'), cell(fmt(n.members), 'n'), cell(fmt(n.deliveredRate), 'n')];
    }), 9, 'no nodes');

    // a group's members add up over nodes; its messages are fanned out on every node that has members
    const groups = {};
    nodes.forEach((n) => (n.topGroups || []).forEach((g) => {
      const key = g.group;
      const entry = groups[key] || (groups[key] = { group: key, members: 0, rate: null, nodes: [], lastAt: 0 });
      entry.members += g.members;
      entry.nodes.push(n.id);
      entry.lastAt = Math.max(entry.lastAt, g.lastAt || 0);
      const b = before[n.id] && (before[n.id].topGroups || []).find((x) => x.group === key);
      if (b && seconds > 0) entry.rate = Math.max(entry.rate || 0, (g.messages - b.messages) / seconds);
    }));
    const busiest = Object.values(groups)
      .sort((a, b) => (b.members - a.members) || ((b.rate || 0) - (a.rate || 0))).slice(0, 20);
    fill($('#groups tbody'), busiest.map((g) => [cell(g.group), cell(fmt(g.members), 'n'), cell(fmt(g.rate), 'n'),
      cell(g.nodes.join(', ')), cell(ago(g.lastAt))]), 5, 'no groups with members');

    const backends = [];
    nodes.forEach((n) => (n.backends || []).forEach((b) => {
      const pb = before[n.id] && (before[n.id].backends || []).find((x) => x.address === b.address);
      backends.push([cell(n.id), cell(b.address), cell(b.up ? 'up' : 'down', b.up ? 'up' : 'down'),
        cell(fmt(b.tunnels), 'n'), cell(fmt(b.active), 'n'),
        cell(fmt(pb && seconds > 0 ? Math.max(0, (b.requests - pb.requests) / seconds) : null), 'n')]);
    }));
    fill($('#backends tbody'), backends, 6, 'no proxy role in this cluster');

    const errors = [];
    nodes.forEach((n) => (n.errors || []).forEach((e) => errors.push({ node: n.id, ...e })));
    errors.sort((a, b) => b.at - a.at);
    fill($('#errors tbody'), errors.slice(0, 30).map((e) => [cell(new Date(e.at).toLocaleTimeString()),
      cell(e.node), cell(e.code), cell(e.message)]), 4, 'no errors');

    drawBars($('#connections-chart'), nodes.map((n) => ({ label: n.id, value: n.connections || 0 })));
    drawLines($('#rate-chart'), rates);
    previous = data;
  }

  function setup(canvas) {
    const ctx = canvas.getContext('2d');
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.font = '12px system-ui, sans-serif';
    return ctx;
  }

  function niceMax(v) {
    if (v <= 0) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v);
  }

  function drawBars(canvas, bars) {
    const ctx = setup(canvas);
    const left = 44, bottom = canvas.height - 24, top = 10, width = canvas.width - left - 10;
    const max = niceMax(Math.max(0, ...bars.map((b) => b.value)));
    axis(ctx, left, top, bottom, canvas.width - 10, max);
    const slot = bars.length ? width / bars.length : width;
    bars.forEach((b, i) => {
      const h = (bottom - top) * b.value / max;
      const x = left + i * slot + slot * 0.2;
      ctx.fillStyle = '#58a6ff';
      ctx.fillRect(x, bottom - h, slot * 0.6, h);
      ctx.fillStyle = '#d6dde4';
      ctx.textAlign = 'center';
      ctx.fillText(String(b.value), x + slot * 0.3, Math.max(top + 10, bottom - h - 4));
      ctx.fillStyle = '#8b97a3';
      ctx.fillText(b.label, x + slot * 0.3, bottom + 15);
    });
  }

  function drawLines(canvas, points) {
    const ctx = setup(canvas);
    const left = 44, bottom = canvas.height - 24, top = 10, right = canvas.width - 10;
    const max = niceMax(Math.max(0, ...points.map((p) => Math.max(p.published, p.delivered))));
    axis(ctx, left, top, bottom, right, max);
    const x = (i) => left + (right - left) * i / (HISTORY - 1);
    const y = (v) => bottom - (bottom - top) * v / max;
    [['published', '#58a6ff'], ['delivered', '#d29922']].forEach(([key, color]) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.beginPath();
      points.forEach((p, i) => {
        const px = x(HISTORY - points.length + i);
        if (i === 0) ctx.moveTo(px, y(p[key])); else ctx.lineTo(px, y(p[key]));
      });
      ctx.stroke();
    });
    ctx.fillStyle = '#8b97a3';
    ctx.textAlign = 'right';
    ctx.fillText('now', right, bottom + 15);
    ctx.textAlign = 'left';
    ctx.fillText('-2 min', left, bottom + 15);
  }

  function axis(ctx, left, top, bottom, right, max) {
    ctx.strokeStyle = '#2a323c';
    ctx.fillStyle = '#8b97a3';
    ctx.textAlign = 'right';
    [0, 0.5, 1].forEach((f) => {
      const yy = bottom - (bottom - top) * f;
      ctx.beginPath();
      ctx.moveTo(left, yy);
      ctx.lineTo(right, yy);
      ctx.stroke();
      ctx.fillText(fmt(max * f), left - 6, yy + 4);
    });
  }

  async function poll() {
    const status = $('#status');
    try {
      const response = await fetch('api/nodes', { cache: 'no-store', credentials: 'same-origin' });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      render(await response.json());
      status.textContent = 'updated ' + new Date().toLocaleTimeString();
      status.className = 'status';
      document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
    } catch (e) {
      status.textContent = 'not updating: ' + e.message;
      status.className = 'status stale';
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }
  poll();
})();

// The tables of rooms-vs-socketio.sh and fanout-vs-jetstream.sh, from their rounds file (one JSON row
// per run: {round, who, shape, serverCpuSec, result: the load generator's --json line}).
//   [MAIN=who] node compare.mjs rooms|jetstream FILE.jsonl [ROUND]
// MAIN names the contender whose ratio to the other is shown (groupcast unless set; rooms-ab.sh
// compares two groupcast clusters).
// With ROUND: that round's figures for each contender and the ratio groupcast/other, per shape.
// Without: per shape, each contender's median over the rounds and the median of the per-round ratios
// (the ratio of each round, where both ran back to back, then their median).
import { readFileSync } from 'node:fs';

const [kind, file, roundArg] = process.argv.slice(2);
const cpuSec = (x) => x.result.serverCpuMs / 1000;
const lat = (k) => (x) => x.result.latencyMs[k];
const METRICS = {
  rooms: [
    { name: 'CPU/msg us', of: (x) => cpuSec(x) * 1e6 / x.result.acked, digits: 1 },
    { name: 'kernel %', of: (x) => 100 * x.result.serverSystemCpuMs / x.result.serverCpuMs, digits: 1 },
    { name: 'msg/s', of: (x) => x.result.acked * 1000 / x.result.elapsedMs, digits: 0 },
    { name: 'p50 ms', of: lat('p50'), digits: 2 },
    { name: 'p99 ms', of: lat('p99'), digits: 2 },
    { name: 'max ms', of: lat('max'), digits: 1 },
    { name: 'lost', of: (x) => x.result.lost, digits: 0 },
  ],
  jetstream: [
    { name: 'deliv/CPU-s', of: (x) => x.result.deliveries / cpuSec(x), digits: 0 },
    { name: 'kernel %', of: (x) => 100 * x.result.serverSystemCpuMs / x.result.serverCpuMs, digits: 1 },
    { name: 'deliv/s', of: (x) => x.result.deliveriesPerSec, digits: 0 },
    { name: 'p50 ms', of: lat('p50'), digits: 2 },
    { name: 'p99 ms', of: lat('p99'), digits: 2 },
    { name: 'max ms', of: lat('max'), digits: 1 },
    { name: 'lost', of: (x) => x.result.lost, digits: 0 },
  ],
};
const metrics = METRICS[kind];
if (!metrics || !file) {
  console.error('usage: node compare.mjs rooms|jetstream FILE.jsonl [ROUND]');
  process.exit(2);
}
const rows = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const med = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (n, digits) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const main = process.env.MAIN ?? 'groupcast';
const other = rows.map((x) => x.who).find((w) => w !== main) ?? 'other';
const shapes = [...new Set(rows.map((x) => x.shape))];
const ratioLabel = `${main}/${other}`;
const width = `  median ratio ${ratioLabel}`.length + 2;
const line = (label, cells) => console.log(label.padEnd(width) + cells.map((c) => c.padStart(12)).join(''));
// the ratio of a metric in one round; lost 0/0 is 1 (both lost nothing), n/0 has none
const ratio = (a, b) => (a === 0 && b === 0 ? 1 : a / b);

for (const shape of shapes) {
  const ofShape = rows.filter((x) => x.shape === shape);
  const rounds = [...new Set(ofShape.map((x) => x.round))];
  const pair = (r) => {
    const p = {};
    for (const x of ofShape.filter((y) => y.round === r)) p[x.who] = x;
    return p;
  };
  if (roundArg !== undefined) {
    const p = pair(Number(roundArg));
    if (!p[main] || !p[other]) continue;
    console.log(`round ${roundArg}, ${shape}`);
    line('', metrics.map((m) => m.name));
    for (const who of [main, other]) line(`  ${who}`, metrics.map((m) => fmt(m.of(p[who]), m.digits)));
    line(`  ${ratioLabel}`, metrics.map((m) => fmt(ratio(m.of(p[main]), m.of(p[other])), 3)));
  } else {
    const pairs = rounds.map(pair).filter((p) => p[main] && p[other]);
    console.log(`medians of ${pairs.length} rounds, ${shape}`);
    line('', metrics.map((m) => m.name));
    for (const who of [main, other]) {
      line(`  ${who}`, metrics.map((m) => fmt(med(pairs.map((p) => m.of(p[who]))), m.digits)));
    }
    line(`  median ratio ${ratioLabel}`,
      metrics.map((m) => fmt(med(pairs.map((p) => ratio(m.of(p[main]), m.of(p[other])))), 3)));
    if (kind === 'rooms') {
      // the main contender's kernel time alone (sockets, the TCP stack, thread wake-ups) per message,
      // against all of the other's CPU per message: what only fewer system calls and hand-offs lower
      const kernelPerMsg = (x) => x.result.serverSystemCpuMs / x.result.acked;
      const cpuPerMsg = (x) => x.result.serverCpuMs / x.result.acked;
      console.log(`  ${main}'s kernel CPU per message / ${other}'s CPU per message: median ` +
        fmt(med(pairs.map((p) => kernelPerMsg(p[main]) / cpuPerMsg(p[other]))), 3));
    }
    const lost = (who) => pairs.reduce((a, p) => a + p[who].result.lost, 0);
    const dup = (who) => pairs.reduce((a, p) => a + p[who].result.duplicates, 0);
    // connections the load generator closed and opened again after 8 s without an answer (rare)
    const reopened = (who) => pairs.reduce((a, p) => a + (p[who].result.reopened ?? 0), 0);
    console.log(`  lost in all rounds: ${main} ${lost(main)}, ${other} ${lost(other)};` +
      ` duplicates: ${main} ${dup(main)}, ${other} ${dup(other)};` +
      ` connections reopened: ${main} ${reopened(main)}, ${other} ${reopened(other)}`);
  }
}

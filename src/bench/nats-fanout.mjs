// The fan-out load generator of `groupcast bench fanout` for NATS JetStream over WebSocket (nats.ws),
// for fanout-vs-jetstream.sh: same options, same spread, same message bodies and the same --json fields.
// S subscribers, each its own connection, subscribe with core NATS to G subjects (one a group); P
// publishers publish M messages through JetStream (each publish waits for the stream's ack) at --rate
// per second, or keeping --inflight unacked ones each. The subjects are captured by one stream
// (--stream, created if missing: in memory, --replicas copies, the last --history messages).
// Subscriber i is member k = i / G of group g = i mod G and connects to URL (g + k) mod U; publisher p
// connects to URL p mod U and sends its n-th message to group (p + n) mod G. Before the clock starts,
// one publisher on each URL sends probes until every subscriber has heard each of them, so every
// server has learnt every subscription over its routes.
//   node [--experimental-websocket] nats-fanout.mjs [options]   (-h for them)
// nats.ws needs a global WebSocket: Node 22 has one, Node 20 with --experimental-websocket; without
// one it uses the ws package's. Progress goes to stderr once a second; the result to stdout.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { WebSocket as WsWebSocket } from 'ws';

if (typeof globalThis.WebSocket === 'undefined') globalThis.WebSocket = WsWebSocket;
const { connect, StorageType, DiscardPolicy, RetentionPolicy } = await import('nats.ws');

const USAGE = `usage: node nats-fanout.mjs [options]

S subscribers over the URLs in G groups (core NATS subjects); P publishers send M messages through
JetStream at --rate per second, or as fast as acks allow (--rate 0): deliveries/s, publish-to-delivery
latency, loss and duplicates, as groupcast's \`bench fanout\` reports them.

options:
  --url URL[,URL...]   NATS WebSocket listeners (default ws://127.0.0.1:9434); repeatable
  --subscribers S      subscribers, one connection each (200)
  --groups G           groups, one subject each (1)
  --publishers P       publishers, one connection each (1)
  --messages M         messages in all (2000)
  --rate R             messages per second in all, 0 = as fast as acks allow (0)
  --inflight W         unacked publishes per publisher with --rate 0 (16)
  --size BYTES         message size (64)
  --duration D         at most this long, in s or ms (60s)
  --stream NAME        the JetStream stream capturing the subjects bench.> (bench)
  --replicas N         the stream's replicas when this creates it (3)
  --history N          the last messages the stream keeps when this creates it (100)
  --server-pids P[,P]  Linux: also report serverCpuMs, the CPU time these local processes used from
                       the first publish to the end of the run, and serverSystemCpuMs, the part of
                       it in the kernel (none)
  --json               one JSON object on the last line of stdout instead of a summary
  -h, --help           this help`;

function fail(message) {
  process.stderr.write(`nats-fanout: ${message}\n`);
  process.exit(2);
}

function parse(args) {
  const o = {
    urls: [], subscribers: 200, groups: 1, publishers: 1, messages: 2000, rate: 0, inflight: 16, size: 64,
    durationMs: 60_000, stream: 'bench', replicas: 3, history: 100, serverPids: [], json: false,
  };
  const number = (name, value, min, max) => {
    if (!/^-?\d+$/.test(value)) fail(`${name} ${value}: must be a whole number`);
    const n = Number(value);
    if (n < min || n > max) fail(`${name} ${value}: out of range ${min}-${max}`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    let name = args[i];
    let value = null;
    const eq = name.indexOf('=');
    if (name.startsWith('--') && eq > 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (name === '--json') { o.json = true; continue; }
    if (value === null) {
      if (!name.startsWith('--')) fail(`unexpected argument: ${name}`);
      if (i + 1 >= args.length) fail(`${name} needs a value`);
      value = args[++i];
    }
    switch (name) {
      case '--url':
        for (const u of value.split(',').map((s) => s.trim()).filter(Boolean)) {
          if (!/^wss?:\/\/[^/]+/.test(u)) fail(`--url ${u}: must be ws://HOST:PORT or wss://...`);
          o.urls.push(u);
        }
        break;
      case '--subscribers': o.subscribers = number(name, value, 1, 1_000_000); break;
      case '--groups': o.groups = number(name, value, 1, 100_000); break;
      case '--publishers': o.publishers = number(name, value, 1, 10_000); break;
      case '--messages': o.messages = number(name, value, 1, 100_000_000); break;
      case '--rate': o.rate = number(name, value, 0, 10_000_000); break;
      case '--inflight': o.inflight = number(name, value, 1, 100_000); break;
      case '--size': o.size = number(name, value, 16, 16 * 1024 * 1024); break;
      case '--duration': {
        const m = /^(\d+)(ms|s)$/.exec(value);
        if (!m || Number(m[1]) === 0) fail(`--duration ${value}: must be more than 0, like 30s or 500ms`);
        o.durationMs = Number(m[1]) * (m[2] === 's' ? 1000 : 1);
        break;
      }
      case '--stream':
        if (!/^[A-Za-z0-9_-]+$/.test(value)) fail(`--stream ${value}: letters, digits, - and _ only`);
        o.stream = value;
        break;
      case '--replicas': o.replicas = number(name, value, 1, 5); break;
      case '--history': o.history = number(name, value, 1, 100_000_000); break;
      case '--server-pids':
        for (const p of value.split(',').map((s) => s.trim()).filter(Boolean)) {
          o.serverPids.push(number(name, p, 1, 2_147_483_647));
        }
        break;
      default: fail(`unknown option: ${name}`);
    }
  }
  if (o.urls.length === 0) o.urls.push('ws://127.0.0.1:9434');
  if (o.groups > o.subscribers) fail(`--groups ${o.groups} is more than --subscribers ${o.subscribers}`);
  return o;
}

const args = process.argv.slice(2);
if (args.includes('-h') || args.includes('--help')) {
  console.log(USAGE);
  process.exit(0);
}
const o = parse(args);
const runId = Math.floor(Math.random() * 0xffffff).toString(16);
const subject = (g) => `bench.${runId}.${g}`;
const subscriberUrl = (i) => (i % o.groups + Math.floor(i / o.groups)) % o.urls.length;
const groupOf = (p, n) => (p + n) % o.groups;
const nowNanos = () => Math.round(performance.now() * 1e6);
const encoder = new TextEncoder();
const padding = 'x'.repeat(Math.max(0, o.size - 40));

// /proc/PID/stat: [utime, stime] (fields 14, 15) in USER_HZ ticks, 100 a second on Linux, summed over
// the server processes
const cpuTicksOf = () => o.serverPids.reduce((total, pid) => {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'ascii');
  } catch (e) {
    throw new Error(`--server-pids: cannot read /proc/${pid}/stat (${e.code})`);
  }
  const f = stat.slice(stat.lastIndexOf(') ') + 2).trim().split(' ');
  return [total[0] + Number(f[11]), total[1] + Number(f[12])];
}, [0, 0]);

let status = 'starting';
let counters = null;
const started = performance.now();
const progressLine = () => process.stderr.write(
  `[${Math.floor((performance.now() - started) / 1000)}s] ${counters ? counters() : status}\n`);
const progress = setInterval(progressLine, 1000);

const perPublisher = Array.from({ length: o.publishers },
  (_, p) => Math.floor(o.messages / o.publishers) + (p < o.messages % o.publishers ? 1 : 0));
const members = new Array(o.groups).fill(0);
for (let i = 0; i < o.subscribers; i++) members[i % o.groups]++;
let expected = 0;
for (let p = 0; p < o.publishers; p++) for (let n = 0; n < perPublisher[p]; n++) expected += members[groupOf(p, n)];

let deliveries = 0, duplicates = 0, published = 0, acked = 0, refused = 0;
let lastProgress = 0, lastDelivery = 0;
const latencies = new Float64Array(expected);
const connections = [];

// a body: ~PUBLISHER.NUMBER.SENT_NANOS~padding, or probe.URL_INDEX
function int(bytes, from, to) {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (bytes[i] - 48);
  return n;
}
const TILDE = 126, DOT = 46, P = 112;

function subscriberState() {
  return {
    seen: perPublisher.map((count) => new Uint32Array((count >> 5) + 1)),
    probes: new Set(),
  };
}

function received(state, data) {
  const now = nowNanos();
  if (data[0] === P) {
    state.probes.add(int(data, 6, data.length));
    return;
  }
  if (data[0] !== TILDE) return;
  let dot1 = 1;
  while (data[dot1] !== DOT) dot1++;
  let dot2 = dot1 + 1;
  while (data[dot2] !== DOT) dot2++;
  let close = dot2 + 1;
  while (data[close] !== TILDE) close++;
  const publisher = int(data, 1, dot1);
  const number = int(data, dot1 + 1, dot2);
  const sent = int(data, dot2 + 1, close);
  const bits = state.seen[publisher];
  if (bits === undefined) return;
  const mask = 1 << (number & 31);
  if (bits[number >> 5] & mask) {
    duplicates++;
    return;
  }
  bits[number >> 5] |= mask;
  if (deliveries < latencies.length) latencies[deliveries] = now - sent;
  deliveries++;
  lastProgress = now;
  if (now > lastDelivery) lastDelivery = now;
}

async function open(url) {
  const nc = await connect({ servers: url, reconnect: false, pingInterval: 30_000, timeout: 10_000 });
  connections.push(nc);
  return nc;
}

async function ensureStream(nc) {
  const jsm = await nc.jetstreamManager();
  const deadline = performance.now() + 60_000;
  const check = (info) => {
    if (info.config.num_replicas !== o.replicas) {
      throw new Error(`stream ${o.stream} has ${info.config.num_replicas} replicas, not --replicas ${o.replicas}`);
    }
  };
  for (;;) {
    let info = null;
    try {
      info = await jsm.streams.info(o.stream);
    } catch {
      // not there yet: add it below
    }
    if (info) {
      check(info);
      return;
    }
    try {
      await jsm.streams.add({
        name: o.stream, subjects: ['bench.>'], storage: StorageType.Memory, num_replicas: o.replicas,
        retention: RetentionPolicy.Limits, discard: DiscardPolicy.Old, max_msgs: o.history,
      });
      check(await jsm.streams.info(o.stream));
      return;
    } catch (e) {
      // JetStream refuses or times out until its cluster has elected a meta leader
      if (performance.now() > deadline) throw new Error(`cannot create stream ${o.stream}: ${e.message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}
const ms = (nanos) => Math.round(nanos / 1e3) / 1000;

function flatten(prefix, object, out) {
  for (const [key, value] of Object.entries(object)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) flatten(`${prefix}${key}.`, value, out);
    else out.push(`${(prefix + key + ':').padEnd(22)} ${Array.isArray(value) ? `[${value.join(', ')}]` : value}`);
  }
  return out;
}

async function run() {
  status = 'creating the stream';
  const admin = await open(o.urls[0]);
  await ensureStream(admin);

  status = `subscribing ${o.subscribers}`;
  const states = [];
  for (let from = 0; from < o.subscribers; from += 200) {
    const batch = [];
    for (let i = from; i < Math.min(o.subscribers, from + 200); i++) {
      batch.push((async () => {
        const state = subscriberState();
        states.push(state);
        const nc = await open(o.urls[subscriberUrl(i)]);
        nc.subscribe(subject(i % o.groups), { callback: (err, m) => { if (!err) received(state, m.data); } });
        await nc.flush();
      })());
    }
    await Promise.all(batch);
  }

  const publishers = [];
  for (let p = 0; p < o.publishers; p++) {
    const nc = await open(o.urls[p % o.urls.length]);
    publishers.push({ index: p, count: perPublisher[p], nc, js: nc.jetstream(), next: 0, inFlight: 0 });
  }

  status = 'probing the routes';
  const probers = new Map();
  for (const pub of publishers) if (!probers.has(pub.index % o.urls.length)) probers.set(pub.index % o.urls.length, pub.nc);
  const probeDeadline = performance.now() + 15_000;
  while (!states.every((s) => s.probes.size === probers.size)) {
    if (performance.now() > probeDeadline) throw new Error('the subscriptions did not reach every server in 15 s');
    for (const [urlIndex, nc] of probers) {
      const body = encoder.encode(`probe.${urlIndex}`);
      for (let g = 0; g < o.groups; g++) nc.publish(subject(g), body);
    }
    await Promise.all([...probers.values()].map((nc) => nc.flush()));
    await new Promise((r) => setTimeout(r, 100));
  }

  counters = () => `published ${published} acked ${acked} delivered ${deliveries}/${expected}`;
  const cpuStart = o.serverPids.length ? cpuTicksOf() : [0, 0];
  const start = nowNanos();
  lastProgress = start;

  const send = (pub) => {
    const number = pub.next++;
    const body = encoder.encode(`~${pub.index}.${number}.${nowNanos()}~${padding}`);
    published++;
    pub.inFlight++;
    pub.js.publish(subject(groupOf(pub.index, number)), body).then(() => {
      acked++;
    }, () => {
      refused++;
    }).finally(() => {
      lastProgress = nowNanos();
      pub.inFlight--;
      if (o.rate === 0) fill(pub);
    });
  };
  const fill = (pub) => {
    while (pub.inFlight < o.inflight && pub.next < pub.count) send(pub);
  };
  const timers = [];
  for (const pub of publishers) {
    if (o.rate === 0) {
      fill(pub);
    } else {
      const perSecond = o.rate / o.publishers;
      const timer = setInterval(() => {
        const due = Math.min(pub.count, Math.floor((nowNanos() - start) / 1e9 * perSecond) + 1);
        while (pub.next < due) send(pub);
        if (pub.next >= pub.count) clearInterval(timer);
      }, 5);
      timers.push(timer);
    }
  }

  const deadline = start + o.durationMs * 1e6;
  await new Promise((resolve) => {
    const check = setInterval(() => {
      const now = nowNanos();
      const allAnswered = acked + refused >= o.messages;
      if ((deliveries >= expected && allAnswered) || (allAnswered && now - lastProgress > 5e9) || now > deadline) {
        clearInterval(check);
        resolve();
      }
    }, 50);
  });
  const [userTicks, systemTicks] = o.serverPids.length ? cpuTicksOf() : [0, 0];
  const serverCpuMs = (userTicks - cpuStart[0] + systemTicks - cpuStart[1]) * 10;
  const serverSystemCpuMs = (systemTicks - cpuStart[1]) * 10;
  timers.forEach(clearInterval);
  const seconds = (Math.max(lastDelivery, start + 1) - start) / 1e9;
  const sorted = latencies.subarray(0, Math.min(deliveries, latencies.length)).sort();
  const result = {
    scenario: 'fanout',
    protocol: 'nats-jetstream',
    urls: o.urls,
    subscribers: o.subscribers,
    groups: o.groups,
    publishers: o.publishers,
    rate: o.rate,
    bytes: o.size,
    published,
    acked,
    refused,
    retried: 0,
    expectedDeliveries: expected,
    deliveries,
    lost: expected - deliveries,
    duplicates,
    deliveriesPerSec: Math.round(deliveries / seconds),
    elapsedMs: Math.round(seconds * 1000),
    latencyMs: {
      p50: ms(percentile(sorted, 50)),
      p99: ms(percentile(sorted, 99)),
      p999: ms(percentile(sorted, 99.9)),
      max: ms(sorted.length ? sorted[sorted.length - 1] : 0),
    },
  };
  if (o.serverPids.length) {
    result.serverCpuMs = serverCpuMs;
    result.serverSystemCpuMs = serverSystemCpuMs;
  }
  return result;
}

let code = 0;
try {
  const result = await run();
  clearInterval(progress);
  progressLine();
  console.log(o.json ? JSON.stringify(result) : flatten('', result, []).join('\n'));
} catch (e) {
  clearInterval(progress);
  process.stderr.write(`nats-fanout: ${e.message}\n`);
  code = 1;
}
await Promise.allSettled(connections.map((nc) => nc.close()));
process.exit(code);

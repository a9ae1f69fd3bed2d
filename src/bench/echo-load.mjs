// Echo load: C connections, each keeping W messages of S bytes in flight, for D seconds.
// Prints one JSON line: messages/s and latency percentiles (ms). It only targets loopback.
// usage: node echo-load.mjs URL [connections=50] [inflight=8] [bytes=64] [seconds=10]
import WebSocket from 'ws';

const [url, c = '50', w = '8', s = '64', d = '10'] = process.argv.slice(2);
const connections = Number(c), inflight = Number(w), bytes = Number(s), seconds = Number(d);
const host = new URL(url).hostname;
if (!(host === 'localhost' || host.startsWith('127.') || host === '[::1]')) {
  console.error('echo-load only targets loopback addresses');
  process.exit(2);
}
const payload = Buffer.alloc(bytes, 'x').toString();
const latencies = [];
let done = 0, stopping = false, open = 0;

function run(ws) {
  const sent = [];
  const send = () => { sent.push(process.hrtime.bigint()); ws.send(payload); };
  ws.on('message', () => {
    const t0 = sent.shift();
    if (measuring) { latencies.push(Number(process.hrtime.bigint() - t0) / 1e6); done++; }
    if (!stopping) send();
  });
  for (let i = 0; i < inflight; i++) send();
}

let measuring = false;
const sockets = [];
for (let i = 0; i < connections; i++) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  sockets.push(ws);
  ws.on('open', () => { open++; run(ws); if (open === connections) start(); });
  ws.on('error', (e) => { console.error('connection failed:', e.message); process.exit(1); });
}

function start() {
  setTimeout(() => {           // 1 s of warm-up per round, not measured
    measuring = true;
    const t0 = process.hrtime.bigint();
    setTimeout(() => {
      measuring = false; stopping = true;
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      latencies.sort((a, b) => a - b);
      const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p / 100 * latencies.length))];
      console.log(JSON.stringify({ url, connections, inflight, bytes, seconds: +secs.toFixed(2),
        messages: done, msgsPerSec: Math.round(done / secs),
        p50: +pct(50).toFixed(3), p99: +pct(99).toFixed(3), p999: +pct(99.9).toFixed(3) }));
      sockets.forEach((x) => x.terminate());
      process.exit(0);
    }, seconds * 1000);
  }, 1000);
}

// A WebSocket echo backend for proxy benchmarks: every text or binary message goes back as it came.
// usage: node echo-server.mjs PORT
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] || 9001);
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on('listening', () => console.log(`echo backend on ws://127.0.0.1:${port}`));

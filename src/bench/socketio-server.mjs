// A Socket.IO node for the fan-out benchmark (fanout-vs-socketio.sh), written the way a Socket.IO user
// would: the Redis adapter (one pub and one sub client) makes several such nodes one cluster.
//   client emits "join" (group, ack)          -> socket.join(group); ack({ ok: true })
//   client emits "publish" (group, body, ack) -> io.to(group).emit("message", group, body); ack({ ok: true })
// Prints "listening PORT" once Redis is connected and the port is open.
// usage: node socketio-server.mjs PORT REDIS_PORT
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';

const port = Number(process.argv[2] || 9312);
const redisPort = Number(process.argv[3] || 9311);

const pubClient = createClient({ url: `redis://127.0.0.1:${redisPort}` });
const subClient = pubClient.duplicate();
for (const c of [pubClient, subClient]) c.on('error', (err) => console.error('redis:', err.message));
await Promise.all([pubClient.connect(), subClient.connect()]);

const httpServer = createServer();
const io = new Server(httpServer, { adapter: createAdapter(pubClient, subClient), serveClient: false });

io.on('connection', (socket) => {
  socket.on('join', (group, ack) => {
    socket.join(group);
    if (typeof ack === 'function') ack({ ok: true });
  });
  socket.on('publish', (group, body, ack) => {
    io.to(group).emit('message', group, body);
    if (typeof ack === 'function') ack({ ok: true });
  });
});

// a backlog for the bench's 2,000 connections at once (Node's default is 511: past it SYNs are dropped
// and retried seconds later)
httpServer.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => console.log(`listening ${port}`));

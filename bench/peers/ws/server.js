// A minimal topic broadcast server on the Node `ws` library: the baseline one of Herald's seed
// proposals suggests building instead of a gateway. herald-bench drives it with the same clients as
// Herald (docs/bench/README.md).
//
//   WebSocket  ws://127.0.0.1:PORT/   client sends {"op":"subscribe","topic":"..."}, gets {"subscribed":"..."}
//   HTTP       POST /publish          body: a JSON array of {"topic", "data"} (Herald's publish shape;
//                                     other members are ignored); answered {"accepted": n}
//
// Each event is serialized once and the same Buffer is sent to every subscriber of its topic, as a
// careful author of such a server would. Nothing bounds a subscriber's backlog: `ws` buffers what a
// slow client does not read, which is what scenario (e) shows.
//
// Usage: node server.js PORT [PIDFILE]. Listens on 127.0.0.1 only.
'use strict';

const http = require('http');
const fs = require('fs');
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 18903);
const pidFile = process.argv[3];
const topics = new Map(); // topic -> Set of sockets

function subscribe(ws, topic) {
  let set = topics.get(topic);
  if (!set) topics.set(topic, (set = new Set()));
  set.add(ws);
  (ws.topics || (ws.topics = [])).push(topic);
}

function unsubscribeAll(ws) {
  for (const topic of ws.topics || []) {
    const set = topics.get(topic);
    if (set && set.delete(ws) && set.size === 0) topics.delete(topic);
  }
}

function publish(events) {
  for (const event of events) {
    const set = topics.get(event.topic);
    if (!set) continue;
    const frame = Buffer.from(JSON.stringify({ topic: event.topic, data: event.data }));
    for (const ws of set) ws.send(frame, { binary: false });
  }
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/publish') {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let events;
    try {
      events = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (!Array.isArray(events)) events = [events];
    } catch (e) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(e) }));
      return;
    }
    publish(events);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: events.length }));
  });
});

const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 1 << 20 });
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    let msg;
    try {
      msg = JSON.parse(data.toString());
    } catch (e) {
      ws.send(JSON.stringify({ error: 'not JSON' }));
      return;
    }
    if (msg.op === 'subscribe' && typeof msg.topic === 'string') {
      subscribe(ws, msg.topic);
      ws.send(JSON.stringify({ subscribed: msg.topic }));
    } else {
      ws.send(JSON.stringify({ error: 'unknown op' }));
    }
  });
  ws.on('close', () => unsubscribeAll(ws));
  ws.on('error', () => {});
});

server.maxConnections = 100000;
server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => {
  if (pidFile) fs.writeFileSync(pidFile, String(process.pid));
  console.log(`ws peer listening on ws://127.0.0.1:${port}/ (ws ${require('ws/package.json').version})`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));

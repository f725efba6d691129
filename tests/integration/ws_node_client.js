// A scripted WebSocket client on the npm `ws` library (a client Herald did not write), for
// test_ws_node_client.py. It connects to URL with the herald.v1.json subprotocol, runs the steps
// below and prints one JSON object of what it saw; it judges nothing itself.
// Usage: node ws_node_client.js URL   (NODE_PATH must reach the `ws` package)
'use strict';
const WebSocket = require('ws');

const url = process.argv[2];
const STEP_MS = 10000;

function open() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'herald.v1.json');
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function next(ws, event) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${STEP_MS} ms`)), STEP_MS);
    ws.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

async function reply(ws) {
  const [data, isBinary] = await next(ws, 'message');
  return { binary: isBinary, json: JSON.parse(data.toString('utf8')) };
}

async function main() {
  const out = {};
  const ws = await open();
  out.protocol = ws.protocol;

  // A request split over three fragments, the second cut inside the two bytes of "é".
  const request = Buffer.from('{"jsonrpc":"2.0","id":"é1","method":"ping"}', 'utf8');
  ws.send(request.subarray(0, 10), { binary: false, fin: false });
  ws.send(request.subarray(10, 24), { binary: false, fin: false });
  ws.send(request.subarray(24), { binary: false, fin: true });
  out.fragmented = await reply(ws);

  // A ping with a payload: the pong must carry it back.
  ws.ping(Buffer.from('are you there'));
  const [pong] = await next(ws, 'pong');
  out.pong = pong.toString('utf8');

  // A binary message reaches the dialect as binary (herald.v1 answers it with an error).
  ws.send(Buffer.from([0x00, 0xff, 0x10]), { binary: true });
  out.binary_reply = await reply(ws);

  // A 300 KB message (many TCP reads on the server) round-trips as one request.
  const big = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping', params: null }).replace('}', `,"pad":"${'p'.repeat(300000)}"}`);
  ws.send(big);
  out.big_reply = await reply(ws);

  // The close handshake: the server echoes our code.
  ws.close(4001, 'done here');
  const [code, reason] = await next(ws, 'close');
  out.close = { code, reason: reason.toString('utf8') };

  // A protocol violation: an unmasked client frame, written under the library's framing.
  const bad = await open();
  bad.on('error', () => {});  // the library reports the server's close as an error too
  bad._socket.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
  const [badCode, badReason] = await next(bad, 'close');
  out.violation = { code: badCode, reason: badReason.toString('utf8') };

  // Invalid UTF-8 in a (masked, well-formed) text frame.
  const utf = await open();
  utf.on('error', () => {});
  const payload = Buffer.from([0xc3, 0x28]);
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  utf._socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
  const [utfCode, utfReason] = await next(utf, 'close');
  out.utf8 = { code: utfCode, reason: utfReason.toString('utf8') };

  process.stdout.write(JSON.stringify(out) + '\n');
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`ws_node_client: ${err.stack || err}\n`);
  process.exit(1);
});

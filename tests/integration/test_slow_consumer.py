"""A client that stops reading is closed as a slow consumer (1008 "slow consumer") and counted,
while a fast client on the same gateway receives every event in order.

The slow client is a raw TCP socket that performs the WebSocket handshake by hand with a small
receive buffer, subscribes, reads its confirmation, and then never reads again."""

import asyncio
import base64
import hashlib
import json
import os
import signal
import socket
import struct
import threading
import time

import harness
from harness import GatewayTestCase, offer

QUEUE_BYTES = 2 << 20       # holds several publish batches: a reading client never comes near it
EVENT_PAD = 32 * 1024       # large events overflow kernel buffers and the queue in few publishes
BATCH = 8                   # 8 x 32 KiB per publish: well under QUEUE_BYTES, so a reader keeps up
MAX_EVENTS = 2400           # ~75 MiB: far beyond any socket buffers; reaching it means no close
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class RawWebSocket:
    """The client side of RFC 6455 written out: handshake, one masked text frame, frame parsing."""

    def __init__(self, port, path="/ws", rcvbuf=4096, timeout=10, subprotocol=harness.SUBPROTOCOL):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # before connect: sets the window
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                           f"Sec-WebSocket-Protocol: {subprotocol}\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError(f"connection closed during the handshake: {self.buf!r}")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise AssertionError(f"handshake refused: {head!r}")
        headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        if headers.get("sec-websocket-accept") != accept:
            raise AssertionError(f"bad Sec-WebSocket-Accept: {headers}")

    def send_text(self, text):
        payload = text.encode()
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    @staticmethod
    def parse_one(buf, at=0):
        """The complete frame starting at buf[at]: ((opcode, payload), next offset), or (None, at)."""
        if len(buf) - at < 2:
            return None, at
        opcode, length = buf[at] & 0x0F, buf[at + 1] & 0x7F
        if buf[at + 1] & 0x80:
            raise AssertionError("a server frame must not be masked")
        pos = at + 2
        if length == 126:
            if len(buf) < pos + 2:
                return None, at
            length, pos = struct.unpack("!H", buf[pos:pos + 2])[0], pos + 2
        elif length == 127:
            if len(buf) < pos + 8:
                return None, at
            length, pos = struct.unpack("!Q", buf[pos:pos + 8])[0], pos + 8
        if len(buf) < pos + length:
            return None, at
        return (opcode, bytes(buf[pos:pos + length])), pos + length

    @classmethod
    def parse(cls, buf):
        """Every complete frame in buf, in order."""
        frames, at = [], 0
        while True:
            frame, at = cls.parse_one(buf, at)
            if frame is None:
                return frames
            frames.append(frame)

    def read_frame(self):
        while True:
            frame, end = self.parse_one(self.buf)
            if frame is not None:
                self.buf = self.buf[end:]
                return frame
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError("connection closed")
            self.buf += chunk

    def read_to_eof(self, deadline):
        """Reads until the server closes the connection; returns (frames, how it ended)."""
        data = bytearray(self.buf)
        ended = "timeout"
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            except ConnectionResetError:
                ended = "reset"
                break
            if not chunk:
                ended = "eof"
                break
            data += chunk
        return self.parse(data), ended

    def close(self):
        self.sock.close()


class SlowConsumerTest(GatewayTestCase):

    async def test_slow_client_is_closed_and_the_fast_one_gets_everything(self):
        # A long idle timeout, so that only the slow-consumer policy can close the slow client here.
        gw = self.gateway(config=harness.limits_config(queue_bytes=QUEUE_BYTES, idle_timeout_ms=600000))

        slow = await asyncio.to_thread(RawWebSocket, gw.port)
        self.addCleanup(slow.close)
        slow.send_text(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": {"topic": "dex.offer"}}))
        opcode, payload = await asyncio.to_thread(slow.read_frame)
        self.assertEqual(opcode, 1)
        confirmed = json.loads(payload)
        self.assertIn("result", confirmed, confirmed)
        # From here on the slow client never reads.

        fast = await self.client(gw.ws_url)
        fast_sub = (await fast.subscribe("dex.offer"))["subscription"]

        acked = []
        stop = threading.Event()
        problems = []

        def publisher():
            i = 0
            try:
                while i < MAX_EVENTS and not stop.is_set():
                    events = [offer(i + k, pad="p" * EVENT_PAD) for k in range(BATCH)]
                    ack = gw.publish_ok(events)
                    acked.extend(range(ack["first_seq"], ack["last_seq"] + 1))
                    i += BATCH
                    if gw.metric(harness.M_SLOW_CLOSES, default=0) >= 1:
                        return
            except Exception as e:  # reported below; the thread must not die silently
                problems.append(repr(e))

        t = threading.Thread(target=publisher, daemon=True)
        t.start()
        try:
            await asyncio.to_thread(t.join, 240)
        finally:
            stop.set()
        self.assertFalse(t.is_alive(), "publisher did not finish")
        self.assertEqual(problems, [])
        closes = gw.metric(harness.M_SLOW_CLOSES)
        self.assertEqual(closes, 1, f"no slow-consumer close after {len(acked)} events of {EVENT_PAD} bytes")

        marker = await gw.apublish_ok([offer(10 ** 6)])
        got = await fast.events_until(lambda p: p["seq"] == marker["first_seq"], fast_sub, timeout=30,
                                      limit=len(acked) + 10)
        self.assertEqual([p["seq"] for p in got], acked + [marker["first_seq"]],
                         "the fast client receives every event, in order")
        self.assertEqual(got[0]["data"]["pad"], "p" * EVENT_PAD)
        self.assertEqual(await fast.ping(), "pong")
        self.assertEqual(gw.metric(harness.M_SLOW_CLOSES), 1, "only the slow client was closed")

        # The gateway lets go of the slow client by itself, while that client still reads nothing: a
        # close that waited for the client to read would keep the connection (and its place among
        # max_connections) until the idle timeout, here 10 minutes.
        await gw.await_metric(harness.M_CONNECTIONS, lambda v: v == 1, timeout=20,
                              what="the slow connection released without the client reading")

        # Its socket is closed: reading drains what the kernel holds and then meets the end.
        frames, ended = await asyncio.to_thread(slow.read_to_eof, time.monotonic() + 20)
        self.assertIn(ended, ("eof", "reset"), f"the slow consumer's socket is still open ({len(frames)} frames read)")
        closes = [p for op, p in frames if op == 8]
        if closes:
            code = struct.unpack("!H", closes[0][:2])[0]
            self.assertEqual((code, closes[0][2:].decode()), (1008, "slow consumer"))
        seqs = [json.loads(p)["params"]["seq"] for op, p in frames if op == 1]
        self.assertEqual(seqs, sorted(seqs))
        self.assertTrue(set(seqs) <= set(acked))
        self.assertLess(len(seqs), len(acked), "the slow client cannot have received everything")


class StuckClientTest(GatewayTestCase):

    async def test_a_silent_client_is_closed_at_the_idle_timeout(self):
        gw = self.gateway(config=harness.limits_config(idle_timeout_ms=1000))
        silent = await asyncio.to_thread(RawWebSocket, gw.port)
        self.addCleanup(silent.close)
        # It never answers the gateway's pings; a client that does (websockets answers by itself)
        # stays, however long the test runs.
        polite = await self.client(gw.ws_url)
        frames, ended = await asyncio.to_thread(silent.read_to_eof, time.monotonic() + 15)
        self.assertIn(ended, ("eof", "reset"), "a client that answers nothing is closed at the idle timeout")
        self.assertIn(9, [op for op, _ in frames], "the gateway pinged before closing")
        self.assertEqual(await polite.ping(), "pong")

    async def test_an_unfinished_handshake_is_cut_at_the_handshake_timeout(self):
        gw = self.gateway(config=harness.limits_config(handshake_timeout_ms=500))
        s = socket.create_connection(("127.0.0.1", gw.port), timeout=15)
        self.addCleanup(s.close)
        s.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the rest
        try:
            data = await asyncio.to_thread(s.recv, 4096)
        except ConnectionResetError:
            data = b""
        except socket.timeout:
            self.fail("the gateway kept a half-sent request open for 15 s")
        self.assertFalse(data.startswith(b"HTTP/1.1 101"), data)

    async def test_shutdown_is_not_held_up_by_a_client_that_does_not_read(self):
        # Large queues: the stuck client stays connected (no slow-consumer close) when SIGTERM comes.
        gw = self.gateway(config=harness.limits_config(queue_bytes=64 << 20, idle_timeout_ms=600000))
        stuck = await asyncio.to_thread(RawWebSocket, gw.port)
        self.addCleanup(stuck.close)
        stuck.send_text(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": {"topic": "dex.offer"}}))
        _, payload = await asyncio.to_thread(stuck.read_frame)
        self.assertIn("result", json.loads(payload))
        polite = await self.client(gw.ws_url)
        # 16 MiB: several times any socket buffer (tcp_wmem allows 4 MiB by default), so a backlog
        # waits in the gateway's queue behind a write to the client that cannot finish.
        for part in range(64):
            await gw.apublish_ok([offer(part * BATCH + k, pad="s" * EVENT_PAD) for k in range(BATCH)])
        self.assertGreater(gw.metric(harness.M_QUEUE_BYTES), 0, "the client that does not read holds no backlog")
        self.assertEqual(gw.metric(harness.M_SLOW_CLOSES), 0)
        gw.proc.send_signal(signal.SIGTERM)
        code, _ = await polite.wait_closed(timeout=harness.STOP_TIMEOUT)
        self.assertEqual(code, 1001)
        rc = await asyncio.to_thread(gw.stop, 15)
        self.assertEqual(rc, 0)


if __name__ == "__main__":
    harness.main()

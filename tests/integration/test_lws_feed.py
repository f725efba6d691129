"""The monero-lws feed (/feed, docs/protocol/monero-lws-feed.md) against the real gateway, driven by
the `websockets` client with lws's subprotocols and, for lws.feed.v0.msgpack, Python's `msgpack`.

Accounts come from the gateway's configured table (auth.accounts, ADDRESS:VIEWKEY); account.tx,
chain.block and chain.reorg events are published through the publish API, as a source would."""

import asyncio
import json
import struct
import subprocess
import time

import msgpack
import websockets

import harness
from harness import GatewayTestCase, WAIT
from test_slow_consumer import RawWebSocket

ADDRESS = "47nPhxp2cJeKN2NjamupNUNA13XgzcYPzQBCzzsKcj717s8M2UpFVmmdwSuYwgyy8kPDwU7hpEqTTDvfe5LAb9Aj6nwmEzf"
VIEW_KEY = "ee171270296bbc26d5be4455b6313e1a2086a92080e205f77d6f861f8e5fd205"
# A well-formed mainnet address the gateway does not know.
STRANGER = "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
TX1 = "cd0aa9856147b6c5b4ff2b7dfee5da20aa38253099ef1b4a64aced233c9afe29"
TX2 = "3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea"
TX3 = "252f10c83610ebca1a059c0bae8255eba2f95be4d1d7bcfa89d7248a82d9f111"
JSON = "lws.feed.v0.json"
MSGPACK = "lws.feed.v0.msgpack"


def feed_is_served():
    """The gateway build mounts the lws feed when `serve` knows its path key."""
    out = subprocess.run([harness.herald_binary(), "serve", "--help"], capture_output=True, text=True, timeout=30)
    return "--lws-feed-path" in out.stdout + out.stderr


def account_tx(txid, height, direction="receive", amount=1500, **extra):
    data = {"account": ADDRESS, "txid": txid, "height": height, "direction": direction, "amount": amount,
            "fee": 30000000, "timestamp_ms": 1732450001000}
    data.update(extra)
    return {"topic": "account.tx", "data": data}


def chain_block(height):
    return {"topic": "chain.block", "data": {"height": height, "hash": TX1, "prev_hash": TX2,
                                             "timestamp_ms": 1732450000000, "tx_count": 0, "tx_ids": []}}


def chain_reorg(fork_height):
    return {"topic": "chain.reorg", "data": {"fork_height": fork_height, "depth": 2, "old_tip": TX1, "new_tip": TX2}}


class Feed:
    """One /feed connection in one encoding: frames are split into (prefix, payload)."""

    def __init__(self, ws, subprotocol):
        self.ws = ws
        self.msgpack = subprotocol == MSGPACK

    @classmethod
    async def connect(cls, gw, subprotocol):
        ws = await asyncio.wait_for(
            websockets.connect(f"ws://127.0.0.1:{gw.port}/feed", subprotocols=[subprotocol], max_size=None), WAIT)
        assert ws.subprotocol == subprotocol, ws.subprotocol
        return cls(ws, subprotocol)

    async def send(self, prefix, payload):
        if self.msgpack:
            await self.ws.send(prefix.encode() + msgpack.packb(payload, use_bin_type=True))
        else:
            await self.ws.send(prefix + json.dumps(payload))

    async def login(self, address=ADDRESS, view_key=VIEW_KEY, **options):
        key = bytes.fromhex(view_key) if self.msgpack else view_key
        await self.send("login:", {"account": {"address": address, "view_key": key}, **options})

    async def recv(self):
        frame = await asyncio.wait_for(self.ws.recv(), WAIT)
        if self.msgpack:
            assert isinstance(frame, bytes), "msgpack frames are binary"
            colon = frame.index(b":")
            return frame[:colon + 1].decode(), msgpack.unpackb(frame[colon + 1:], raw=False)
        assert isinstance(frame, str), "json frames are text"
        colon = frame.index(":")
        return frame[:colon + 1], json.loads(frame[colon + 1:])

    def blob(self, value):
        """A crypto blob as hex, checking its wire form: bytes in msgpack, a hex string in JSON."""
        if self.msgpack:
            assert isinstance(value, bytes), f"msgpack blob is {type(value).__name__}"
            return value.hex()
        assert isinstance(value, str)
        return value

    async def closed(self):
        """Waits for the server's close; returns its code."""
        try:
            while True:
                await asyncio.wait_for(self.ws.recv(), WAIT)
        except websockets.exceptions.ConnectionClosed as e:
            return e.code

    async def close(self):
        await self.ws.close()


class LwsFeedTest(GatewayTestCase):
    def setUp(self):
        if not feed_is_served():
            self.skipTest("this herald build does not mount the lws feed (no --lws-feed-path)")

    def start(self, **config):
        cfg = {"auth": {"accounts": [f"{ADDRESS}:{VIEW_KEY}"]}}
        cfg.update(config)
        return self.gateway(config=cfg)

    async def feed(self, gw, subprotocol):
        f = await Feed.connect(gw, subprotocol)
        self.addAsyncCleanup(f.close)
        return f

    async def sync_and_stream(self, subprotocol):
        gw = self.start()
        await gw.apublish_ok([account_tx(TX1, None), account_tx(TX2, 90, "spend", 700), account_tx(TX1, 100)])
        f = await self.feed(gw, subprotocol)
        await f.login()
        prefix, sync = await f.recv()
        self.assertEqual(prefix, "tx_sync:")
        self.assertEqual(sync["scanned_block_height"], 100)
        self.assertEqual(sync["blockchain_height"], 100)
        txs = sync["transactions"]
        self.assertEqual([f.blob(t["hash"]) for t in txs], [TX2, TX1])  # by height; TX1's pool event superseded
        self.assertEqual(txs[1]["height"], 100)
        self.assertEqual(txs[1]["receives"][0]["amount"], 1500)
        self.assertEqual(len(f.blob(txs[1]["prefix_hash"])), 64)
        self.assertIn("key_image", txs[0]["spends"][0])
        f.blob(txs[0]["spends"][0]["key_image"])

        await gw.apublish_ok([account_tx(TX3, None, public_key=TX2, index=1, recipient={"maj_i": 1, "min_i": 2})])
        prefix, pool = await f.recv()
        self.assertEqual(prefix, "mempool:")
        self.assertEqual(f.blob(pool["hash"]), TX3)
        self.assertEqual(f.blob(pool["public_key"]), TX2)
        self.assertEqual(pool["recipient"], {"maj_i": 1, "min_i": 2})
        self.assertEqual(pool["amount"], 1500)

        await gw.apublish_ok([account_tx(TX3, 101)])
        prefix, blocks = await f.recv()
        self.assertEqual(prefix, "blocks:")
        self.assertEqual((blocks["scan_start"], blocks["scan_end"]), (100, 101))
        self.assertEqual(f.blob(blocks["transactions"][0]["hash"]), TX3)

        await gw.apublish_ok([chain_block(102)])
        prefix, blocks = await f.recv()
        self.assertEqual(prefix, "blocks:")
        self.assertEqual(blocks, {"scan_start": 101, "scan_end": 102, "blockchain_height": 102})

        await gw.apublish_ok([chain_reorg(99)])
        prefix, warning = await f.recv()
        self.assertEqual(prefix, "warning:")
        self.assertEqual((warning["code"], warning["height"]), (4, 99))
        self.assertIsInstance(warning["counter"], int)

        # Another account's event reaches nobody here.
        other = account_tx(TX2, 103)
        other["data"]["account"] = STRANGER
        await gw.apublish_ok([other, chain_block(103)])
        prefix, blocks = await f.recv()
        self.assertEqual((prefix, blocks.get("transactions")), ("blocks:", None))

        # The client may say nothing after login.
        await f.send("login:", {})
        prefix, error = await f.recv()
        self.assertEqual(prefix, "error:")
        self.assertEqual(error["code"], 7)
        self.assertIsNotNone(await f.closed())

    async def test_json_sync_and_stream(self):
        await self.sync_and_stream(JSON)

    async def test_msgpack_sync_and_stream(self):
        await self.sync_and_stream(MSGPACK)

    async def test_tx_sync_false_and_receives_only(self):
        gw = self.start()
        await gw.apublish_ok([account_tx(TX1, 10), account_tx(TX2, 11, "spend")])
        f = await self.feed(gw, JSON)
        await f.login(tx_sync=False)
        prefix, sync = await f.recv()
        self.assertEqual(prefix, "tx_sync:")
        self.assertNotIn("transactions", sync)

        g = await self.feed(gw, MSGPACK)
        await g.login(receives_only=True)
        prefix, sync = await g.recv()
        self.assertEqual([g.blob(t["hash"]) for t in sync["transactions"]], [TX1])
        await gw.apublish_ok([account_tx(TX3, 12, "spend"), account_tx(TX3, 12)])
        prefix, blocks = await g.recv()  # the spend is not sent; the receive is
        self.assertEqual(prefix, "blocks:")
        self.assertNotIn("spends", blocks["transactions"][0])

    async def test_subprotocol_is_required_at_the_handshake(self):
        gw = self.start()
        for offered in (["lws.feed.v1.json"], ["herald.v1.json"], None):
            with self.assertRaises(websockets.exceptions.InvalidStatusCode) as refused:
                await websockets.connect(f"ws://127.0.0.1:{gw.port}/feed", subprotocols=offered)
            self.assertEqual(refused.exception.status_code, 400, offered)

    async def test_bad_logins_get_an_error_and_a_close(self):
        gw = self.start()
        cases = [
            (dict(view_key="00" * 32), 3),          # wrong view key
            (dict(address=STRANGER), 1),            # unknown account
            (dict(address=ADDRESS[:-1]), 2),        # not an address
            (dict(view_key="zz"), 3),               # not a view key
        ]
        for subprotocol in (JSON, MSGPACK):
            for kwargs, code in cases:
                f = await self.feed(gw, subprotocol)
                if subprotocol == MSGPACK and kwargs.get("view_key") == "zz":
                    await f.send("login:", {"account": {"address": ADDRESS, "view_key": b"zz"}})
                else:
                    await f.login(**kwargs)
                prefix, error = await f.recv()
                self.assertEqual((prefix, error["code"]), ("error:", code), (subprotocol, kwargs, error))
                self.assertIsInstance(error["msg"], str)
                self.assertIsNotNone(await f.closed())
            f = await self.feed(gw, subprotocol)
            await f.ws.send("hello")
            prefix, error = await f.recv()
            self.assertEqual((prefix, error["code"]), ("error:", 7))
            self.assertIsNotNone(await f.closed())

    async def test_a_client_that_stops_reading_gets_queue_error_then_the_close(self):
        # A small queue (its lower bound, publish.max_data_bytes), so blocks: messages overflow it
        # behind a client that reads nothing; a long idle timeout, so only the slow-consumer policy
        # can close it.
        gw = self.start(limits={"queue_bytes": 64 << 10, "idle_timeout_ms": 600000})
        slow = await asyncio.to_thread(RawWebSocket, gw.port, "/feed", subprotocol=JSON)
        self.addCleanup(slow.close)
        slow.send_text("login:" + json.dumps({"account": {"address": ADDRESS, "view_key": VIEW_KEY}}))
        opcode, payload = await asyncio.to_thread(slow.read_frame)
        self.assertEqual((opcode, payload[:8]), (1, b"tx_sync:"))
        # From here on the client reads nothing until the gateway has given up on it.

        # Up to 200,000 blocks: messages of ~60 bytes, several times any socket buffers.
        for first in range(1000, 1000 + 200 * 1000, 1000):
            await gw.apublish_ok([chain_block(h) for h in range(first, first + 1000)])
            if gw.metric(harness.M_SLOW_CLOSES, default=0) >= 1:
                break
        self.assertEqual(gw.metric(harness.M_SLOW_CLOSES), 1, "200,000 blocks: messages never overflowed the queue")

        # Reading now (within the transport's 5 s close grace) drains the frames already handed to
        # the socket, then the closing frame, then the close.
        frames, ended = await asyncio.to_thread(slow.read_to_eof, time.monotonic() + 20)
        self.assertIn(ended, ("eof", "reset"))
        texts = [p.decode() for op, p in frames if op == 1]
        self.assertTrue(texts, "nothing was written to the slow client")
        self.assertTrue(all(t.startswith("blocks:") for t in texts[:-1]), texts[-2:])
        self.assertTrue(texts[-1].startswith("error:"), texts[-1][:80])
        error = json.loads(texts[-1][len("error:"):])
        self.assertEqual(error["code"], 8)
        self.assertIn("slow consumer", error["msg"])
        closes = [p for op, p in frames if op == 8]
        self.assertEqual(len(closes), 1, "a close frame follows the error")
        self.assertEqual(struct.unpack("!H", closes[0][:2])[0], 1008)


if __name__ == "__main__":
    harness.main()

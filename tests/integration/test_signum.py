"""Signum SIP-50 at /events (seed 002; docs/protocol/signum-sip50.md) against the real gateway:
CONNECTED from the node view, BLOCK_PUSHED debounced to the latest block, PENDING_TRANSACTIONS_ADDED
capped at 100 with hasMore, HEARTBEAT only when idle, read-only, and the same events on herald.v1.

Single-worker gateways where a test needs to know the worker has seen an event: posts to a worker
run in order, so once a herald.v1 client of that worker has an event, any connection opened after
sees its effect."""

import asyncio
import time

import websockets

import harness
from harness import GatewayTestCase, JsonClient, block, mempool_tx, node_status, ws_url

SEED_CONNECTED = {"e": "CONNECTED", "p": {"version": "v3.8.0-dev", "networkName": "Signum-TESTNET",
                                          "globalHeight": 632462, "localHeight": 315680,
                                          "isConnected": True, "isSyncing": True}}


def signum_block(height, timestamp_ms=1630937601000, tx_count=5, block_id="7085823688029188009"):
    return {"topic": "chain.block", "data": {"height": height, "hash": block_id, "prev_hash": f"{height - 1:064x}",
                                             "timestamp_ms": timestamp_ms, "tx_count": tx_count, "tx_ids": []}}


def is_event(name):
    return lambda f: f.get("e") == name


class SignumTest(GatewayTestCase):
    async def sip50(self, gw, path="/events"):
        c = await JsonClient.connect(ws_url(gw, path))
        self.addAsyncCleanup(c.close)
        return c

    async def status_seen(self, gw, **status):
        """Publishes a node.status and returns once the (single) worker has applied it."""
        watcher = await self.client(gw.ws_url)
        sub = (await watcher.subscribe("node.status"))["subscription"]
        await gw.apublish_ok([node_status(**status)])
        await watcher.events(1, sub)
        await watcher.close()

    async def test_connected_on_every_connection_from_the_node_view(self):
        gw = self.gateway(args=["--workers", "1"])
        first = await self.sip50(gw)
        self.assertEqual(await first.take(), {"e": "CONNECTED", "p": {
            "version": "unknown", "networkName": "unknown", "globalHeight": 0, "localHeight": 0,
            "isConnected": False, "isSyncing": False}})
        await self.status_seen(gw)
        for _ in range(2):
            c = await self.sip50(gw)
            self.assertEqual(await c.take(), SEED_CONNECTED)

    async def test_connected_after_restart_comes_from_the_log(self):
        gw = self.gateway(args=["--workers", "1"])
        await gw.apublish_ok([node_status(version="old"), node_status()])
        gw.restart()
        c = await self.sip50(gw)
        self.assertEqual(await c.take(), SEED_CONNECTED)

    async def test_block_pushed_is_debounced_to_the_latest_block(self):
        gw = self.gateway(args=["--workers", "1"])
        await self.status_seen(gw, global_height=632424)
        c = await self.sip50(gw)
        await c.take(is_event("CONNECTED"))
        v1 = await self.client(gw.ws_url)
        sub = (await v1.subscribe("chain.block"))["subscription"]

        await gw.apublish_ok([signum_block(h) for h in range(335867, 335877)])
        pushed = await c.take(is_event("BLOCK_PUSHED"), what="BLOCK_PUSHED")
        self.assertEqual(pushed["p"]["localHeight"], 335876)
        self.assertEqual(set(pushed), {"e", "p"})
        self.assertEqual(set(pushed["p"]), {"timestamp", "blockId", "localHeight", "globalHeight", "progress",
                                            "transactionCount"})
        self.assertEqual(pushed["p"]["timestamp"], 223215201)
        self.assertEqual(pushed["p"]["blockId"], "7085823688029188009")
        self.assertEqual(pushed["p"]["globalHeight"], 632424)
        self.assertIsInstance(pushed["p"]["progress"], float)
        self.assertAlmostEqual(pushed["p"]["progress"], 335876 / 632424)
        self.assertEqual(pushed["p"]["transactionCount"], 5)

        # herald.v1 is not debounced: it gets all ten.
        heights = [e["data"]["height"] for e in await v1.events(10, sub)]
        self.assertEqual(heights, list(range(335867, 335877)))

        # The next block opens a new window; nothing from the first window comes in between.
        await gw.apublish_ok([signum_block(335877)])
        nxt = await c.take(is_event("BLOCK_PUSHED"), what="second BLOCK_PUSHED")
        self.assertEqual(nxt["p"]["localHeight"], 335877)

    async def test_blocks_published_one_by_one_within_a_window_push_once(self):
        gw = self.gateway(config={"dialects": {"signum_debounce_ms": 2000}})
        c = await self.sip50(gw)
        await c.take(is_event("CONNECTED"))
        for h in range(100, 105):
            await gw.apublish_ok([signum_block(h)])
        await gw.apublish_ok([signum_block(105)])
        pushed = await c.take(is_event("BLOCK_PUSHED"), what="BLOCK_PUSHED")
        # Five publishes of a few ms each fall into one 2 s window: every frame in between would be
        # an earlier height; the first one to arrive is the latest of the window.
        self.assertGreaterEqual(pushed["p"]["localHeight"], 104)
        await gw.apublish_ok([signum_block(200)])
        while True:
            nxt = await c.take(is_event("BLOCK_PUSHED"), what="window with block 200")
            if nxt["p"]["localHeight"] == 200:
                break
            self.assertEqual(nxt["p"]["localHeight"], 105)  # at most the window's latest before it

    async def test_pending_transactions_capped_at_100_with_has_more(self):
        gw = self.gateway()
        c = await self.sip50(gw)
        await c.take(is_event("CONNECTED"))
        ids = [str(8987323561909124581 + i) for i in range(150)]
        await gw.apublish_ok([mempool_tx(t) for t in ids])
        added = await c.take(is_event("PENDING_TRANSACTIONS_ADDED"))
        self.assertEqual(added["p"]["transactionIds"], ids[:100])
        self.assertIs(added["p"]["hasMore"], True)

        await gw.apublish_ok([mempool_tx("8987323561909124581")])
        one = await c.take(is_event("PENDING_TRANSACTIONS_ADDED"))
        self.assertEqual(one, {"e": "PENDING_TRANSACTIONS_ADDED",
                               "p": {"transactionIds": ["8987323561909124581"], "hasMore": False}})

    async def test_heartbeat_only_when_idle(self):
        gw = self.gateway(config={"dialects": {"signum_heartbeat_seconds": 1}})
        c = await self.sip50(gw)
        await c.take(is_event("CONNECTED"))
        # Busy for 2.5 s: a transaction every 300 ms (pacing, not synchronization: each is awaited).
        busy_until = time.monotonic() + 2.5
        n = 0
        while time.monotonic() < busy_until:
            await gw.apublish_ok([mempool_tx(f"busy-{n}")])
            await c.take(is_event("PENDING_TRANSACTIONS_ADDED"), what=f"busy-{n}")
            n += 1
            await asyncio.sleep(0.3)
        self.assertEqual([f for f in c.frames if f.get("e") == "HEARTBEAT"], [],
                         "a heartbeat was sent to a connection that was not idle")
        quiet_since = time.monotonic()
        at, beat = await c.take_timed(is_event("HEARTBEAT"), timeout=10, what="HEARTBEAT when idle")
        self.assertEqual(beat, {"e": "HEARTBEAT"})
        self.assertGreaterEqual(at - quiet_since, 0.6)  # idle for (about) the interval first
        at2, _ = await c.take_timed(is_event("HEARTBEAT"), timeout=10, what="second HEARTBEAT")
        self.assertGreaterEqual(at2 - at, 0.9)

    async def test_read_only_messages_are_ignored_and_counted(self):
        gw = self.gateway()
        c = await self.sip50(gw)
        await c.take(is_event("CONNECTED"))
        before = gw.metric("herald_messages_ignored_total", default=0)
        await c.send('{"e":"SUBMIT_TRANSACTION","p":{}}')
        await c.send("not json at all")
        await gw.await_metric("herald_messages_ignored_total", lambda v: v >= before + 2)
        await gw.apublish_ok([mempool_tx("after-ignored")])
        added = await c.take(is_event("PENDING_TRANSACTIONS_ADDED"))
        self.assertEqual(added["p"]["transactionIds"], ["after-ignored"])
        self.assertFalse(c.closed)
        self.assertEqual([f for f in c.frames if f.get("e") not in ("CONNECTED", "PENDING_TRANSACTIONS_ADDED")], [])

    async def test_path_is_configurable_and_can_be_unmounted(self):
        gw = self.gateway(config={"dialects": {"signum_path": "/signum/events"}})
        c = await self.sip50(gw, "/signum/events")
        await c.take(is_event("CONNECTED"))
        with self.assertRaises(websockets.InvalidStatusCode) as refused:
            await websockets.connect(ws_url(gw, "/events"), open_timeout=harness.WAIT)
        self.assertEqual(refused.exception.status_code, 404)

        off = self.gateway(env={"HERALD_DIALECTS_SIGNUM_PATH": ""})
        with self.assertRaises(websockets.InvalidStatusCode) as refused:
            await websockets.connect(ws_url(off, "/events"), open_timeout=harness.WAIT)
        self.assertEqual(refused.exception.status_code, 404)

    async def test_websocket_port_is_a_listener_for_sip50_only(self):
        gw = self.gateway(args=["--signum-port", "0"])
        self.assertEqual(len(gw.tcp_endpoints()), 2)
        host, port = gw.tcp_endpoints()[1]
        c = await JsonClient.connect(f"ws://{host}:{port}/events")
        self.addAsyncCleanup(c.close)
        await c.take(is_event("CONNECTED"))
        for path in ("/ws", "/ar"):
            with self.assertRaises(websockets.InvalidStatusCode) as refused:
                await websockets.connect(f"ws://{host}:{port}{path}", open_timeout=harness.WAIT)
            self.assertEqual(refused.exception.status_code, 404, path)
        main = await self.sip50(gw)  # the main listener still serves every mount
        await main.take(is_event("CONNECTED"))


if __name__ == "__main__":
    harness.main()

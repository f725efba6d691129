"""The monerod source against a real regtest monerod (Debian's monero 0.18): blocks mined with
generateblocks reach a herald.v1 client within one second of the RPC returning, a reorg made with
pop_blocks plus a longer branch becomes chain.reorg followed by the new branch (live and on resume),
node.status follows the node, an lws /feed client gets `warning:` blockchain_reorg with the height
to roll back to, and a node that goes away is reported (daemon_unresponsive), then
recovered with every block it mined meanwhile fetched by RPC."""

import asyncio
import re
import time


import harness
import monero_fixture
from harness import GatewayTestCase
from test_lws_feed import JSON, Feed

DELIVERY_BOUND = 1.0   # the bound: a block reaches clients within 1 s of generateblocks returning
SOURCE_READY = 30.0    # the source's first RPC round trip and ZMQ connection
RECOVERY_WAIT = 30.0   # a restarted monerod answers in ~2 s; libzmq reconnects within its backoff
# An lws login for the feed check, from the gateway's configured table (the account is never used).
FEED_ADDRESS = "47nPhxp2cJeKN2NjamupNUNA13XgzcYPzQBCzzsKcj717s8M2UpFVmmdwSuYwgyy8kPDwU7hpEqTTDvfe5LAb9Aj6nwmEzf"
FEED_VIEW_KEY = "ee171270296bbc26d5be4455b6313e1a2086a92080e205f77d6f861f8e5fd205"


def source_spec(node, **extra):
    options = [f"zmq={node.zmq_url}", f"rpc={node.rpc_url}",
               # Short timers so silence and catch-up are seen within a test's patience.
               "probe_interval_ms=500", "status_interval_ms=1000"]
    options += [f"{k}={v}" for k, v in extra.items()]
    return "monerod:" + ",".join(options)


async def wait_log(gw, pattern, timeout=SOURCE_READY):
    """Waits for a gateway log line (the only sign that the source followed the node): bounded."""
    deadline = time.monotonic() + timeout
    regex = re.compile(pattern)
    while True:
        with gw._log_lock:
            if any(regex.search(line) for line in gw.log_lines):
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"no log line matching {pattern!r} within {timeout} s:\n{gw.log_text()}")
        await asyncio.sleep(0.02)


class MonerodBlocksTest(monero_fixture.OneNodeLab, GatewayTestCase):

    async def start_gateway(self):
        gw = self.gateway(args=["--source", source_spec(self.node)])
        await wait_log(gw, r"following monerod from height")
        await wait_log(gw, r"ZMQ connected")
        return gw

    async def subscribe_all(self, c):
        subs = {}
        for topic in ("chain.block", "chain.reorg", "node.status", "system.notice"):
            subs[topic] = (await c.subscribe(topic))["subscription"]
        return subs

    async def next_event(self, c, sub, what, timeout=harness.WAIT):
        n = await c.next_notification(sub, timeout)
        self.assertEqual(n.get("method"), "event", f"{what}: {n}")
        return n["params"]

    async def test_each_block_reaches_a_client_within_one_second(self):
        gw = await self.start_gateway()
        c = await self.client(gw.ws_url)
        subs = await self.subscribe_all(c)
        height, tip = self.node.tip()
        for _ in range(3):
            hashes = await asyncio.to_thread(self.node.generate, 1)
            returned = time.monotonic()
            event = await self.next_event(c, subs["chain.block"], "chain.block", timeout=DELIVERY_BOUND + 5)
            late = time.monotonic() - returned
            data = event["data"]
            self.assertEqual(data["hash"], hashes[0])
            self.assertEqual(data["height"], height + 1)
            self.assertEqual(data["prev_hash"], tip)
            self.assertEqual(data["tx_count"], 0)
            self.assertEqual(data["tx_ids"], [])
            self.assertGreater(data["timestamp_ms"], 0)
            self.assertLess(late, DELIVERY_BOUND, f"block {height + 1} arrived {late:.3f} s after the RPC returned")
            height, tip = height + 1, hashes[0]

        # A burst: every block, in order, none skipped or repeated.
        hashes = await asyncio.to_thread(self.node.generate, 8)
        returned = time.monotonic()
        events = [await self.next_event(c, subs["chain.block"], "burst", timeout=DELIVERY_BOUND + 5) for _ in hashes]
        self.assertLess(time.monotonic() - returned, DELIVERY_BOUND)
        self.assertEqual([e["data"]["hash"] for e in events], hashes)
        self.assertEqual([e["data"]["height"] for e in events], list(range(height + 1, height + 9)))
        self.assertEqual(events[0]["data"]["prev_hash"], tip)
        height = height + 8

        # node.status catches up with the node (published on change, poked by each block).
        while True:
            status = (await self.next_event(c, subs["node.status"], "node.status"))["data"]
            self.assertEqual(status["network"], "regtest")
            self.assertTrue(status["connected"])
            self.assertFalse(status["syncing"])
            self.assertTrue(status["version"].startswith("0.18"), status)
            if status["local_height"] == height:
                break
            self.assertLess(status["local_height"], height)
        self.assertEqual(c.pending_for(subs["chain.reorg"]), [])

    async def test_reorg_is_announced_then_the_new_branch_live_and_on_resume(self):
        gw = await self.start_gateway()
        c = await self.client(gw.ws_url)
        subs = await self.subscribe_all(c)
        base = await asyncio.to_thread(self.node.generate, 3)
        old = [await self.next_event(c, subs["chain.block"], "old branch") for _ in base]
        before_fork = old[0]["cursor"]  # a client that saw the first of the three
        fork_height = old[0]["data"]["height"]
        old_tip = old[-1]["data"]["hash"]

        await asyncio.to_thread(self.node.pop_blocks, 2)
        new = await asyncio.to_thread(self.node.generate, 3)
        reorg = await self.next_event(c, subs["chain.reorg"], "chain.reorg", timeout=DELIVERY_BOUND + 5)
        self.assertEqual(reorg["data"]["fork_height"], fork_height)
        self.assertEqual(reorg["data"]["depth"], 2)
        self.assertEqual(reorg["data"]["old_tip"], old_tip)
        # The new best block when the switch was seen: the branch's first block (monerod announces one
        # block per message), or the popped-to block had a probe run between pop and mine.
        self.assertIn(reorg["data"]["new_tip"], [new[0], old[0]["data"]["hash"]])
        blocks = [await self.next_event(c, subs["chain.block"], "new branch") for _ in new]
        self.assertEqual([b["data"]["hash"] for b in blocks], new)
        self.assertEqual([b["data"]["height"] for b in blocks], [fork_height + 1, fork_height + 2, fork_height + 3])
        self.assertEqual(blocks[0]["data"]["prev_hash"], old[0]["data"]["hash"])
        self.assertLess(harness.cursor_parts(reorg["cursor"])[1], harness.cursor_parts(blocks[0]["cursor"])[1])

        # A client resuming from before the fork gets the old blocks, the reorg, then the new branch,
        # in log order: what it needs to roll back and continue.
        r = await self.client(gw.ws_url)
        sub_blocks = (await r.subscribe("chain.block", since=before_fork))["subscription"]
        sub_reorg = (await r.subscribe("chain.reorg", since=before_fork))["subscription"]
        replayed = [await self.next_event(r, sub_blocks, "replayed block") for _ in range(2 + 3)]
        self.assertEqual([e["data"]["hash"] for e in replayed], [o["data"]["hash"] for o in old[1:]] + new)
        replayed_reorg = await self.next_event(r, sub_reorg, "replayed reorg")
        self.assertEqual(replayed_reorg["data"]["fork_height"], fork_height)
        self.assertEqual(replayed_reorg["cursor"], reorg["cursor"])

    async def test_feed_client_is_warned_of_a_reorg_and_a_resuming_client_rolls_back(self):
        gw = self.gateway(args=["--source", source_spec(self.node), "--account", f"{FEED_ADDRESS}:{FEED_VIEW_KEY}"])
        await wait_log(gw, r"following monerod from height")
        await wait_log(gw, r"ZMQ connected")
        feed = await Feed.connect(gw, JSON)
        self.addAsyncCleanup(feed.close)
        await feed.login(FEED_ADDRESS, FEED_VIEW_KEY)
        prefix, _ = await feed.recv()
        self.assertEqual(prefix, "tx_sync:")
        c = await self.client(gw.ws_url)
        sub_blocks = (await c.subscribe("chain.block"))["subscription"]

        base = await asyncio.to_thread(self.node.generate, 3)
        old = [await self.next_event(c, sub_blocks, "old branch") for _ in base]
        for block in old:
            frame = await monero_fixture.feed_frame(feed, "blocks:", "old branch", DELIVERY_BOUND + 5)
            self.assertEqual(frame["scan_end"], block["data"]["height"])
        fork_height = old[0]["data"]["height"]
        before_fork = old[0]["cursor"]

        await asyncio.to_thread(self.node.pop_blocks, 2)
        new = await asyncio.to_thread(self.node.generate, 3)
        warning = await monero_fixture.feed_frame(feed, "warning:", "blockchain_reorg", DELIVERY_BOUND + 5)
        self.assertEqual(warning["code"], 4, warning)  # blockchain_reorg
        self.assertEqual(warning["height"], fork_height, "the height to roll back to")
        heights = [(await monero_fixture.feed_frame(feed, "blocks:", "new branch", DELIVERY_BOUND + 5))["scan_end"]
                   for _ in new]
        self.assertEqual(heights, [fork_height + 1, fork_height + 2, fork_height + 3])

        # A /ws client resuming from before the fork is told to roll back to the same height, then
        # gets the new branch.
        r = await self.client(gw.ws_url)
        sub_reorg = (await r.subscribe("chain.reorg", since=before_fork))["subscription"]
        replayed = await self.next_event(r, sub_reorg, "replayed reorg")
        self.assertEqual(replayed["data"]["fork_height"], fork_height)
        self.assertEqual(replayed["data"]["depth"], 2)


class MonerodOutageTest(GatewayTestCase):
    """A node that stops answering is reported, and when it comes back nothing it mined is lost."""

    @classmethod
    def setUpClass(cls):
        monero_fixture.require_monero()

    async def test_unresponsive_then_recovered_with_no_block_skipped(self):
        lab = monero_fixture.MoneroLab()
        self.addCleanup(lab.close)
        node = lab.monerod(keep_chain=True).start()
        await asyncio.to_thread(node.generate, 2)
        gw = self.gateway(args=["--source", source_spec(node, unresponsive_ms=1500, backoff_max_ms=500)])
        await wait_log(gw, r"following monerod from height")
        await wait_log(gw, r"ZMQ connected")
        c = await self.client(gw.ws_url)
        sub_notice = (await c.subscribe("system.notice"))["subscription"]
        sub_blocks = (await c.subscribe("chain.block"))["subscription"]
        sub_status = (await c.subscribe("node.status"))["subscription"]
        height, _ = node.tip()

        await asyncio.to_thread(node.stop)
        notice = await c.next_notification(sub_notice, timeout=RECOVERY_WAIT)
        self.assertEqual(notice["params"]["data"]["code"], "daemon_unresponsive")
        self.assertEqual(notice["params"]["data"]["level"], "warning")
        down = await c.take(lambda n: n["params"].get("subscription") == sub_status and
                            n["params"]["data"]["connected"] is False, RECOVERY_WAIT, "node.status connected=false")
        self.assertFalse(down["params"]["data"]["connected"])

        # Back, and mining at once: whether ZMQ has reconnected yet or not, every block arrives.
        await asyncio.to_thread(node.start)
        hashes = await asyncio.to_thread(node.generate, 4)
        recovered = await c.next_notification(sub_notice, timeout=RECOVERY_WAIT)
        self.assertEqual(recovered["params"]["data"]["code"], "daemon_recovered")
        blocks = [await c.next_notification(sub_blocks, timeout=RECOVERY_WAIT) for _ in hashes]
        self.assertEqual([b["params"]["data"]["hash"] for b in blocks], hashes)
        self.assertEqual([b["params"]["data"]["height"] for b in blocks], list(range(height + 1, height + 5)))


if __name__ == "__main__":
    harness.main()

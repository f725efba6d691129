"""Resume by cursor: after a disconnect, across `kill -9` of the gateway, with history expired by
retention, from another epoch, from a cursor ahead of the head; and the history endpoint's paging."""

import asyncio
import threading

import harness
from harness import GatewayTestCase, block, offer, price


class ResumeTest(GatewayTestCase):

    async def test_resume_after_disconnect_replays_everything_once_then_goes_live(self):
        gw = self.gateway()
        c = await self.client(gw.ws_url)
        sub = (await c.subscribe("dex.price"))["subscription"]
        await gw.apublish_ok([price(0)])
        [last] = await c.events(1, sub)
        await c.close()

        # 1,000 prices, interleaved with other topics so the replay skips seqs, in several requests.
        missed, batch, expected = 1000, [], []
        for i in range(1, missed + 1):
            batch.append(price(i))
            if i % 4 == 0:
                batch.append(block(i))
        acks = []
        for part in harness.chunks(batch, 250):
            acks.append(await gw.apublish_ok(part))
        seq_of = []
        for part, ack in zip(harness.chunks(batch, 250), acks):
            seq_of += [(ack["first_seq"] + i, e) for i, e in enumerate(part)]
        expected = [(s, e["data"]) for s, e in seq_of if e["topic"] == "dex.price"]
        self.assertEqual(len(expected), missed)

        c2 = await self.client(gw.ws_url)
        resumed = await c2.subscribe("dex.price", since=last["cursor"])
        got = await c2.events(missed, resumed["subscription"])
        self.assertEqual([(p["seq"], p["data"]) for p in got], expected)
        epoch, _ = harness.cursor_parts(last["cursor"])
        self.assertTrue(all(p["cursor"] == f"{epoch}:{p['seq']}" for p in got))

        live = await gw.apublish_ok([price(5000)])
        [p] = await c2.events(1, resumed["subscription"])
        self.assertEqual((p["seq"], p["data"]), (live["first_seq"], price(5000)["data"]),
                         "after the replay comes the next live event, nothing twice")
        self.assertEqual(c2.inbox, [])
        self.assertEqual([f for f in c2.frames if f.get("method") == "gap"], [], "no gap: nothing was lost")

    async def test_resume_while_events_keep_arriving_has_no_gap_and_no_duplicate(self):
        # Small replay pages: the replay takes many history reads, so live events arrive during it.
        gw = self.gateway(config=harness.limits_config(replay_page=16))
        first = gw.publish_ok([price(i) for i in range(300)])
        c = await self.client(gw.ws_url)
        since = f"{harness.cursor_parts(first['cursor'])[0]}:0"

        stop = threading.Event()
        acked = []

        def publisher():
            i = 1000
            while not stop.is_set() and i < 1600:
                ack = gw.publish_ok([price(i), price(i + 1)])
                acked.append(ack["last_seq"])
                i += 2

        t = threading.Thread(target=publisher, daemon=True)
        t.start()
        try:
            sub = (await c.subscribe("dex.price", since=since))["subscription"]
            await asyncio.to_thread(t.join, 60)
        finally:
            stop.set()
            await asyncio.to_thread(t.join, 60)
        self.assertFalse(t.is_alive())
        head = max(acked)
        got = await c.events_until(lambda p: p["seq"] >= head, sub)
        self.assertEqual([p["seq"] for p in got], list(range(1, head + 1)),
                         "every event exactly once, in order, across the replay/live hand-over")

    async def test_resume_with_a_filter_replays_only_matching_events(self):
        gw = self.gateway(config=harness.limits_config(replay_page=50))
        flt = {"market": ["XMR/BTC", "XMR/EUR"], "currency": "BTC"}
        c = await self.client(gw.ws_url)
        first = await c.subscribe("dex.offer", filter=flt)
        await c.close()
        markets, currencies = ["XMR/BTC", "XMR/EUR", "BTC/USD"], ["BTC", "EUR"]
        batch = [offer(i, market=markets[i % 3], currency=currencies[(i // 3) % 2]) for i in range(600)]
        ack = await gw.apublish_ok(batch)
        want = [ack["first_seq"] + i for i, e in enumerate(batch)
                if e["data"]["market"] in flt["market"] and e["data"]["currency"] == "BTC"]
        c2 = await self.client(gw.ws_url)
        again = await c2.subscribe("dex.offer", filter=flt, since=first["cursor"])
        self.assertEqual(again["subscription"], first["subscription"], "same topic and filter, same id")
        got = await c2.events(len(want), again["subscription"])
        self.assertEqual([p["seq"] for p in got], want)
        live = await gw.apublish_ok([offer(10 ** 6, market="XMR/EUR", currency="EUR"),
                                     offer(10 ** 6 + 1, market="XMR/EUR", currency="BTC")])
        [p] = await c2.events(1, again["subscription"])
        self.assertEqual(p["seq"], live["last_seq"], "the non-matching live event is skipped, the matching one sent")

    async def test_resume_across_kill_9_loses_no_acknowledged_event(self):
        gw = self.gateway()
        c = await self.client(gw.ws_url)
        start = (await c.subscribe("dex.offer"))["cursor"]
        await c.close()

        # A publisher keeps going while the gateway is killed; only what was acknowledged counts.
        acked = {}  # seq -> data
        enough = threading.Event()
        failed = []

        def publisher():
            i = 0
            while i < 100000:
                events = [offer(i + k) for k in range(5)]
                try:
                    status, body = gw.publish(events, timeout=10)
                except Exception:  # the gateway is gone: refused, reset, cut mid-response
                    return
                if status != 200:
                    failed.append((status, body))
                    return
                for k, e in enumerate(events):
                    acked[body["first_seq"] + k] = e["data"]
                if len(acked) >= 300:
                    enough.set()
                i += 5

        t = threading.Thread(target=publisher, daemon=True)
        t.start()
        got_enough = await asyncio.to_thread(enough.wait, 60)
        gw.kill9()
        await asyncio.to_thread(t.join, 30)
        self.assertTrue(got_enough, f"publisher stalled: {failed}")
        self.assertFalse(t.is_alive())
        self.assertEqual(failed, [])

        gw.restart()
        c2 = await self.client(gw.ws_url)
        sub = await c2.subscribe("dex.offer", since=start)
        head = max(acked)
        got = await c2.events_until(lambda p: p["seq"] >= head, sub["subscription"], limit=len(acked) + 100)
        seqs = [p["seq"] for p in got]
        self.assertEqual(seqs, sorted(set(seqs)), "in order, none twice")
        by_seq = {p["seq"]: p["data"] for p in got}
        missing = sorted(s for s in acked if s not in by_seq)
        self.assertEqual(missing, [], f"acknowledged events lost by kill -9 ({len(missing)} of {len(acked)})")
        for s, data in acked.items():
            self.assertEqual(by_seq[s], data, f"seq {s}")

        # Events that were durable but not yet acknowledged when the process died may follow; then
        # the first event published after the restart, each once.
        live = await gw.apublish_ok([offer(10 ** 6)])
        rest = await c2.events_until(lambda p: p["seq"] >= live["first_seq"], sub["subscription"])
        self.assertEqual([p["seq"] for p in rest], list(range(head + 1, live["first_seq"] + 1)))
        p = rest[-1]
        self.assertEqual(p["data"], offer(10 ** 6)["data"])
        self.assertEqual(harness.cursor_parts(p["cursor"])[0], harness.cursor_parts(start)[0],
                         "a restart on the same data dir keeps the epoch")

    async def test_expired_history_is_reported_as_a_gap_before_the_replay(self):
        keep = 10
        gw = self.gateway(config=harness.retention_config(max_events=keep))
        ack = gw.publish_ok([price(i) for i in range(50)])
        epoch, last = harness.cursor_parts(ack["cursor"])
        self.assertEqual(last, 50)
        # Retention runs on the log writer's schedule; only /metrics shows when it has.
        await gw.await_metric(harness.M_RETENTION_DELETED, lambda v: v >= 50 - keep, timeout=60,
                              what="retention of the oldest events")
        first_kept = last - keep + 1

        c = await self.client(gw.ws_url)
        sub = (await c.subscribe("dex.price", since=f"{epoch}:5"))["subscription"]
        gap = await c.next_notification(sub)
        self.assertEqual(gap["method"], "gap", gap)
        self.assertEqual(gap["params"], {"subscription": sub, "epoch": epoch, "missed_from": 6,
                                         "missed_to": first_kept - 1, "reason": "history_expired"})
        got = await c.events(keep, sub)
        self.assertEqual([p["seq"] for p in got], list(range(first_kept, last + 1)))
        self.assertEqual([p["data"] for p in got], [price(i)["data"] for i in range(50 - keep, 50)])

        live = await gw.apublish_ok([price(99)])
        [p] = await c.events(1, sub)
        self.assertEqual(p["seq"], live["first_seq"])

        # The history endpoint reports the same gap.
        page = gw.history(topic="dex.price", since=f"{epoch}:5", limit=100)
        self.assertEqual([{k: g[k] for k in ("epoch", "missed_from", "missed_to", "reason")} for g in page["gaps"]],
                         [{"epoch": epoch, "missed_from": 6, "missed_to": first_kept - 1, "reason": "history_expired"}])

    async def test_cursor_from_another_epoch_is_reported_as_epoch_changed(self):
        old = self.gateway()
        ack = old.publish_ok([price(i) for i in range(3)])
        old_epoch, _ = harness.cursor_parts(ack["cursor"])
        old.stop()

        new = self.gateway()  # a fresh data dir: a new log, a new epoch
        fresh = new.publish_ok([price(10), price(11)])
        new_epoch, _ = harness.cursor_parts(fresh["cursor"])
        self.assertNotEqual(new_epoch, old_epoch)

        c = await self.client(new.ws_url)
        sub = (await c.subscribe("dex.price", since=ack["cursor"]))["subscription"]
        gap = await c.next_notification(sub)
        self.assertEqual(gap["method"], "gap", gap)
        self.assertEqual(gap["params"], {"subscription": sub, "epoch": old_epoch, "missed_from": 4,
                                         "missed_to": None, "reason": "epoch_changed"})
        got = await c.events(2, sub)
        self.assertEqual([(p["seq"], p["cursor"]) for p in got], [(1, f"{new_epoch}:1"), (2, f"{new_epoch}:2")])
        self.assertEqual([p["data"] for p in got], [price(10)["data"], price(11)["data"]])

        # The history endpoint reports the same.
        page = new.history(topic="dex.price", since=ack["cursor"], limit=10)
        self.assertEqual(page["gaps"], [{"epoch": old_epoch, "missed_from": 4, "missed_to": None,
                                         "reason": "epoch_changed"}])
        self.assertEqual([e["seq"] for e in page["events"]], [1, 2])
        self.assertEqual(page["next"], f"{new_epoch}:2")

    async def test_cursor_ahead_of_the_head_is_refused(self):
        gw = self.gateway()
        ack = gw.publish_ok([price(i) for i in range(3)])
        epoch, last = harness.cursor_parts(ack["cursor"])
        c = await self.client(gw.ws_url)
        reply = await c.call("subscribe", {"topic": "dex.price", "since": f"{epoch}:{last + 100}"})
        self.assertIn("error", reply, reply)
        self.assertEqual(reply["error"]["code"], -32004, reply)
        self.assertEqual(reply["error"].get("data", {}).get("field"), "params.since", reply)
        self.assertEqual(await c.ping(), "pong")
        # The refused subscription does not exist: the same subscribe with a valid cursor works.
        ok = await c.subscribe("dex.price", since=ack["cursor"])
        self.assertEqual(ok["cursor"], ack["cursor"])

    async def test_history_endpoint_pages_through_the_log(self):
        gw = self.gateway()
        batch = []
        for i in range(25):
            batch.append(price(i, market="XMR/BTC" if i % 2 else "XMR/EUR"))
            if i % 3 == 0:
                batch.append(block(i))
        ack = gw.publish_ok(batch)
        epoch, _ = harness.cursor_parts(ack["cursor"])
        stored = [(ack["first_seq"] + i, e) for i, e in enumerate(batch)]

        def page_all(**params):
            out, pages, since = [], 0, f"{epoch}:0"
            while True:
                page = gw.history(since=since, **params)
                self.assertEqual(page["gaps"], [])
                out += page["events"]
                pages += 1
                self.assertLessEqual(len(page["events"]), params["limit"])
                self.assertLess(pages, 100, "paging does not end")
                if page["at_head"]:
                    return out, pages
                self.assertNotEqual(page["next"], since, "next must move")
                since = page["next"]

        prices, pages = page_all(topic="dex.price", limit=10)
        self.assertGreaterEqual(pages, 3)
        want = [(s, e) for s, e in stored if e["topic"] == "dex.price"]
        self.assertEqual([(e["seq"], e["topic"], e["data"]) for e in prices],
                         [(s, e["topic"], e["data"]) for s, e in want])
        for e, (s, src) in zip(prices, want):
            self.assertEqual(e["cursor"], f"{epoch}:{s}")
            self.assertEqual(e["attributes"], {"market": src["data"]["market"]})
            self.assertIsInstance(e["time_ms"], int)

        everything, _ = page_all(limit=7)
        self.assertEqual([e["seq"] for e in everything], [s for s, _ in stored])

        tail = gw.history(topic="dex.price", since=ack["cursor"], limit=10)
        self.assertEqual(tail["events"], [])
        self.assertTrue(tail["at_head"])


if __name__ == "__main__":
    harness.main()

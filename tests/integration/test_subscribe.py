"""Live subscriptions over herald.v1: filters, unsubscribe, fan-out to several clients, and
subprotocol negotiation, against the real gateway and the `websockets` client library."""

import re

import websockets

import harness
from harness import GatewayTestCase, offer, notice, price

CURSOR = re.compile(r"^[0-9a-f]{16}:[0-9]+$")


def attributes_of(event):
    """The filter attributes the gateway derives for a dex.offer (docs/events.md), merged with the
    publisher's own."""
    d = event["data"]
    attrs = {}
    if event["topic"] == "dex.offer":
        for k in ("market", "currency", "payment_method", "direction"):
            attrs.setdefault(k, set()).add(d[k])
    elif event["topic"] == "dex.price":
        attrs.setdefault("market", set()).add(d["market"])
    for k, v in event.get("attributes", {}).items():
        attrs.setdefault(k, set()).update(v if isinstance(v, list) else [v])
    return attrs


def matches(topic, flt, event):
    if event["topic"] != topic:
        return False
    attrs = attributes_of(event)
    for key, want in flt.items():
        values = want if isinstance(want, list) else [want]
        if not attrs.get(key, set()) & set(values):
            return False
    return True


def mixed_batch():
    """Offers across markets, currencies, payment methods and directions, plus other topics."""
    events = []
    markets = ["XMR/BTC", "XMR/EUR", "BTC/USD"]
    currencies = ["BTC", "EUR", "USD", "CHF"]
    methods = ["BLOCKCHAINS", "SEPA", "ZELLE"]
    for i in range(60):
        e = offer(i, market=markets[i % 3], currency=currencies[(i // 3) % 4],
                  payment_method=methods[(i // 2) % 3], direction="buy" if i % 5 < 2 else "sell")
        if i % 7 == 0:
            e["attributes"] = {"region": ["eu", "ch"] if i % 2 else "eu"}
        elif i % 7 == 3:
            e["attributes"] = {"region": "us"}
        events.append(e)
        if i % 4 == 0:
            events.append(price(i, market=markets[i % 3]))  # same attribute key, another topic
        if i % 9 == 0:
            events.append(notice(f"n{i}"))
    return events


class SubscribeTest(GatewayTestCase):

    async def test_filters_deliver_exactly_the_matching_events_in_seq_order(self):
        gw = self.gateway()
        c = await self.client(gw.ws_url)
        filters = {
            "equality": {"market": "XMR/BTC"},
            "any_of": {"currency": ["EUR", "CHF"]},
            "two_attributes": {"market": "XMR/BTC", "payment_method": "SEPA"},
            "any_of_and_equality": {"currency": ["USD", "EUR"], "direction": "buy"},
            "publisher_attribute": {"region": "eu"},
            "everything": {},
        }
        subs = {}
        for name, flt in filters.items():
            result = await c.subscribe("dex.offer", filter=flt)
            self.assertRegex(result["cursor"], CURSOR)
            self.assertIsInstance(result["subscription"], str)
            self.assertTrue(result["subscription"])
            subs[name] = result["subscription"]
        self.assertEqual(len(set(subs.values())), len(subs), f"subscription ids must differ: {subs}")

        batch = mixed_batch()
        ack = await gw.apublish_ok(batch)
        self.assertEqual(ack["accepted"], len(batch))
        self.assertEqual(ack["last_seq"] - ack["first_seq"] + 1, len(batch))
        epoch, last = harness.cursor_parts(ack["cursor"])
        self.assertEqual(last, ack["last_seq"])
        # One event that every filter above matches: once it arrives on a subscription, everything
        # published before it has arrived there too (a connection delivers in seq order).
        marker = offer(999, market="XMR/BTC", currency="EUR", payment_method="SEPA", direction="buy")
        marker["attributes"] = {"region": "eu"}
        marker["data"]["offer_id"] = "marker"
        marker_ack = await gw.apublish_ok([marker])

        for name, flt in filters.items():
            self.assertTrue(matches("dex.offer", flt, marker), name)
            got = await c.events_until(lambda p: p["data"]["offer_id"] == "marker", subs[name])
            expected = [(ack["first_seq"] + i, e["data"]) for i, e in enumerate(batch) if matches("dex.offer", flt, e)]
            expected.append((marker_ack["first_seq"], marker["data"]))
            self.assertEqual([(p["seq"], p["data"]) for p in got], expected, f"filter {name} {flt}")
            for p in got:
                self.assertEqual(p["subscription"], subs[name])
                self.assertEqual(p["topic"], "dex.offer")
                self.assertEqual(p["cursor"], f"{epoch}:{p['seq']}")
                self.assertIsInstance(p["time_ms"], int)
            self.assertGreater(len(got), 1, f"filter {name} should match part of the batch")
        self.assertEqual([n for n in c.inbox], [], "no notification beyond the expected ones")

    async def test_subscribe_is_live_from_its_cursor(self):
        gw = self.gateway()
        before = gw.publish_ok([price(i) for i in range(5)])
        epoch, head = harness.cursor_parts(before["cursor"])
        c = await self.client(gw.ws_url)
        result = await c.subscribe("dex.price")
        # The subscription starts after the cursor in its reply: the head as this connection's worker
        # knows it, which an acknowledged event may not have reached yet.
        start_epoch, start = harness.cursor_parts(result["cursor"])
        self.assertEqual(start_epoch, epoch)
        self.assertLessEqual(start, head)
        after = await gw.apublish_ok([price(100)])
        got = await c.events_until(lambda p: p["seq"] >= after["first_seq"], result["subscription"])
        self.assertEqual([p["seq"] for p in got], list(range(start + 1, after["first_seq"] + 1)),
                         "exactly the events after the reply's cursor")
        self.assertEqual(got[-1]["data"], price(100)["data"])
        self.assertEqual(c.inbox, [])

    async def test_unsubscribe_stops_delivery(self):
        gw = self.gateway()
        c = await self.client(gw.ws_url)
        prices = (await c.subscribe("dex.price", filter={"market": "XMR/BTC"}))["subscription"]
        notices = (await c.subscribe("system.notice"))["subscription"]

        await gw.apublish_ok([price(1)])
        [p] = await c.events(1, prices)
        self.assertEqual(p["data"]["price_rate"], price(1)["data"]["price_rate"])

        self.assertIs(await c.request("unsubscribe", {"subscription": prices}), True)
        await gw.apublish_ok([price(i) for i in range(2, 12)])
        await gw.apublish_ok([notice("marker")])
        [m] = await c.events(1, notices)
        self.assertEqual(m["data"]["code"], "marker")
        self.assertEqual(c.pending_for(prices), [], "nothing may arrive on a removed subscription")
        self.assertEqual(c.inbox, [])

        reply = await c.call("unsubscribe", {"subscription": prices})
        self.assertEqual(reply["error"]["code"], -32006, reply)
        self.assertEqual(await c.ping(), "pong")

    async def test_two_clients_with_the_same_filter_both_receive(self):
        gw = self.gateway()
        a = await self.client(gw.ws_url)
        b = await self.client(gw.ws_url)
        flt = {"market": "XMR/EUR"}
        sa = (await a.subscribe("dex.offer", filter=flt))["subscription"]
        sb = (await b.subscribe("dex.offer", filter=flt))["subscription"]
        batch = mixed_batch()
        ack = await gw.apublish_ok(batch)
        expected = [(ack["first_seq"] + i, e["data"]) for i, e in enumerate(batch) if matches("dex.offer", flt, e)]
        got_a = await a.events(len(expected), sa)
        got_b = await b.events(len(expected), sb)
        self.assertEqual([(p["seq"], p["data"]) for p in got_a], expected)
        self.assertEqual([(p["seq"], p["data"]) for p in got_b], expected)
        # Nothing more: a marker on each arrives next.
        marker = offer(500, market="XMR/EUR")
        m = await gw.apublish_ok([marker])
        for client, sub in ((a, sa), (b, sb)):
            [p] = await client.events(1, sub)
            self.assertEqual(p["seq"], m["first_seq"])

    async def test_subprotocol_negotiation(self):
        gw = self.gateway()
        c = await self.client(gw.ws_url, subprotocols=[harness.SUBPROTOCOL])
        self.assertEqual(c.ws.subprotocol, harness.SUBPROTOCOL, "the gateway must echo herald.v1.json")
        self.assertEqual(await c.ping(), "pong")

        c2 = await self.client(gw.ws_url, subprotocols=["chat.example", harness.SUBPROTOCOL])
        self.assertEqual(c2.ws.subprotocol, harness.SUBPROTOCOL)

        plain = await self.client(gw.ws_url, subprotocols=None)
        self.assertIsNone(plain.ws.subprotocol)
        self.assertEqual(await plain.ping(), "pong")

        with self.assertRaises(websockets.InvalidStatusCode) as refused:
            await harness.RpcClient.connect(gw.ws_url, subprotocols=["herald.v9.json"])
        self.assertGreaterEqual(refused.exception.status_code, 400)
        self.assertLess(refused.exception.status_code, 500)

    async def test_request_ids_are_echoed_as_sent(self):
        gw = self.gateway()
        c = await self.client(gw.ws_url)
        for raw_id, parsed in (('"abc"', "abc"), ("7", 7), ("null", None), ("1.0", 1.0), ('"a\\u0041"', "aA"),
                               ("-0", 0), ("12345678901234567890123", 12345678901234567890123)):
            await c.send_raw('{"jsonrpc":"2.0","id":%s,"method":"ping"}' % raw_id)
            reply = await c.raw_reply()
            self.assertEqual(reply, {"jsonrpc": "2.0", "id": parsed, "result": "pong"})
            self.assertEqual(c.raw[-1], '{"jsonrpc":"2.0","id":%s,"result":"pong"}' % raw_id,
                             "the id is echoed exactly as written")
        # Without an id the request is still answered, with id null (documented deviation).
        await c.send_raw('{"jsonrpc":"2.0","method":"ping"}')
        self.assertEqual(await c.raw_reply(), {"jsonrpc": "2.0", "id": None, "result": "pong"})
        for params in ("{}", "[]", "null"):
            await c.send_raw('{"jsonrpc":"2.0","id":1,"method":"ping","params":%s}' % params)
            reply = await c.raw_reply()
            if params == "null":
                self.assertIn(reply.get("result", reply.get("error", {}).get("code")), ("pong", -32602), reply)
            else:
                self.assertEqual(reply.get("result"), "pong", f"ping with params {params}: {reply}")

    async def test_subscription_ids_are_derived_from_topic_and_filter(self):
        gw = self.gateway()
        a = await self.client(gw.ws_url)
        b = await self.client(gw.ws_url)
        ra = await a.subscribe("dex.offer", filter={"market": "XMR/BTC", "currency": ["EUR", "BTC"]})
        rb = await b.subscribe("dex.offer", filter={"currency": ["BTC", "EUR"], "market": "XMR/BTC"})
        self.assertRegex(ra["subscription"], r"^s[0-9a-f]{16}$")
        self.assertEqual(ra["subscription"], rb["subscription"], "same topic and filter, same id")
        other = await a.subscribe("dex.offer", filter={"market": "XMR/BTC"})
        self.assertNotEqual(other["subscription"], ra["subscription"])
        # A null filter is the empty filter: both mean every event of the topic.
        everything = await a.subscribe("dex.price", filter=None)
        reply = await a.call("subscribe", {"topic": "dex.price", "filter": {}})
        self.assertEqual(reply.get("error", {}).get("code"), -32005, reply)
        reply = await a.call("subscribe", {"topic": "dex.price", "filter": None, "since": None})
        self.assertEqual(reply.get("error", {}).get("code"), -32005, reply)
        self.assertRegex(everything["subscription"], r"^s[0-9a-f]{16}$")

    async def test_derived_attributes_of_catalog_topics(self):
        gw = self.gateway()
        c = await self.client(gw.ws_url)
        a, b, x = "node-a.onion:9999", "node-b.onion:9999", "node-x.onion:9999"
        cases = [
            ("chain.tx", {"tag:Content-Type": "image/png"},
             [{"txid": "t1", "height": 1, "owner": "o1", "target": "", "fee": 1,
               "tags": [{"name": "App-Name", "value": "A"}, {"name": "Content-Type", "value": "image/png"}]},
              {"txid": "t2", "height": 1, "owner": "o1", "target": "r", "fee": 1,
               "tags": [{"name": "Content-Type", "value": "text/plain"}]}], [0]),
            ("chain.tx", {"target": "r"}, None, [1]),
            ("chain.tx", {"owner": "o1", "tag:App-Name": "A"}, None, [0]),
            ("dex.chat", {"account": b},
             [{"trade_id": "T1", "from": a, "to": b, "text": "hi", "timestamp_ms": 1},
              {"trade_id": "T1", "from": b, "to": a, "text": "hello", "timestamp_ms": 2},
              {"trade_id": "T2", "from": a, "to": x, "text": "", "timestamp_ms": 3}], [0, 1]),
            ("dex.chat", {"trade_id": "T2"}, None, [2]),
            ("dex.dispute", {"account": a},
             [{"trade_id": "T1", "state": "OPENED", "buyer": a, "seller": b, "ruling": None},
              {"trade_id": "T3", "state": "OPENED", "buyer": x, "seller": b, "ruling": None},
              {"trade_id": "T4", "state": "CLOSED", "buyer": b, "seller": a, "ruling": "buyer"}], [0, 2]),
            ("account.tx", {"account": "acc1"},
             [{"account": "acc1", "txid": "x1", "height": None, "direction": "receive", "amount": 5, "fee": 0,
               "timestamp_ms": 1},
              {"account": "acc2", "txid": "x2", "height": 7, "direction": "spend", "amount": 5, "fee": 1,
               "timestamp_ms": 2}], [0]),
            ("dex.trade", {"trade_id": "T9"},
             [{"trade_id": "T9", "phase": "PAYMENT_SENT", "account": a, "counterparty": b, "amount": 1},
              {"trade_id": "T8", "phase": "PAYMENT_SENT", "account": a, "counterparty": b, "amount": 1}], [0]),
            ("wallet.balance", {"account": "acc2"},
             [{"account": "acc1", "available": 1, "locked": 0}, {"account": "acc2", "available": 2, "locked": 1}], [1]),
            ("system.notice", {"level": ["warning", "error"]},
             [{"level": "info", "code": "c1", "message": "m"}, {"level": "warning", "code": "c2", "message": "m"},
              {"level": "error", "code": "c3", "message": "m"}], [1, 2]),
        ]
        published = {}
        subs = []
        for topic, flt, data, _ in cases:
            subs.append((await c.subscribe(topic, filter=flt))["subscription"])
            if data is not None:
                published[topic] = data
        acks = {}
        for topic, data in published.items():
            acks[topic] = await gw.apublish_ok([{"topic": topic, "data": d} for d in data])
        for (topic, flt, _, want), sid in zip(cases, subs):
            got = await c.events(len(want), sid)
            self.assertEqual([p["seq"] for p in got], [acks[topic]["first_seq"] + i for i in want], f"{topic} {flt}")
            self.assertEqual([p["data"] for p in got], [published[topic][i] for i in want])
        marker = await gw.apublish_ok([{"topic": "system.notice", "data": {"level": "error", "code": "end",
                                                                            "message": "m"}}])
        [p] = await c.events(1, subs[-1])
        self.assertEqual(p["seq"], marker["first_seq"])
        self.assertEqual(c.inbox, [], "no event beyond the matching ones")

    async def test_data_is_delivered_as_published(self):
        gw = self.gateway()
        c = await self.client(gw.ws_url)
        sid = (await c.subscribe("system.notice"))["subscription"]
        data = {"level": "info", "code": "text",
                "message": "ünïcødé \u2028 \"quoted\" \\ back/slash \t tab \u0000 nul 🚀",
                "nested": {"list": [1, -2, 3.5, True, False, None, "x"], "empty": {}, "big": 18446744073709551615},
                "price_rate": 9007199254740993}
        ack = await gw.apublish_ok([{"topic": "system.notice", "data": data}])
        [p] = await c.events(1, sid)
        self.assertEqual(p["seq"], ack["first_seq"])
        self.assertEqual(p["data"], data)
        page = gw.history(topic="system.notice", limit=10)
        self.assertEqual(page["events"][0]["data"], data)

    async def test_integers_beyond_64_bits_are_kept_or_refused_never_altered(self):
        # docs/events.md: numbers must be representable (1e999 is refused) and data is delivered as
        # stored. An integer past 64 bits either keeps its exact value or is refused; it must not turn
        # into a different, rounded number.
        gw = self.gateway()
        c = await self.client(gw.ws_url)
        sid = (await c.subscribe("system.notice"))["subscription"]
        raw = b'{"topic":"system.notice","data":{"level":"info","code":"big","message":"m","n":123456789012345678901}}'
        status, body = gw.publish(None, raw=raw)
        if status != 200:
            self.assertEqual(status, 400, body)
            return
        [p] = await c.events(1, sid)
        self.assertEqual(p["data"]["n"], 123456789012345678901,
                         f"published 123456789012345678901, delivered {c.raw[-1]}")


if __name__ == "__main__":
    harness.main()

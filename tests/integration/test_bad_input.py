"""Bad input on every surface gets its specific, documented answer: JSON-RPC errors that leave the
connection usable, limits that close it with a code, and HTTP publish errors that name the field.
A refused publish batch stores nothing."""

import json

import websockets

import harness
from harness import GatewayTestCase, block, notice, price

EPOCH_LIKE = "0123456789abcdef"


def req(method, params=None, rid=1, **extra):
    msg = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        msg["params"] = params
    msg.update(extra)
    return json.dumps(msg)


def sub(params, rid=1):
    return req("subscribe", params, rid)


# (what, raw message, JSON-RPC code, data.field or None when any, id the reply must carry)
BAD_MESSAGES = [
    ("not JSON", "this is not json", -32700, None, None),
    ("truncated JSON", '{"jsonrpc":"2.0","id":1,"method":"ping"', -32700, None, None),
    ("a JSON string", '"subscribe"', -32600, None, None),
    ("a JSON number", "42", -32600, None, None),
    ("a batch array", '[{"jsonrpc":"2.0","id":1,"method":"ping"}]', -32600, None, None),
    ("jsonrpc 1.0", json.dumps({"jsonrpc": "1.0", "id": 3, "method": "ping"}), -32600, "jsonrpc", 3),
    ("jsonrpc missing", json.dumps({"id": 4, "method": "ping"}), -32600, "jsonrpc", 4),
    ("jsonrpc as number", json.dumps({"jsonrpc": 2.0, "id": 5, "method": "ping"}), -32600, "jsonrpc", 5),
    ("method missing", json.dumps({"jsonrpc": "2.0", "id": 6}), -32600, "method", 6),
    ("method not a string", json.dumps({"jsonrpc": "2.0", "id": 7, "method": 1}), -32600, "method", 7),
    ("id an object", json.dumps({"jsonrpc": "2.0", "id": {"a": 1}, "method": "ping"}), -32600, "id", None),
    ("unknown request member", req("ping", rid=8, extra=1), -32600, "extra", 8),
    ("unknown method", req("frobnicate", rid=9), -32601, "method", 9),
    ("subscribe without params", req("subscribe", rid=10), -32602, "params", 10),
    ("params an array", sub(["dex.price"], 11), -32602, "params", 11),
    ("topic missing", sub({}, 12), -32602, "params.topic", 12),
    ("topic a number", sub({"topic": 42}, 13), -32602, "params.topic", 13),
    ("topic empty", sub({"topic": ""}, 14), -32602, "params.topic", 14),
    ("unknown topic", sub({"topic": "chain.blok"}, 15), -32001, "params.topic", 15),
    ("filter a string", sub({"topic": "dex.offer", "filter": "market=XMR/BTC"}, 16), -32602, "params.filter", 16),
    ("filter an array", sub({"topic": "dex.offer", "filter": [["market", "XMR/BTC"]]}, 17), -32602, "params.filter", 17),
    ("filter value a number", sub({"topic": "dex.offer", "filter": {"market": 5}}, 18), -32602,
     "params.filter.market", 18),
    ("filter value an empty array", sub({"topic": "dex.offer", "filter": {"market": []}}, 19), -32602,
     "params.filter.market", 19),
    ("filter array with a number", sub({"topic": "dex.offer", "filter": {"market": ["XMR/BTC", 1]}}, 20), -32602,
     "params.filter.market", 20),
    ("filter value an object", sub({"topic": "dex.offer", "filter": {"market": {"eq": "XMR/BTC"}}}, 21), -32602,
     "params.filter.market", 21),
    ("filter value null", sub({"topic": "dex.offer", "filter": {"market": None}}, 22), -32602,
     "params.filter.market", 22),
    ("filter key empty", sub({"topic": "dex.offer", "filter": {"": "x"}}, 23), -32602, None, 23),
    ("filter value too long", sub({"topic": "dex.offer", "filter": {"market": "x" * 300}}, 24), -32602, None, 24),
    ("since not a cursor", sub({"topic": "dex.price", "since": "yesterday"}, 25), -32602, "params.since", 25),
    ("since a number", sub({"topic": "dex.price", "since": 1042}, 26), -32602, "params.since", 26),
    ("since short epoch", sub({"topic": "dex.price", "since": "7d3f:12"}, 27), -32602, "params.since", 27),
    ("since upper-case epoch", sub({"topic": "dex.price", "since": EPOCH_LIKE.upper() + ":1"}, 28), -32602,
     "params.since", 28),
    ("since negative seq", sub({"topic": "dex.price", "since": EPOCH_LIKE + ":-1"}, 29), -32602, "params.since", 29),
    ("since without seq", sub({"topic": "dex.price", "since": EPOCH_LIKE + ":"}, 30), -32602, "params.since", 30),
    ("since with trailing text", sub({"topic": "dex.price", "since": EPOCH_LIKE + ":1 "}, 31), -32602,
     "params.since", 31),
    ("unknown params field", sub({"topic": "dex.price", "from": "now"}, 32), -32602, "params.from", 32),
    ("unsubscribe without params", req("unsubscribe", rid=33), -32602, "params", 33),
    ("unsubscribe id a number", req("unsubscribe", {"subscription": 5}, rid=34), -32602, "params.subscription", 34),
    ("unsubscribe unknown id", req("unsubscribe", {"subscription": "s-no-such"}, rid=35), -32006,
     "params.subscription", 35),
    ("ping with params", req("ping", ["x"], rid=36), -32602, "params", 36),
    ("filter with too many keys", sub({"topic": "dex.offer", "filter": {f"k{i}": "v" for i in range(17)}}, 37),
     -32602, "params.filter", 37),
    ("filter key with too many values", sub({"topic": "dex.offer", "filter": {"market": [f"m{i}" for i in range(65)]}},
                                            38), -32602, "params.filter.market", 38),
    ("params null for subscribe", '{"jsonrpc":"2.0","id":39,"method":"subscribe","params":null}', -32602, "params", 39),
    ("string id and unknown method", req("nope", rid="r-40"), -32601, "method", "r-40"),
]


class WebSocketBadInputTest(GatewayTestCase):

    async def test_each_bad_message_gets_its_error_and_the_connection_stays_usable(self):
        gw = self.gateway()
        c = await self.client(gw.ws_url)
        for what, raw, code, field, rid in BAD_MESSAGES:
            with self.subTest(what):
                await c.send_raw(raw)
                reply = await c.raw_reply()
                self.assertEqual(reply.get("jsonrpc"), "2.0", f"{what}: sent {raw!r}, got {reply}")
                self.assertEqual(reply.get("id", "missing"), rid, f"{what}: sent {raw!r}, got {reply}")
                self.assertNotIn("result", reply, f"{what}: sent {raw!r}, got {reply}")
                error = reply.get("error", {})
                self.assertEqual(error.get("code"), code, f"{what}: sent {raw!r}, got {reply}")
                self.assertIsInstance(error.get("message"), str)
                self.assertTrue(error.get("message"))
                if field is not None:
                    self.assertEqual(error.get("data", {}).get("field"), field, f"{what}: sent {raw!r}, got {reply}")
                self.assertEqual(await c.ping(), "pong", f"connection unusable after {what}")
        self.assertEqual(c.inbox, [])
        self.assertEqual(c.unclaimed, [])

    async def test_binary_frame_is_refused_and_the_connection_stays_usable(self):
        gw = self.gateway()
        c = await self.client(gw.ws_url)
        await c.send_raw(req("ping").encode())
        reply = await c.raw_reply()
        self.assertEqual(reply["error"]["code"], -32600, reply)
        self.assertEqual(await c.ping(), "pong")

    async def test_duplicate_subscription(self):
        gw = self.gateway()
        c = await self.client(gw.ws_url)
        first = await c.subscribe("dex.offer", filter={"market": "XMR/BTC", "currency": ["BTC", "EUR"]})
        # Same topic and filter written differently (key order, value order): still the same one.
        reply = await c.call("subscribe", {"topic": "dex.offer",
                                           "filter": {"currency": ["EUR", "BTC"], "market": "XMR/BTC"}})
        self.assertEqual(reply.get("error", {}).get("code"), -32005, reply)
        self.assertEqual(await c.ping(), "pong")
        # A different filter is a different subscription.
        other = await c.subscribe("dex.offer", filter={"market": "XMR/BTC"})
        self.assertNotEqual(other["subscription"], first["subscription"])
        # Only one copy of each event arrives on the original subscription.
        ack = await gw.apublish_ok([harness.offer(1, market="XMR/BTC", currency="EUR")])
        got = await c.events(2)
        self.assertEqual(sorted(p["subscription"] for p in got), sorted([first["subscription"], other["subscription"]]))
        self.assertTrue(all(p["seq"] == ack["first_seq"] for p in got))

    async def test_too_many_subscriptions(self):
        gw = self.gateway(config=harness.limits_config(max_subscriptions=3))
        c = await self.client(gw.ws_url)
        ids = [(await c.subscribe(t))["subscription"] for t in ("dex.price", "dex.offer", "chain.block")]
        reply = await c.call("subscribe", {"topic": "system.notice"})
        self.assertEqual(reply.get("error", {}).get("code"), -32002, reply)
        self.assertEqual(await c.ping(), "pong")
        # The refused one does not exist: a notice is not delivered (a price published after it is).
        await gw.apublish_ok([notice("not-for-us")])
        marker = await gw.apublish_ok([price(1)])
        [p] = await c.events(1)
        self.assertEqual((p["subscription"], p["seq"]), (ids[0], marker["first_seq"]))
        # Freeing a slot makes room again.
        self.assertIs(await c.request("unsubscribe", {"subscription": ids[0]}), True)
        sid = (await c.subscribe("system.notice"))["subscription"]
        ack = await gw.apublish_ok([notice("for-us")])
        [p] = await c.events(1)
        self.assertEqual((p["subscription"], p["seq"], p["data"]["code"]), (sid, ack["first_seq"], "for-us"))
        # The limit is per connection: another client has its own three.
        other = await self.client(gw.ws_url)
        for t in ("dex.price", "dex.offer", "chain.block"):
            await other.subscribe(t)

    async def test_rate_limit_replies_then_closes_a_persistent_abuser(self):
        burst, close_after = 5, 20
        gw = self.gateway(config=harness.limits_config(rate_per_second=0.01, rate_burst=burst,
                                                       abuse_close_after=close_after))
        c = await self.client(gw.ws_url)
        for _ in range(burst):
            self.assertEqual(await c.ping(), "pong")
        reply = await c.call("ping")
        self.assertEqual(reply.get("error", {}).get("code"), -32003, reply)
        self.assertEqual(reply["id"], c._next_id - 1, "the refusal answers the refused request")
        self.assertEqual(gw.metric(harness.M_RATE_HITS), 1)

        # Keep going without waiting for answers: the gateway closes with 1008.
        for i in range(close_after * 3):
            try:
                await c.send_raw(req("ping", rid=1000 + i))
            except websockets.ConnectionClosed:
                break
        code, reason = await c.wait_closed()
        self.assertEqual((code, reason), (1008, "rate limit exceeded"))
        # The close comes with the close_after-th refusal in a row (unanswered); one was answered above.
        refusals = [f for f in c.unclaimed if f.get("error", {}).get("code") == -32003]
        self.assertEqual(len(refusals), close_after - 2, c.unclaimed)
        self.assertEqual([f.get("id") for f in refusals], list(range(1000, 1000 + close_after - 2)))
        self.assertEqual([f for f in c.unclaimed if "result" in f], [], "no request is served over the limit")
        self.assertEqual(gw.metric(harness.M_RATE_CLOSES), 1)
        self.assertEqual(gw.metric(harness.M_RATE_HITS), close_after)
        # Other clients are unaffected.
        other = await self.client(gw.ws_url)
        self.assertEqual(await other.ping(), "pong")

    async def test_message_over_the_size_limit_closes_with_1009(self):
        gw = self.gateway(config=harness.limits_config(max_message_bytes=4096))
        c = await self.client(gw.ws_url)
        fits = req("subscribe", {"topic": "dex.offer", "filter": {"market": "m" * 200}})
        self.assertLess(len(fits), 4096)
        self.assertIn("result", await c.call("subscribe", {"topic": "dex.offer", "filter": {"market": "m" * 200}}))
        await c.send_raw(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "ping", "params": {"pad": "x" * 8000}}))
        code, _ = await c.wait_closed()
        self.assertEqual(code, 1009)
        other = await self.client(gw.ws_url)
        self.assertEqual(await other.ping(), "pong")


class PublishBadInputTest(GatewayTestCase):

    def setUp(self):
        self.gw = self.gateway(config={"publish": {"max_batch": 5, "max_data_bytes": 1024},
                                       "limits": {"max_http_body_bytes": 256 * 1024}})

    def assert_error(self, status_body, status, code, field=None, what=""):
        status_got, body = status_body
        self.assertEqual(status_got, status, f"{what}: {status_got} {body}")
        self.assertIsInstance(body, dict, f"{what}: body is not JSON: {body!r}")
        error = body.get("error", {})
        self.assertEqual(error.get("code"), code, f"{what}: {body}")
        self.assertIsInstance(error.get("message"), str, f"{what}: {body}")
        if field is not None:
            self.assertEqual(error.get("field"), field, f"{what}: {body}")
        return error

    def assert_nothing_stored(self, what):
        page = self.gw.history(limit=1000)
        self.assertEqual(page["events"], [], f"{what}: a refused publish stored events")

    async def test_authentication(self):
        gw = self.gw
        status, body, headers = harness.http_exchange(
            "POST", gw.http_url + "/api/v1/publish", [notice("a")], {"Content-Type": "application/json"})
        self.assertEqual(status, 401, body)
        self.assertTrue(headers.get("WWW-Authenticate", "").startswith("Bearer"), dict(headers))
        status, body, headers = harness.http_exchange(
            "POST", gw.http_url + "/api/v1/publish", [notice("a")],
            {"Content-Type": "application/json", "Authorization": "Bearer not-the-token"})
        self.assertEqual(status, 401, body)
        self.assertIn('error="invalid_token"', headers.get("WWW-Authenticate", ""), dict(headers))
        self.assert_error(gw.publish([notice("a")], token=None), 401, "unauthorized", what="no token")
        self.assert_error(gw.publish([notice("a")], token="wrong-token"), 401, "unauthorized", what="wrong token")
        self.assert_error(gw.publish([notice("a")], headers={"Authorization": f"Basic {gw.token}"}, token=None),
                          401, "unauthorized", what="not a bearer token")
        self.assert_error(gw.publish([notice("a")], token=gw.token + "x"), 401, "unauthorized", what="token prefix")
        self.assert_nothing_stored("unauthorized")
        self.assertEqual(gw.publish([notice("a")])[0], 200)

    async def test_body_errors_name_the_field(self):
        gw = self.gw
        bad_height = block(2)
        bad_height["data"]["height"] = "two"
        no_data = {"topic": "chain.block"}
        extra_member = dict(block(3), seq=7)
        bad_attr = dict(notice("x"), attributes={"k": 5})
        empty_attr = dict(notice("x"), attributes={"k": []})
        cases = [
            ("not JSON", dict(raw=b"{not json"), 400, "parse_error", None),
            ("empty body", dict(raw=b""), 400, None, None),
            ("a JSON string", dict(raw=b'"event"'), 400, "invalid_params", None),
            ("an empty batch", dict(events=[]), 400, "invalid_params", None),
            ("bad field in the second event", dict(events=[block(1), bad_height]), 400, "invalid_params",
             "[1].data.height"),
            ("bad field in a single event", dict(events=bad_height), 400, "invalid_params", "data.height"),
            ("missing data", dict(events=[block(1), no_data]), 400, "invalid_params", "[1].data"),
            ("missing required field", dict(events=[{"topic": "dex.price", "data": {"market": "XMR/BTC"}}]), 400,
             "invalid_params", None),
            ("gateway-assigned member", dict(events=[extra_member]), 400, "invalid_params", "[0].seq"),
            ("attribute value a number", dict(events=[bad_attr]), 400, "invalid_params", None),
            ("attribute value an empty array", dict(events=[empty_attr]), 400, "invalid_params", None),
            ("unknown topic", dict(events=[notice("ok"), {"topic": "chain.blok", "data": {}}]), 400,
             "unknown_topic", "[1].topic"),
            ("topic with bad characters", dict(events=[{"topic": "Chain Block", "data": {}}]), 400, None, None),
            ("number overflowing to infinity", dict(raw=b'{"topic":"mempool.tx","data":{"txid":"a","fee":1e999,"size":1}}'),
             400, None, None),
        ]
        for what, kw, status, code, field in cases:
            with self.subTest(what):
                result = gw.publish(kw.get("events"), raw=kw.get("raw"))
                if code is None:
                    self.assertEqual(result[0], status, f"{what}: {result}")
                    self.assertIn("error", result[1] if isinstance(result[1], dict) else {}, f"{what}: {result}")
                else:
                    self.assert_error(result, status, code, field, what)
        self.assert_nothing_stored("refused bodies")

    async def test_a_batch_is_all_or_nothing(self):
        gw = self.gw
        head = gw.publish_ok([notice("before")])
        c = await self.client(gw.ws_url)
        sid = (await c.subscribe("chain.block"))["subscription"]
        bad = block(3)
        del bad["data"]["prev_hash"]
        self.assert_error(gw.publish([block(1), block(2), bad, block(4)]), 400, "invalid_params", "[2].data.prev_hash")
        # The first event after the refused batch gets the next seq: nothing was stored in between.
        ok = await gw.apublish_ok([block(10)])
        self.assertEqual(ok["first_seq"], head["last_seq"] + 1)
        [p] = await c.events(1, sid)
        self.assertEqual((p["seq"], p["data"]["height"]), (ok["first_seq"], 10))
        page = gw.history(topic="chain.block", limit=100)
        self.assertEqual([e["data"]["height"] for e in page["events"]], [10])

    async def test_limits(self):
        gw = self.gw
        big = notice("big", message="x" * 2000)
        self.assert_error(gw.publish([notice("ok"), big]), 413, "too_large", None, "data over max_data_bytes")
        self.assert_error(gw.publish([notice(f"n{i}") for i in range(6)]), 413, "too_large", None,
                          "batch over max_batch")
        # A body over max_http_body_bytes is refused before it is parsed.
        status, body = gw.publish(None, raw=b"[" + b" " * (300 * 1024) + b"]")
        self.assertEqual(status, 413, body)
        self.assert_nothing_stored("over limits")
        self.assertEqual(gw.publish([notice(f"n{i}") for i in range(5)])[0], 200, "at the limits is fine")

    async def test_wrong_method_is_405_with_allow(self):
        gw = self.gw
        status, body, headers = harness.http_exchange("GET", gw.http_url + "/api/v1/publish")
        self.assertEqual(status, 405, body)
        self.assertIn("POST", headers.get("Allow", ""), dict(headers))
        status, body, headers = harness.http_exchange("POST", gw.http_url + "/api/v1/events", b"{}")
        self.assertEqual(status, 405, body)
        self.assertIn("GET", headers.get("Allow", ""), dict(headers))

    async def test_history_query_errors(self):
        gw = self.gw
        ack = gw.publish_ok([notice("one")])
        epoch, last = harness.cursor_parts(ack["cursor"])
        cases = [
            ("unknown parameter", "topic=system.notice&sinse=" + ack["cursor"], 400, "invalid_params"),
            ("repeated parameter", "topic=system.notice&topic=dex.price", 400, "invalid_params"),
            ("since not a cursor", "since=yesterday", 400, "invalid_params"),
            ("limit zero", "limit=0", 400, "invalid_params"),
            ("limit over the maximum", "limit=1001", 400, "invalid_params"),
            ("limit not a number", "limit=ten", 400, "invalid_params"),
            ("unknown topic", "topic=chain.blok", 400, "unknown_topic"),
            ("cursor ahead", f"since={epoch}:{last + 10}", 400, "cursor_ahead"),
        ]
        for what, query, status, code in cases:
            with self.subTest(what):
                self.assert_error(gw.request("GET", "/api/v1/events?" + query), status, code, what=what)
        # The encoded colon is the same cursor.
        status, body = gw.request("GET", f"/api/v1/events?since={epoch}%3A0&limit=10")
        self.assertEqual(status, 200, body)
        self.assertEqual([e["seq"] for e in body["events"]], [last])


class PublishDisabledTest(GatewayTestCase):

    async def test_without_a_token_configured_publishing_is_forbidden(self):
        gw = self.gateway(token=None)
        for token in (None, "anything"):
            status, body = gw.publish([notice("a")], token=token)
            self.assertEqual(status, 403, body)
            self.assertEqual(body.get("error", {}).get("code"), "forbidden", body)
        self.assertEqual(gw.history(limit=10)["events"], [])


if __name__ == "__main__":
    harness.main()

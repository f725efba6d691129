"""ar.io subscribe at /ar (seed 004; docs/protocol/ario.md) against the real gateway: accepted with
uuid v4 ids, every denial reason, filters where every condition must hold, one message per publish
with every match, unsubscribe, per-connection limits, subscriptions that die with the connection,
the WS_* variables, and the same events on herald.v1."""

import re

import websockets

import harness
from harness import GatewayTestCase, JsonClient, block, chain_tx, ws_url

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def method(name):
    return lambda f: f.get("method") == name


def msg_for(sub):
    return lambda f: f.get("method") == "ar_subscribe_msg" and f.get("params", {}).get("subscription") == sub


class ArioTest(GatewayTestCase):
    async def ar(self, gw, path="/ar", **kw):
        c = await JsonClient.connect(ws_url(gw, path), **kw)
        self.addAsyncCleanup(c.close)
        return c

    async def subscribe(self, c, event, params=None):
        await c.send({"method": "ar_subscribe", "event": event, "params": params})
        reply = await c.take(lambda f: f.get("method", "").startswith("ar_subscribe_") and
                             f["method"] != "ar_subscribe_msg")
        return reply

    async def accepted(self, c, event, params=None):
        reply = await self.subscribe(c, event, params)
        self.assertEqual(reply["method"], "ar_subscribe_accepted", reply)
        self.assertEqual(set(reply), {"method", "result"})
        self.assertRegex(reply["result"], UUID4)
        return reply["result"]

    async def test_seed_example_subscribe_and_notification(self):
        gw = self.gateway()
        c = await self.ar(gw)
        sub = await self.accepted(c, "new_tx", None)
        await gw.apublish_ok([chain_tx("FPDHr4gKD", owner="sb7fS07r5", tags=[("App-Name", "x")]),
                              chain_tx("4d0G6Nk4z", owner="pnqyui51Q", target="t")])
        msg = await c.take(msg_for(sub))
        self.assertEqual(set(msg), {"method", "params", "result"})
        self.assertEqual(msg["params"], {"subscription": sub})
        self.assertEqual([t["id"] for t in msg["result"]], ["FPDHr4gKD", "4d0G6Nk4z"])
        self.assertEqual(msg["result"][0]["owner"], "sb7fS07r5")
        self.assertEqual(msg["result"][0]["tags"], [{"name": "App-Name", "value": "x"}])
        self.assertEqual(msg["result"][0]["reward"], 1000)

    async def test_every_subscription_gets_its_own_uuid(self):
        gw = self.gateway()
        a, b = await self.ar(gw), await self.ar(gw)
        ids = {await self.accepted(a, "new_tx"), await self.accepted(a, "new_tx"), await self.accepted(b, "new_tx")}
        self.assertEqual(len(ids), 3)

    async def test_denied_for_bad_params_and_unknown_event(self):
        gw = self.gateway()
        c = await self.ar(gw)
        cases = [("new_tx", {"owner": 7}, "bad_params"),
                 ("new_tx", {"tags": [{"name": "A"}]}, "bad_params"),
                 ("new_tx", {"sender": "x"}, "bad_params"),
                 ("new_block", {"owner": "x"}, "bad_params"),
                 ("new_gift", None, "unknown_event")]
        for event, params, reason in cases:
            reply = await self.subscribe(c, event, params)
            self.assertEqual(reply["method"], "ar_subscribe_denied", (event, params, reply))
            self.assertEqual(reply["result"]["reason"], reason, (event, params, reply))
            self.assertTrue(reply["result"]["message"])
        await c.send("not json")
        err = await c.take(method("ar_error"))
        self.assertEqual(err["result"]["reason"], "bad_request")
        self.assertFalse(c.closed)
        await self.accepted(c, "new_block")  # still usable

    async def test_limit_reached(self):
        gw = self.gateway(config={"dialects": {"ario_max_subscriptions": 2}})
        c = await self.ar(gw)
        first = await self.accepted(c, "new_tx")
        await self.accepted(c, "new_block")
        denied = await self.subscribe(c, "new_tx")
        self.assertEqual(denied["method"], "ar_subscribe_denied")
        self.assertEqual(denied["result"]["reason"], "limit_reached")
        await c.send({"method": "ar_unsubscribe", "params": {"subscription": first}})
        await c.take(method("ar_unsubscribe_accepted"))
        await self.accepted(c, "new_tx")  # room again

    async def test_rate_limited(self):
        gw = self.gateway(config={"dialects": {"ario_rate_per_second": 0.01, "ario_rate_burst": 3}})
        c = await self.ar(gw)
        for _ in range(3):
            await self.accepted(c, "new_block")
        denied = await self.subscribe(c, "new_block")
        self.assertEqual(denied["method"], "ar_subscribe_denied")
        self.assertEqual(denied["result"]["reason"], "rate_limited")
        other = await self.ar(gw)  # per connection: another client is not affected
        await self.accepted(other, "new_block")

    async def test_tag_filters_all_must_hold(self):
        gw = self.gateway()
        c = await self.ar(gw)
        both = await self.accepted(c, "new_tx", {"tags": [{"name": "App-Name", "value": "ArDrive"},
                                                         {"name": "Content-Type", "value": "image/png"}]})
        owner = await self.accepted(c, "new_tx", {"owner": "alice", "tags": [{"name": "App-Name", "value": "ArDrive"}]})
        await gw.apublish_ok([
            chain_tx("t1", owner="alice", tags=[("App-Name", "ArDrive"), ("Content-Type", "image/png")]),
            chain_tx("t2", owner="bob", tags=[("App-Name", "ArDrive")]),
            chain_tx("t3", owner="bob", tags=[("App-Name", "ArDrive"), ("Content-Type", "image/png")]),
            chain_tx("t4", owner="alice", tags=[("Content-Type", "image/png")]),
            chain_tx("t5", owner="alice", tags=[("App-Name", "ArDrive")]),
        ])
        m_both = await c.take(msg_for(both))
        self.assertEqual([t["id"] for t in m_both["result"]], ["t1", "t3"])
        m_owner = await c.take(msg_for(owner))
        self.assertEqual([t["id"] for t in m_owner["result"]], ["t1", "t5"])

    async def test_matches_of_one_publish_come_in_one_message(self):
        gw = self.gateway()
        c = await self.ar(gw)
        sub = await self.accepted(c, "new_tx", {"target": "shop"})
        blocks = await self.accepted(c, "new_block")
        await gw.apublish_ok([chain_tx(f"a{i}", target="shop") for i in range(5)] + [chain_tx("x", target="other")])
        await gw.apublish_ok([chain_tx("b0", target="shop")])
        first = await c.take(msg_for(sub))
        self.assertEqual([t["id"] for t in first["result"]], [f"a{i}" for i in range(5)])
        second = await c.take(msg_for(sub))
        self.assertEqual([t["id"] for t in second["result"]], ["b0"])
        # new_block: one Block per message, not an array.
        await gw.apublish_ok([block(1520000)])
        b = await c.take(msg_for(blocks))
        self.assertEqual(b["result"]["height"], 1520000)
        self.assertEqual(b["result"]["indep_hash"], f"{1520000:064x}")
        self.assertEqual(b["result"]["previous_block"], f"{1519999:064x}")
        self.assertEqual(b["result"]["timestamp"], (1732450000000 + 1520000) // 1000)
        self.assertEqual(b["result"]["txs"], [])
        self.assertEqual([f for f in c.inbox if msg_for(sub)(f[1])], [])

    async def test_only_events_after_subscribing(self):
        gw = self.gateway(args=["--workers", "1"])
        watcher = await self.client(gw.ws_url)
        watched = (await watcher.subscribe("chain.tx"))["subscription"]
        await gw.apublish_ok([chain_tx("before")])
        await watcher.events(1, watched)  # the (only) worker has published it: it is in the past now
        c = await self.ar(gw)
        sub = await self.accepted(c, "new_tx")
        await gw.apublish_ok([chain_tx("after")])
        msg = await c.take(msg_for(sub))
        self.assertEqual([t["id"] for t in msg["result"]], ["after"])

    async def test_unsubscribe_stops_messages(self):
        gw = self.gateway()
        c = await self.ar(gw)
        gone = await self.accepted(c, "new_tx")
        kept = await self.accepted(c, "new_block")
        await c.send({"method": "ar_unsubscribe", "params": {"subscription": gone}})
        self.assertEqual(await c.take(method("ar_unsubscribe_accepted")),
                         {"method": "ar_unsubscribe_accepted", "result": gone})
        await gw.apublish_ok([chain_tx("t1")])
        await gw.apublish_ok([block(7)])  # a barrier: everything of the publish before is written first
        await c.take(msg_for(kept))
        self.assertEqual([f for f in c.frames if msg_for(gone)(f)], [])

        await c.send({"method": "ar_unsubscribe", "params": {"subscription": gone}})
        denied = await c.take(method("ar_unsubscribe_denied"))
        self.assertEqual(denied["result"]["reason"], "unknown_subscription")

    async def test_subscriptions_die_with_their_connection(self):
        gw = self.gateway()
        c = await self.ar(gw)
        await self.accepted(c, "new_tx")
        await self.accepted(c, "new_block")
        await gw.await_metric(harness.M_SUBSCRIPTIONS, lambda v: v == 2)
        await c.close()
        await gw.await_metric(harness.M_SUBSCRIPTIONS, lambda v: v == 0, what="subscriptions after close")

    async def test_herald_v1_sees_the_same_events(self):
        gw = self.gateway()
        c = await self.ar(gw)
        sub = await self.accepted(c, "new_tx", {"owner": "alice"})
        v1 = await self.client(gw.ws_url)
        v1_sub = (await v1.subscribe("chain.tx", {"owner": "alice"}))["subscription"]
        await gw.apublish_ok([chain_tx("t1", owner="alice"), chain_tx("t2", owner="bob"), chain_tx("t3", owner="alice")])
        msg = await c.take(msg_for(sub))
        events = await v1.events(2, v1_sub)
        self.assertEqual([t["id"] for t in msg["result"]], [e["data"]["txid"] for e in events])

    async def test_ws_enabled_false_unmounts(self):
        gw = self.gateway(env={"WS_ENABLED": "false"})
        with self.assertRaises(websockets.InvalidStatusCode) as refused:
            await websockets.connect(ws_url(gw, "/ar"), open_timeout=harness.WAIT)
        self.assertEqual(refused.exception.status_code, 404)

    async def test_ws_cors_limits_browser_origins(self):
        gw = self.gateway(env={"WS_CORS": "https://app.example"})
        with self.assertRaises(websockets.InvalidStatusCode) as refused:
            await websockets.connect(ws_url(gw, "/ar"), origin="https://evil.example", open_timeout=harness.WAIT)
        self.assertEqual(refused.exception.status_code, 403)
        c = await self.ar(gw, origin="https://app.example")
        await self.accepted(c, "new_block")
        # Other dialects are not affected by WS_CORS.
        v1 = await self.client(gw.ws_url, origin="https://evil.example")
        self.assertEqual(await v1.ping(), "pong")

    async def test_ws_port_adds_a_listener_serving_ar_only(self):
        gw = self.gateway(env={"WS_PORT": "0"})
        self.assertEqual(len(gw.tcp_endpoints()), 2)
        host, port = gw.tcp_endpoints()[1]
        c = await JsonClient.connect(f"ws://{host}:{port}/ar")
        self.addAsyncCleanup(c.close)
        await self.accepted(c, "new_tx")
        # The ar.io port is ar.io's: other mounts are not upgraded there, but stay on the main port.
        for path in ("/ws", "/events", "/dex"):
            with self.assertRaises(websockets.InvalidStatusCode) as refused:
                await websockets.connect(f"ws://{host}:{port}{path}", open_timeout=harness.WAIT)
            self.assertEqual(refused.exception.status_code, 404, path)
        main = await self.client(gw.ws_url)
        self.assertEqual(await main.ping(), "pong")


if __name__ == "__main__":
    harness.main()

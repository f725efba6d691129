"""The http-poll source against a small HTTP server in this test that replays recorded responses
(a Signum node's getBlockchainStatus, field names as signum-node answers them): a changed response
becomes one event on /ws, unchanged responses emit nothing, a response missing a mapped field or not
JSON or an HTTP error degrades the source in /healthz (naming the pointer or the status) without an
event, and an upstream that is gone shows as down in /healthz and /metrics. One case polls a real
regtest monerod's get_info over JSON-RPC when Debian's monero package is installed."""

import asyncio
import http.server
import json
import os
import tempfile
import threading

import harness
import monero_fixture
from harness import GatewayTestCase

SIGNUM_TOPIC = "signum.status"

# Recorded from a Signum node's /burst?requestType=getBlockchainStatus (values shortened).
SIGNUM_A = {
    "application": "BRS", "version": "v3.8.2", "time": 293845121,
    "lastBlock": "11527463389148261920", "lastBlockTimestamp": 293845040,
    "cumulativeDifficulty": "118497541419410380418", "averageCommitmentNQT": 1285464713426,
    "numberOfBlocks": 1319342, "lastBlockchainFeeder": "94.130.14.23", "lastBlockchainFeederHeight": 1319341,
    "isScanning": False, "requestProcessingTime": 0,
}
SIGNUM_B = dict(SIGNUM_A, time=293845361, lastBlock="4270329125486125811", lastBlockTimestamp=293845288,
                numberOfBlocks=1319343, lastBlockchainFeederHeight=1319342)

SIGNUM_DEFINITION = {
    "url": "http://127.0.0.1:1/burst?requestType=getBlockchainStatus",  # url= in the spec points it
    "topic": SIGNUM_TOPIC,
    "fields": {"height": "/numberOfBlocks", "block": "/lastBlock", "timestamp": "/lastBlockTimestamp",
               "scanning": "/isScanning"},
    "attributes": {"application": "/application"},
    "key": "/lastBlock",
}


class ReplayServer:
    """Serves the current (status, body) to every request; counts requests as they arrive so a test
    can await "the source polled N more times" instead of sleeping. The source polls one request at
    a time, so the second arrival after serve() means the first answer to it was fully handled."""

    def __init__(self):
        self.lock = threading.Condition()
        self.reply = (200, json.dumps(SIGNUM_A))
        self.requests = 0
        self.paths = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with outer.lock:
                    status, body = outer.reply
                    outer.paths.append(self.path)
                    outer.requests += 1
                    outer.lock.notify_all()
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/burst?requestType=getBlockchainStatus"

    def serve(self, status, body):
        with self.lock:
            self.reply = (status, body if isinstance(body, str) else json.dumps(body))

    def wait_requests(self, more, timeout=harness.WAIT):
        """Blocks until `more` requests beyond the current count were answered."""
        with self.lock:
            target = self.requests + more
            if not self.lock.wait_for(lambda: self.requests >= target, timeout):
                raise AssertionError(f"the source made {self.requests} of {target} requests within {timeout} s")

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def write_definition(workdir, definition):
    path = os.path.join(workdir, "definition.json")
    with open(path, "w") as f:
        json.dump(definition, f)
    return path


async def subscribe_from_start(gw, c, topic, filter=None):
    _, health = gw.request("GET", "/healthz")
    return (await c.subscribe(topic, filter=filter, since=f"{health['epoch']}:0"))["subscription"]


def source_health(gw, name):
    status, body = gw.request("GET", "/healthz")
    assert status == 200, (status, body)
    for s in body.get("sources", []):
        if s["name"] == name:
            return body, s
    raise AssertionError(f"no source {name} in /healthz: {body}")


class HttpPollTest(GatewayTestCase):

    def setUp(self):
        self.server = ReplayServer()
        self.addCleanup(self.server.close)
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def start(self, definition=SIGNUM_DEFINITION, url=None, name="signum", interval_ms=50):
        path = write_definition(self.tmp.name, definition)
        # backoff_max_ms at its floor: a failing poll is retried every 250 ms, within a test's patience.
        spec = (f"http-poll:name={name},config={path},url={url or self.server.url},interval_ms={interval_ms},"
                "backoff_max_ms=250")
        return self.gateway(args=["--source", spec, "--extra-topic", SIGNUM_TOPIC])

    async def subscribe_from_start(self, gw, c, topic=SIGNUM_TOPIC, filter=None):
        """Subscribes from the start of the log, so the first poll's event is seen even when it was
        committed before the subscription."""
        return await subscribe_from_start(gw, c, topic, filter)

    async def test_changes_become_events_and_repeats_emit_nothing(self):
        gw = self.start()
        c = await self.client(gw.ws_url)
        # Filtered on the mapped attribute: the events arriving prove it is there.
        sub = await self.subscribe_from_start(gw, c, filter={"application": "BRS"})
        first = (await c.events(1, sub))[0]
        self.assertEqual(first["data"], {"height": 1319342, "block": "11527463389148261920",
                                         "timestamp": 293845040, "scanning": False})
        self.assertTrue(self.server.paths[0].endswith("/burst?requestType=getBlockchainStatus"))

        # Unchanged key (time moved, lastBlock did not): several polls, no event. The source counts
        # an event before handing it over, so the counter is the exact check; the inbox a second one.
        self.server.serve(200, dict(SIGNUM_A, time=SIGNUM_A["time"] + 5))
        await asyncio.to_thread(self.server.wait_requests, 6)
        _, health = source_health(gw, "signum")
        self.assertEqual(health["state"], "ok", health)
        self.assertEqual(health["counters"]["events"], 1, health)
        self.assertGreaterEqual(health["counters"]["unchanged"], 5)
        await c.ping()
        self.assertEqual(c.pending_for(sub), [], "an unchanged key must emit nothing")

        self.server.serve(200, SIGNUM_B)
        event = (await c.events(1, sub))[0]
        self.assertEqual(event["topic"], SIGNUM_TOPIC)
        self.assertEqual(event["data"]["height"], 1319343)
        self.assertEqual(event["data"]["block"], "4270329125486125811")
        history = gw.history(topic=SIGNUM_TOPIC)  # the event was delivered, so it is committed
        self.assertEqual([e["data"]["height"] for e in history["events"]], [1319342, 1319343])
        self.assertEqual(history["events"][0]["attributes"], {"application": "BRS"})

    async def test_bad_responses_degrade_the_source_and_name_the_cause(self):
        gw = self.start()
        c = await self.client(gw.ws_url)
        sub = await self.subscribe_from_start(gw, c)
        await c.events(1, sub)
        cases = [
            (200, {k: v for k, v in SIGNUM_B.items() if k != "lastBlockTimestamp"},
             "/lastBlockTimestamp (field timestamp) is not in the response"),
            (200, "<html>maintenance</html>", "invalid JSON"),
            (503, {"errorCode": 1}, "answered HTTP 503"),
        ]
        for status, body, expected in cases:
            self.server.serve(status, body)
            await asyncio.to_thread(self.server.wait_requests, 2)
            overall, health = source_health(gw, "signum")
            self.assertEqual(overall["status"], "degraded", overall)
            self.assertEqual(health["state"], "degraded", health)
            self.assertIn(expected, health["detail"])
        self.assertEqual(health["counters"]["events"], 1, "a bad response emits nothing")
        self.assertGreaterEqual(health["counters"]["mapping_failures"], 1)
        self.assertEqual(gw.metric("herald_source_up", {"source": "signum"}), 0)
        self.assertEqual(c.pending_for(sub), [])

        self.server.serve(200, SIGNUM_B)  # recovers: ok again, and the change is published
        await asyncio.to_thread(self.server.wait_requests, 2)
        overall, health = source_health(gw, "signum")
        self.assertEqual((overall["status"], health["state"], health["detail"]), ("ok", "ok", ""))
        self.assertEqual((await c.events(1, sub))[0]["data"]["height"], 1319343)
        self.assertEqual(gw.metric("herald_source_up", {"source": "signum"}), 1)

    async def test_a_stopped_upstream_is_down_in_healthz_and_metrics(self):
        port = monero_fixture.free_port()  # nothing listens there: connections are refused
        gw = self.start(url=f"http://127.0.0.1:{port}/burst?requestType=getBlockchainStatus", name="gone")
        await gw.await_metric("herald_source_events_total", lambda v: v >= 1,
                              labels={"source": "gone", "kind": "poll_failures"})
        overall, health = source_health(gw, "gone")
        self.assertEqual(overall["status"], "degraded")
        self.assertEqual(health["state"], "down")
        self.assertIn(f"127.0.0.1:{port}", health["detail"])
        self.assertEqual(health["last_event_ms"], 0)
        self.assertEqual(gw.metric("herald_source_up", {"source": "gone"}), 0)
        self.assertEqual(gw.metric("herald_source_state", {"source": "gone", "state": "down"}), 1)
        self.assertIsNone(gw.metric("herald_source_last_event_age_seconds", {"source": "gone"}))

    def test_configuration_errors_stop_the_start(self):
        path = write_definition(self.tmp.name, dict(SIGNUM_DEFINITION, key="lastBlock"))
        gw = harness.Gateway(args=["--source", f"http-poll:config={path}", "--extra-topic", SIGNUM_TOPIC])
        self.addCleanup(gw.close)
        with self.assertRaises(harness.GatewayError):
            gw.start()
        self.assertIn("key: 'lastBlock' is not a JSON Pointer", gw.log_text())

        path = write_definition(self.tmp.name, SIGNUM_DEFINITION)
        gw = harness.Gateway(args=["--source", f"http-poll:config={path}"])  # topic not declared
        self.addCleanup(gw.close)
        with self.assertRaises(harness.GatewayError):
            gw.start()
        self.assertIn("topic 'signum.status' is neither a catalog topic nor declared", gw.log_text())


class HttpPollMonerodTest(monero_fixture.OneNodeLab, GatewayTestCase):
    """get_info from a real regtest monerod over JSON-RPC POST, keyed on the height."""

    async def test_get_info_becomes_an_event_per_new_height(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        definition = {
            "url": self.node.rpc_url + "/json_rpc",
            "body": {"jsonrpc": "2.0", "id": "0", "method": "get_info"},
            "topic": "monerod.info",
            "fields": {"height": "/result/height", "top_block_hash": "/result/top_block_hash",
                       "version": "/result/version", "synchronized": "/result/synchronized"},
            "attributes": {"network": "/result/nettype"},
            "key": "/result/height",
        }
        path = write_definition(tmp.name, definition)
        gw = self.gateway(args=["--source", f"http-poll:name=get_info,config={path},interval_ms=100",
                                "--extra-topic", "monerod.info"])
        c = await self.client(gw.ws_url)
        tip_height, _ = self.node.tip()
        height = tip_height + 1  # get_info counts blocks; the top block's height is one less
        # monerod calls its regtest network "fakechain" in get_info.
        sub = await subscribe_from_start(gw, c, "monerod.info", {"network": "fakechain"})
        first = (await c.events(1, sub))[0]
        self.assertEqual(first["data"]["height"], height)
        hashes = await asyncio.to_thread(self.node.generate, 1)
        event = await c.events_until(lambda e: e["data"]["height"] == height + 1, sub)
        data = event[-1]["data"]
        self.assertEqual(data["top_block_hash"], hashes[0])
        self.assertTrue(data["version"].startswith("0.18"), data)


if __name__ == "__main__":
    harness.main()

"""Operating the gateway: /healthz, /metrics (every required metric, values that follow the traffic),
graceful SIGTERM (close 1001, exit 0, nothing acknowledged lost), --help, configuration precedence
(flag over environment over file), and the `herald sub` / `herald publish` CLI round trip."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import threading

import harness
from harness import GatewayTestCase, price

REQUIRED_METRICS = {
    harness.M_CONNECTIONS: "gauge",
    harness.M_SUBSCRIPTIONS: "gauge",
    harness.M_QUEUE_BYTES: "gauge",
    harness.M_EVENTS_IN: "counter",
    harness.M_EVENTS_OUT: "counter",
    harness.M_BYTES_OUT: "counter",
    harness.M_SLOW_CLOSES: "counter",
    harness.M_RATE_HITS: "counter",
    harness.M_LATENCY: "histogram",
}

SERVE_FLAGS = ["--listen", "--unix", "--listen-tls", "--tls-cert", "--tls-key", "--data-dir", "--config",
               "--publish-token", "--no-demo", "--queue-bytes", "--max-connections", "--max-subscriptions",
               "--max-message-bytes", "--allowed-origin", "--retention-max-events"]


def occupied_port():
    """A listening socket on a port nobody else can bind while it is open."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s, s.getsockname()[1]


class OperationsTest(GatewayTestCase):

    async def test_healthz(self):
        gw = self.gateway()
        status, body = gw.request("GET", "/healthz")
        self.assertEqual(status, 200, body)
        self.assertEqual(body.get("status"), "ok", body)
        self.assertRegex(body.get("epoch", ""), r"^[0-9a-f]{16}$")
        self.assertEqual(body.get("head"), body["epoch"] + ":0", "seq 0: nothing stored yet")
        ack = gw.publish_ok([price(1), price(2)])
        status, body = gw.request("GET", "/healthz")
        self.assertEqual((status, body.get("head")), (200, ack["cursor"]))

    async def test_metrics_are_all_there_and_follow_the_traffic(self):
        gw = self.gateway()
        m = gw.metrics()
        for name, kind in REQUIRED_METRICS.items():
            self.assertEqual(m["types"].get(name), kind, f"{name} should be a {kind}: {m['types'].get(name)}")
        for name in (f"{harness.M_LATENCY}_sum", f"{harness.M_LATENCY}_count"):
            self.assertIsNotNone(harness.metric_value(m, name), name)
        buckets = [(ls["le"], v) for n, ls, v in m["samples"] if n == f"{harness.M_LATENCY}_bucket"]
        self.assertGreater(len(buckets), 3)
        self.assertEqual(buckets[-1][0], "+Inf")
        for name in (harness.M_CONNECTIONS, harness.M_SUBSCRIPTIONS, harness.M_EVENTS_IN, harness.M_EVENTS_OUT,
                     harness.M_BYTES_OUT, harness.M_SLOW_CLOSES, harness.M_RATE_HITS, harness.M_QUEUE_BYTES):
            self.assertEqual(harness.metric_value(m, name), 0, f"{name} on an idle gateway")
        self.assertEqual(harness.metric_value(m, f"{harness.M_LATENCY}_count"), 0)

        a = await self.client(gw.ws_url)
        b = await self.client(gw.ws_url)
        sa = (await a.subscribe("dex.price"))["subscription"]
        sb = (await b.subscribe("dex.price", filter={"market": "XMR/BTC"}))["subscription"]
        await b.subscribe("chain.block")
        m = gw.metrics()
        self.assertEqual(harness.metric_value(m, harness.M_CONNECTIONS), 2)
        self.assertEqual(harness.metric_value(m, harness.M_SUBSCRIPTIONS), 3)

        n = 20
        await gw.apublish_ok([price(i, market="XMR/BTC" if i % 2 else "XMR/EUR") for i in range(n)])
        await a.events(n, sa)
        await b.events(n // 2, sb)
        await gw.await_metric(harness.M_EVENTS_IN, lambda v: v == n)
        await gw.await_metric(harness.M_EVENTS_OUT, lambda v: v == n + n // 2)
        await gw.await_metric(harness.M_BYTES_OUT, lambda v: v > n * 100)
        await gw.await_metric(f"{harness.M_LATENCY}_count", lambda v: v >= n + n // 2,
                              what="every written event is timed")
        m = gw.metrics()
        count = harness.metric_value(m, f"{harness.M_LATENCY}_count")
        inf = harness.metric_value(m, f"{harness.M_LATENCY}_bucket", {"le": "+Inf"})
        self.assertEqual(inf, count)
        self.assertGreater(harness.metric_value(m, f"{harness.M_LATENCY}_sum"), 0)
        cumulative = [v for n_, ls, v in m["samples"] if n_ == f"{harness.M_LATENCY}_bucket"]
        self.assertEqual(cumulative, sorted(cumulative), "buckets are cumulative")
        self.assertEqual(harness.metric_value(m, harness.M_QUEUE_BYTES), 0, "everything was written")

        await b.close()
        await gw.await_metric(harness.M_CONNECTIONS, lambda v: v == 1)
        await gw.await_metric(harness.M_SUBSCRIPTIONS, lambda v: v == 1)
        self.assertIs(await a.request("unsubscribe", {"subscription": sa}), True)
        self.assertEqual(gw.metric(harness.M_SUBSCRIPTIONS), 0)

    async def test_sigterm_closes_clients_with_1001_exits_0_and_keeps_every_acknowledged_event(self):
        gw = self.gateway()
        c = await self.client(gw.ws_url)
        sid = (await c.subscribe("dex.price"))["subscription"]
        first = await gw.apublish_ok([price(0)])
        await c.events(1, sid)

        acked = {}
        enough = threading.Event()

        def publisher():
            i = 1
            while i < 100000:
                events = [price(i), price(i + 1)]
                try:
                    status, body = gw.publish(events, timeout=10)
                except Exception:  # the gateway has stopped listening
                    return
                if status != 200:
                    return  # refused while shutting down: not acknowledged
                for k, e in enumerate(events):
                    acked[body["first_seq"] + k] = e["data"]
                if len(acked) >= 100:
                    enough.set()
                i += 2

        t = threading.Thread(target=publisher, daemon=True)
        t.start()
        self.assertTrue(await asyncio.to_thread(enough.wait, 60))
        gw.proc.send_signal(signal.SIGTERM)
        code, reason = await c.wait_closed(timeout=harness.STOP_TIMEOUT)
        self.assertEqual(code, 1001, f"close reason {reason!r}")
        rc = await asyncio.to_thread(gw.stop)
        self.assertEqual(rc, 0, gw.log_text())
        await asyncio.to_thread(t.join, 30)
        self.assertFalse(t.is_alive())

        gw.restart()
        stored = {}
        since = first["cursor"].split(":")[0] + ":0"
        while True:
            page = gw.history(topic="dex.price", since=since, limit=1000)
            stored.update({e["seq"]: e["data"] for e in page["events"]})
            if page["at_head"]:
                break
            since = page["next"]
        missing = sorted(s for s in acked if s not in stored)
        self.assertEqual(missing, [], f"acknowledged events lost across SIGTERM ({len(missing)} of {len(acked)})")
        self.assertTrue(all(stored[s] == d for s, d in acked.items()))

    async def test_help(self):
        binary = harness.herald_binary()
        top = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30)
        self.assertEqual(top.returncode, 0, top.stderr)
        for verb in ("serve", "sub", "publish"):
            self.assertIn(verb, top.stdout, f"`herald --help` should list {verb}")
        serve = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True, timeout=30)
        self.assertEqual(serve.returncode, 0, serve.stderr)
        missing = [f for f in SERVE_FLAGS if f not in serve.stdout]
        self.assertEqual(missing, [], f"`herald serve --help` does not list {missing}")
        for verb in ("sub", "publish"):
            r = subprocess.run([binary, verb, "--help"], capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("--token" if verb == "publish" else "--topic", r.stdout)
        bad = subprocess.run([binary, "serve", "--no-such-flag"], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(bad.returncode, 0, "an unknown flag is an error")

    async def subscription_limit(self, gw):
        """The per-connection subscription limit, found by subscribing until refused."""
        c = await self.client(gw.ws_url)
        topics = ["dex.price", "dex.offer", "chain.block", "chain.tx", "mempool.tx", "system.notice"]
        for i, t in enumerate(topics):
            reply = await c.call("subscribe", {"topic": t})
            if "error" in reply:
                self.assertEqual(reply["error"]["code"], -32002, reply)
                return i
        return len(topics)

    async def test_config_precedence_flag_over_env_over_file(self):
        file = {"limits": {"max_subscriptions": 5}}
        env = {"HERALD_LIMITS_MAX_SUBSCRIPTIONS": "3"}
        self.assertEqual(await self.subscription_limit(self.gateway(config=file)), 5, "file")
        self.assertEqual(await self.subscription_limit(self.gateway(config=file, env=env)), 3, "env over file")
        self.assertEqual(await self.subscription_limit(
            self.gateway(config=file, env=env, args=["--max-subscriptions", "2"])), 2, "flag over env")

    async def test_config_file_from_the_environment(self):
        gw = harness.Gateway()
        path = os.path.join(gw.workdir, "from-env.toml")
        with open(path, "w") as f:
            f.write(harness.to_toml({"limits": {"max_subscriptions": 2}}))
        gw.env["HERALD_CONFIG"] = path
        self.addCleanup(gw.close)
        gw.start()
        self._gateways = [gw]
        self.assertEqual(await self.subscription_limit(gw), 2, "HERALD_CONFIG names the file when --config is absent")

    def refuse_to_start(self, args=(), env=None, config=None, expect=()):
        """Runs `herald serve` with a mistake: it must exit 2 at once, naming what is wrong."""
        gw = harness.Gateway(config=config, env=env, args=args)
        self.addCleanup(gw.close)
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
        full_env.update(env or {})
        try:
            r = subprocess.run(gw.command(), capture_output=True, text=True, timeout=20, env=full_env,
                               cwd=gw.workdir, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            self.fail(f"herald serve {args} {env} started instead of refusing")
        self.assertEqual(r.returncode, 2, f"{args} {env}: exit {r.returncode}; {r.stdout} {r.stderr}")
        for text in expect:
            self.assertIn(text, r.stderr, f"{args} {env}: the error should name {text!r}")
        return r

    async def test_config_mistakes_are_refused(self):
        self.refuse_to_start(config="[limits]\nqueue_byte = 100000\n", expect=("queue_byte",))
        self.refuse_to_start(config="[limits]\nqueue_bytes = \"big\"\n", expect=("queue_bytes",))
        self.refuse_to_start(config="[nonsense]\nkey = 1\n", expect=("nonsense",))
        self.refuse_to_start(config="[limits\n", expect=())
        self.refuse_to_start(env={"HERALD_WORKERS": "x"}, expect=("HERALD_WORKERS",))
        self.refuse_to_start(args=["--queue-bytes", "12"], expect=("--queue-bytes",))
        self.refuse_to_start(args=["--max-connections", "0"], expect=("--max-connections",))
        self.refuse_to_start(args=["--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key"], expect=())
        self.refuse_to_start(args=["--listen-tls", "127.0.0.1:0"], expect=())  # TLS without files
        held, port = occupied_port()
        held.close()  # a port to name twice; it is never bound: the mistake is found first
        self.refuse_to_start(args=["--listen", f"127.0.0.1:{port}", "--listen", f"127.0.0.1:{port}"],
                             expect=(f"127.0.0.1:{port}",))
        r = self.refuse_to_start(args=["--publish-token", "bad token with spaces"], expect=())
        self.assertNotIn("bad token with spaces", r.stderr + r.stdout, "a token is never echoed")

    async def test_listen_precedence_flag_over_env_over_file(self):
        held, busy = occupied_port()
        self.addCleanup(held.close)
        # Were the losing source used, the gateway would try to bind the busy port and fail to start.
        file = {"server": {"listen": [f"127.0.0.1:{busy}"]}}
        gw = self.gateway(config=file, env={"HERALD_LISTEN": "127.0.0.1:0"}, listen=None)
        self.assertNotEqual(gw.port, busy)
        self.assertEqual(gw.request("GET", "/healthz")[0], 200)
        gw2 = self.gateway(config=file, env={"HERALD_LISTEN": f"127.0.0.1:{busy}"}, listen="127.0.0.1:0")
        self.assertNotEqual(gw2.port, busy)
        self.assertEqual(gw2.request("GET", "/healthz")[0], 200)
        self.assertEqual(len(gw2.tcp_endpoints()), 1, f"the flag replaces, not adds to, the others: {gw2.endpoints}")
        # And the losing value really would have failed: the file alone cannot start.
        lone = harness.Gateway(config=file, listen=None)
        self.addCleanup(lone.close)
        with self.assertRaises(harness.GatewayError):
            lone.start(timeout=20)

    async def test_cli_sub_and_publish_round_trip(self):
        gw = self.gateway()
        binary = harness.herald_binary()
        sub = subprocess.Popen([binary, "sub", gw.ws_url, "--topic", "dex.price", "--filter", "market=XMR/BTC",
                                "--count", "3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True)
        self.addCleanup(lambda: sub.poll() is None and (sub.kill(), sub.wait(5)))
        # Only /metrics shows that the CLI's subscription is in place.
        await gw.await_metric(harness.M_SUBSCRIPTIONS, lambda v: v == 1, what="herald sub subscribed")

        events = [price(i, market="XMR/BTC" if i % 2 == 0 else "XMR/EUR") for i in range(6)]
        ndjson = "".join(json.dumps(e) + "\n" for e in events)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
        pub = await asyncio.to_thread(
            subprocess.run, [binary, "publish", "--url", gw.http_url, "--token", gw.token], input=ndjson,
            capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(pub.returncode, 0, f"stdout {pub.stdout!r} stderr {pub.stderr!r}")

        try:
            out, err = await asyncio.to_thread(sub.communicate, None, 30)
        except subprocess.TimeoutExpired:
            sub.kill()
            out, err = sub.communicate()
            self.fail(f"herald sub --count 3 did not exit; printed {out!r} {err!r}")
        self.assertEqual(sub.returncode, 0, err)
        lines = [json.loads(line) for line in out.splitlines() if line.strip()]
        self.assertEqual([l["data"] for l in lines], [e["data"] for e in events if e["data"]["market"] == "XMR/BTC"])
        self.assertEqual([l["seq"] for l in lines], [1, 3, 5])
        self.assertTrue(all(l["topic"] == "dex.price" for l in lines))

        # Resume with the CLI: --since replays what is stored after the cursor.
        since = lines[0]["cursor"]
        r = await asyncio.to_thread(
            subprocess.run, [binary, "sub", gw.ws_url, "--topic", "dex.price", "--since", since, "--count", "4"],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([json.loads(l)["seq"] for l in r.stdout.splitlines() if l.strip()], [2, 3, 4, 5])

        # An invalid line: exit 2 before anything of its batch is sent.
        bad = json.dumps(price(50)) + "\n" + json.dumps({"topic": "dex.price", "data": {"market": "X"}}) + "\n"
        r = await asyncio.to_thread(
            subprocess.run, [binary, "publish", "--url", gw.http_url, "--token", gw.token], input=bad,
            capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(r.returncode, 2, f"{r.stdout} {r.stderr}")
        self.assertIn("line 2", r.stderr)
        # A refused token: exit 1. HERALD_TOKEN is read when --token is absent.
        r = await asyncio.to_thread(
            subprocess.run, [binary, "publish", "--url", gw.http_url, "--token", "wrong"],
            input=json.dumps(price(51)) + "\n", capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(r.returncode, 1, f"{r.stdout} {r.stderr}")
        self.assertEqual(gw.history(topic="dex.price", limit=100)["events"][-1]["seq"], 6, "nothing was published")
        r = await asyncio.to_thread(
            subprocess.run, [binary, "publish", "--url", gw.http_url], input=json.dumps(price(52)) + "\n",
            capture_output=True, text=True, timeout=60, env=dict(env, HERALD_TOKEN=gw.token))
        self.assertEqual(r.returncode, 0, f"{r.stdout} {r.stderr}")
        self.assertEqual(gw.history(topic="dex.price", limit=100)["events"][-1]["data"], price(52)["data"])

    async def test_cli_sub_over_a_unix_socket(self):
        gw = harness.Gateway()
        self.addCleanup(gw.close)
        path = os.path.join(gw.workdir, "cli.sock")
        gw.args += ["--unix", path]
        gw.start()
        self._gateways = [gw]
        ack = gw.publish_ok([price(i) for i in range(3)])
        epoch, _ = harness.cursor_parts(ack["cursor"])
        env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
        r = await asyncio.to_thread(
            subprocess.run, [harness.herald_binary(), "sub", f"unix:{path}", "--topic", "dex.price",
                             "--since", f"{epoch}:0", "--count", "3"],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([json.loads(l)["data"] for l in r.stdout.splitlines() if l.strip()],
                         [price(i)["data"] for i in range(3)])


if __name__ == "__main__":
    harness.main()

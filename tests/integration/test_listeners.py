"""Listeners and handshake policy: TLS (wss + https), Unix domain socket (WebSocket + HTTP), several
listeners on one gateway, a listener dedicated to one mount, the connection limit (503 before the
upgrade), allowed origins (403) and unknown paths (404)."""

import asyncio
import http.client
import json
import os
import ssl
import subprocess

import websockets

import harness
from harness import GatewayTestCase, notice, price


def make_cert(directory):
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    return cert, key


def client_context(cert):
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cert)
    ctx.check_hostname = True
    return ctx


class ListenersTest(GatewayTestCase):

    def tls_gateway(self, unix=False, **kw):
        # Created first so that it outlives the gateway's cleanup (cleanups run last-in, first-out).
        gw = harness.Gateway(**kw)
        self.addCleanup(gw.close)
        self.cert, self.key = make_cert(gw.workdir)
        gw.args += ["--listen-tls", "127.0.0.1:0", "--tls-cert", self.cert, "--tls-key", self.key]
        if unix:
            self.sock_path = os.path.join(gw.workdir, "herald.sock")
            gw.args += ["--unix", self.sock_path]
        gw.start()
        self._gateways = getattr(self, "_gateways", []) + [gw]
        return gw

    def tls_port(self, gw):
        tcp = gw.tcp_endpoints()
        self.assertEqual(len(tcp), 2, f"expected a TCP and a TLS endpoint in the log: {gw.endpoints}")
        return tcp[1][1]  # config order: [server] listen, then [tls] listen

    async def test_tls_listener_wss_and_https(self):
        gw = self.tls_gateway()
        port = self.tls_port(gw)
        ctx = client_context(self.cert)
        c = await self.client(f"wss://127.0.0.1:{port}/ws", ssl=ctx)
        self.assertEqual(c.ws.subprotocol, harness.SUBPROTOCOL)
        sid = (await c.subscribe("dex.price"))["subscription"]

        status, ack = await asyncio.to_thread(harness.publish, f"https://127.0.0.1:{port}", [price(1), price(2)],
                                              gw.token, context=ctx)
        self.assertEqual(status, 200, ack)
        got = await c.events(2, sid)
        self.assertEqual([p["seq"] for p in got], [ack["first_seq"], ack["last_seq"]])
        self.assertEqual([p["data"] for p in got], [price(1)["data"], price(2)["data"]])

        status, body = harness.http_request("GET", f"https://127.0.0.1:{port}/healthz", context=ctx)
        self.assertEqual(status, 200, body)
        # The certificate is really checked: a client that trusts nothing refuses it.
        with self.assertRaises(ssl.SSLError):
            await harness.RpcClient.connect(f"wss://127.0.0.1:{port}/ws", ssl=ssl.create_default_context())
        # Plain HTTP on the TLS port is not served as plain HTTP.
        try:
            status, _ = harness.http_request("GET", f"http://127.0.0.1:{port}/healthz", timeout=5)
        except (OSError, http.client.HTTPException):
            status = None
        self.assertNotEqual(status, 200, "plain HTTP served on the TLS port")
        # The TLS listener keeps serving after that.
        c2 = await self.client(f"wss://127.0.0.1:{port}/ws", ssl=ctx)
        self.assertEqual(await c2.ping(), "pong")

        # The CLI over wss, trusting the same certificate.
        epoch, _ = harness.cursor_parts(ack["cursor"])
        r = await asyncio.to_thread(
            subprocess.run, [harness.herald_binary(), "sub", f"wss://127.0.0.1:{port}/ws", "--ca-file", self.cert,
                             "--topic", "dex.price", "--since", f"{epoch}:0", "--count", "2"],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([json.loads(l)["seq"] for l in r.stdout.splitlines() if l.strip()],
                         [ack["first_seq"], ack["last_seq"]])

    async def test_unix_socket_listener(self):
        gw = harness.Gateway()
        self.addCleanup(gw.close)
        path = os.path.join(gw.workdir, "h.sock")
        gw.args += ["--unix", path]
        gw.start()
        self._gateways = [gw]
        self.assertIn(path, gw.unix_paths(), gw.endpoints)

        c = await self.unix_client(path)
        self.assertEqual(c.ws.subprotocol, harness.SUBPROTOCOL)
        sid = (await c.subscribe("system.notice"))["subscription"]

        status, ack = await asyncio.to_thread(
            harness.unix_http_request, path, "POST", "/api/v1/publish", [notice("over-unix")],
            {"Authorization": f"Bearer {gw.token}", "Content-Type": "application/json"})
        self.assertEqual(status, 200, ack)
        [p] = await c.events(1, sid)
        self.assertEqual((p["seq"], p["data"]["code"]), (ack["first_seq"], "over-unix"))

        status, body = harness.unix_http_request(path, "GET", "/healthz")
        self.assertEqual(status, 200, body)
        status, body = harness.unix_http_request(path, "GET", "/api/v1/events?topic=system.notice&limit=10")
        self.assertEqual(status, 200, body)
        self.assertEqual([e["seq"] for e in body["events"]], [ack["first_seq"]])
        status, _ = harness.unix_http_request(path, "POST", "/api/v1/publish", [notice("x")],
                                              {"Content-Type": "application/json"})
        self.assertEqual(status, 401, "the Unix socket is no way around the token")

    async def test_several_listeners_share_one_gateway(self):
        gw = self.tls_gateway(unix=True)
        port = self.tls_port(gw)
        ctx = client_context(self.cert)
        plain = await self.client(gw.ws_url)
        secure = await self.client(f"wss://127.0.0.1:{port}/ws", ssl=ctx)
        local = await self.unix_client(self.sock_path)
        subs = {}
        for name, c in (("plain", plain), ("secure", secure), ("local", local)):
            subs[name] = (await c.subscribe("dex.price", filter={"market": "XMR/BTC"}))["subscription"]

        acks = [gw.publish_ok([price(1)])]
        status, ack = await asyncio.to_thread(harness.publish, f"https://127.0.0.1:{port}", [price(2)], gw.token,
                                              context=ctx)
        self.assertEqual(status, 200, ack)
        acks.append(ack)
        status, ack = await asyncio.to_thread(
            harness.unix_http_request, self.sock_path, "POST", "/api/v1/publish", [price(3)],
            {"Authorization": f"Bearer {gw.token}"})
        self.assertEqual(status, 200, ack)
        acks.append(ack)
        want = [a["first_seq"] for a in acks]
        self.assertEqual(want, sorted(want))
        for name, c in (("plain", plain), ("secure", secure), ("local", local)):
            got = await c.events(3, subs[name])
            self.assertEqual([p["seq"] for p in got], want, name)
            self.assertEqual([p["data"]["price_rate"] for p in got], [price(i)["data"]["price_rate"] for i in (1, 2, 3)])

    async def test_connection_limit_refuses_the_upgrade_with_503(self):
        gw = self.gateway(config=harness.limits_config(max_connections=2))
        a = await self.client(gw.ws_url)
        b = await self.client(gw.ws_url)
        self.assertEqual(await a.ping(), "pong")
        self.assertEqual(await b.ping(), "pong")
        for _ in range(5):  # refused upgrades must not use up slots either
            with self.assertRaises(websockets.InvalidStatusCode) as refused:
                await harness.RpcClient.connect(gw.ws_url)
            self.assertEqual(refused.exception.status_code, 503)
        # Plain HTTP is not a WebSocket connection and is still served.
        self.assertEqual(gw.request("GET", "/healthz")[0], 200)
        self.assertGreaterEqual(gw.metric(harness.M_REJECTED), 1)
        # The refused client did not hurt the others; a freed slot admits a new client.
        self.assertEqual(await a.ping(), "pong")
        await b.close()
        await gw.await_metric(harness.M_CONNECTIONS, lambda v: v == 1, what="the closed connection is released")
        c = await self.client(gw.ws_url)
        self.assertEqual(await c.ping(), "pong")

    async def test_disallowed_origin_is_refused_with_403(self):
        gw = self.gateway(config={"server": {"allowed_origins": ["https://app.example"]}})
        with self.assertRaises(websockets.InvalidStatusCode) as refused:
            await harness.RpcClient.connect(gw.ws_url, origin="https://evil.example")
        self.assertEqual(refused.exception.status_code, 403)
        with self.assertRaises(websockets.InvalidStatusCode) as refused:
            await harness.RpcClient.connect(gw.ws_url, origin="https://app.example.evil.example")
        self.assertEqual(refused.exception.status_code, 403)
        ok = await self.client(gw.ws_url, origin="https://app.example")
        self.assertEqual(await ok.ping(), "pong")

    async def test_unknown_path_is_404(self):
        gw = self.gateway()
        with self.assertRaises(websockets.InvalidStatusCode) as refused:
            await harness.RpcClient.connect(f"ws://127.0.0.1:{gw.port}/nowhere")
        self.assertEqual(refused.exception.status_code, 404)
        status, body = gw.request("GET", "/nowhere")
        self.assertEqual(status, 404, body)
        status, body = gw.request("GET", "/api/v1/nothing-here")
        self.assertEqual(status, 404, body)
        c = await self.client(gw.ws_url)
        self.assertEqual(await c.ping(), "pong")

    async def test_a_listener_may_be_dedicated_to_one_mount(self):
        gw = self.gateway(args=["--listen", "127.0.0.1:0/events"])  # after the harness's 127.0.0.1:0
        endpoints = gw.tcp_endpoints()
        self.assertEqual(len(endpoints), 2, gw.endpoints)
        host, port = endpoints[1]
        sip50 = await websockets.connect(f"ws://{host}:{port}/events", open_timeout=harness.WAIT)
        self.addAsyncCleanup(sip50.close)
        self.assertEqual(json.loads(await asyncio.wait_for(sip50.recv(), harness.WAIT))["e"], "CONNECTED")
        with self.assertRaises(websockets.InvalidStatusCode) as refused:
            await harness.RpcClient.connect(f"ws://{host}:{port}/ws")
        self.assertEqual(refused.exception.status_code, 404)
        c = await self.client(f"ws://{endpoints[0][0]}:{endpoints[0][1]}/ws")
        self.assertEqual(await c.ping(), "pong")

    def test_a_dedicated_listener_for_an_unmounted_path_is_a_config_error(self):
        out = subprocess.run([harness.herald_binary(), "serve", "--listen", "127.0.0.1:0/nowhere"],
                             capture_output=True, text=True, timeout=30)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("--listen: 127.0.0.1:0/nowhere", out.stderr + out.stdout)
        self.assertIn("nothing is mounted at /nowhere", out.stderr + out.stdout)


if __name__ == "__main__":
    harness.main()

"""Integration harness: runs the real `herald` binary and talks to it with clients Herald did not
write (the `websockets` library, Python's HTTP and socket modules).

What it owns: starting and stopping gateway processes in temporary directories, discovering their
endpoints from the log, publishing over HTTP, scraping /metrics, and a JSON-RPC WebSocket client
that matches replies to requests and queues notifications.

Rules every test relies on: every wait has a deadline, nothing sleeps to synchronize (a test waits
for the event it expects; the only polling is on /metrics for things observable nowhere else, and
it is bounded), every process started here is stopped even when a test fails, and everything is
bound to 127.0.0.1 or to a temporary directory.
"""

import argparse
import asyncio
import atexit
import http.client
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import websockets

SUBPROTOCOL = "herald.v1.json"
DEFAULT_TOKEN = "integration-token"
START_TIMEOUT = 30.0  # a cold start opens SQLite and binds sockets: seconds, not minutes
STOP_TIMEOUT = 20.0   # shutdown waits up to 2 s of grace for clients, then flushes the log
WAIT = 15.0           # default bound for one expected reply or notification
HTTP_TIMEOUT = 30.0   # a publish of a large batch waits for one fsync

_LISTENING = re.compile(r"listening on (\S+)")
_live_processes = set()


def _kill_leftovers():
    for proc in list(_live_processes):
        if proc.poll() is None:
            proc.kill()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                pass


atexit.register(_kill_leftovers)


# --- the binary ------------------------------------------------------------------------------------

def herald_binary():
    """The binary under test: `--herald PATH` on the command line, else $HERALD_BIN."""
    path = _ARGS.herald or os.environ.get("HERALD_BIN")
    if not path:
        raise SystemExit("no herald binary: pass --herald PATH or set HERALD_BIN")
    if not os.access(path, os.X_OK):
        raise SystemExit(f"herald binary {path!r} is not executable")
    return os.path.abspath(path)


_parser = argparse.ArgumentParser(add_help=False)
_parser.add_argument("--herald")
_ARGS, _REST = _parser.parse_known_args(sys.argv[1:])


def main():
    """Entry point for each test script: strips --herald, runs unittest, exits non-zero on failure."""
    herald_binary()  # fail early and clearly
    unittest.main(argv=[sys.argv[0]] + _REST, verbosity=2)


# --- TOML ------------------------------------------------------------------------------------------

def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid TOML basic string for the text used here
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def to_toml(config):
    """A nested dict as TOML: top-level scalars first, then one [table] per nested dict."""
    lines = []

    def emit(prefix, table):
        scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
        tables = {k: v for k, v in table.items() if isinstance(v, dict)}
        if prefix and scalars:
            lines.append(f"[{prefix}]")
        for k, v in scalars.items():
            lines.append(f"{k} = {_toml_value(v)}")
        if scalars:
            lines.append("")
        for k, v in tables.items():
            emit(f"{prefix}.{k}" if prefix else k, v)

    emit("", config)
    return "\n".join(lines) + "\n"


# --- the gateway process ---------------------------------------------------------------------------

class GatewayError(Exception):
    pass


class Gateway:
    """One `herald serve` process.

    `config` (dict written as TOML, or TOML text) is passed with --config; `env` is added to the
    environment; `args` are extra command-line flags. The data dir is a fresh temporary directory
    unless `data_dir` is given; restart() reuses it.
    """

    def __init__(self, config=None, env=None, args=(), data_dir=None, token=DEFAULT_TOKEN,
                 listen="127.0.0.1:0", demo=False, binary=None):
        self.binary = binary or herald_binary()
        self.workdir = tempfile.mkdtemp(prefix="herald-it-")
        self.data_dir = data_dir or os.path.join(self.workdir, "data")
        self.token = token
        self.listen = listen
        self.demo = demo
        self.args = list(args)
        self.env = dict(env or {})
        self.config_path = None
        if config is not None:
            self.config_path = os.path.join(self.workdir, "herald.toml")
            with open(self.config_path, "w") as f:
                f.write(config if isinstance(config, str) else to_toml(config))
        self.proc = None
        self.endpoints = []
        self.log_lines = []
        self._log_lock = threading.Lock()
        self._lines = None
        self._drainer = None
        self.returncode = None

    # -- lifecycle --

    def command(self):
        cmd = [self.binary, "serve", "--data-dir", self.data_dir]
        if self.listen is not None:
            cmd += ["--listen", self.listen]
        if not self.demo:
            cmd.append("--no-demo")
        if self.token is not None:
            cmd += ["--publish-token", self.token]
        if self.config_path:
            cmd += ["--config", self.config_path]
        return cmd + self.args

    def start(self, timeout=START_TIMEOUT):
        """Starts the process and returns once it logged `ready`; endpoints come from the log."""
        if self.proc is not None and self.proc.poll() is None:
            raise GatewayError("already running")
        env = dict(os.environ)
        for key in list(env):
            if key.startswith("HERALD_"):
                del env[key]  # only what a test sets reaches the gateway
        env.update(self.env)
        self.endpoints = []
        self.returncode = None
        self._lines = queue.Queue()
        # The log is read from both streams (merged): where it goes is the logger's business.
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env, cwd=self.workdir)
        _live_processes.add(self.proc)
        self._drainer = threading.Thread(target=self._drain, args=(self.proc, self._lines), daemon=True)
        self._drainer.start()
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill9()
                raise GatewayError(f"gateway not ready within {timeout} s; log:\n{self.log_text()}")
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                code = self.proc.wait(5)
                raise GatewayError(f"gateway exited with {code} before ready; log:\n{self.log_text()}")
            m = _LISTENING.search(line)
            if m:
                self.endpoints.append(m.group(1).rstrip(",;"))
            if re.search(r"\bready\b", line):
                break
        if not self.tcp_endpoints() and not self.unix_paths():
            raise GatewayError(f"no endpoint in the log:\n{self.log_text()}")
        return self

    def _drain(self, proc, lines):
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._log_lock:
                self.log_lines.append(line)
            lines.put(line)
        lines.put(None)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM and wait; returns the exit code. Kills (and raises) if it does not exit in time."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
                raise GatewayError(f"gateway did not exit within {timeout} s of SIGTERM; log:\n{self.log_text()}")
        return self._reap()

    def kill9(self):
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        return self._reap()

    def _reap(self):
        self.returncode = self.proc.returncode
        if self._drainer is not None:
            self._drainer.join(5)
        if self.proc.stdout:
            self.proc.stdout.close()
        _live_processes.discard(self.proc)
        self.proc = None
        return self.returncode

    def restart(self, timeout=START_TIMEOUT):
        """Starts again on the same data dir (after stop() or kill9())."""
        if self.running():
            self.stop()
        return self.start(timeout)

    def close(self):
        """Stops the process whatever its state and removes the temporary directory."""
        try:
            if self.running():
                try:
                    self.stop()
                except GatewayError:
                    pass
            elif self.proc is not None:
                self._reap()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def log_text(self, last=80):
        with self._log_lock:
            return "\n".join(self.log_lines[-last:])

    # -- endpoints --

    def tcp_endpoints(self):
        out = []
        for e in self.endpoints:
            e = re.sub(r"^[a-z]+://", "", e)
            if e.startswith("unix:"):
                continue
            e = re.sub(r"^(tcp|tls|http|https|ws|wss):", "", e)
            m = re.match(r"^(\S+):(\d+)$", e)
            if m:
                out.append((m.group(1).strip("[]"), int(m.group(2))))
        return out

    def unix_paths(self):
        return [e[len("unix:"):] for e in self.endpoints if e.startswith("unix:")]

    @property
    def port(self):
        """Port of the first plain TCP listener (the one given with --listen)."""
        return self.tcp_endpoints()[0][1]

    @property
    def http_url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self):
        return f"ws://127.0.0.1:{self.port}/ws"

    # -- HTTP --

    def request(self, method, path, body=None, headers=None, timeout=HTTP_TIMEOUT, base=None, context=None):
        return http_request(method, (base or self.http_url) + path, body, headers, timeout, context)

    def publish(self, events, token="", raw=None, **kw):
        """POST /api/v1/publish; returns (status, parsed body or text). token="" means this gateway's."""
        return publish(self.http_url, events, self.token if token == "" else token, raw=raw, **kw)

    def publish_ok(self, events, **kw):
        status, body = self.publish(events, **kw)
        if status != 200:
            raise AssertionError(f"publish refused: {status} {body}")
        return body

    async def apublish(self, events, **kw):
        """publish() off the event loop, so WebSocket clients keep reading while it runs."""
        return await asyncio.to_thread(self.publish, events, **kw)

    async def apublish_ok(self, events, **kw):
        return await asyncio.to_thread(self.publish_ok, events, **kw)

    def history(self, **params):
        status, body = self.request("GET", "/api/v1/events?" + urllib.parse.urlencode(params))
        if status != 200:
            raise AssertionError(f"GET /api/v1/events {params} -> {status} {body}")
        return body

    def metrics(self):
        status, body = self.request("GET", "/metrics")
        if status != 200:
            raise AssertionError(f"GET /metrics -> {status} {body}")
        return parse_metrics(body)

    def metric(self, name, labels=None, default=None):
        return metric_value(self.metrics(), name, labels, default)

    def wait_metric(self, name, predicate, timeout=WAIT, labels=None, what=None):
        """Polls /metrics until predicate(value) holds (for what only /metrics shows); bounded."""
        deadline = time.monotonic() + timeout
        value = None
        while True:
            value = self.metric(name, labels, default=None)
            if value is not None and predicate(value):
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"{what or name}: metric {name} is {value} after {timeout} s")
            time.sleep(0.05)

    async def await_metric(self, name, predicate, timeout=WAIT, labels=None, what=None):
        return await asyncio.to_thread(self.wait_metric, name, predicate, timeout, labels, what)


def http_request(method, url, body=None, headers=None, timeout=HTTP_TIMEOUT, context=None):
    """One HTTP request; returns (status, body): JSON parsed when it parses, else text."""
    status, body, _ = http_exchange(method, url, body, headers, timeout, context)
    return status, body


def http_exchange(method, url, body=None, headers=None, timeout=HTTP_TIMEOUT, context=None):
    """One HTTP request; returns (status, body, response headers as a Message)."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    req = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    if body is not None and "Content-Type" not in req.headers:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
            return resp.status, _decode_body(resp.read()), resp.headers
    except urllib.error.HTTPError as e:
        return e.code, _decode_body(e.read()), e.headers


def _decode_body(raw):
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def publish(base_url, events, token, raw=None, headers=None, timeout=HTTP_TIMEOUT, context=None):
    h = {"Content-Type": "application/json"}
    if token is not None:
        h["Authorization"] = f"Bearer {token}"
    h.update(headers or {})
    body = raw if raw is not None else json.dumps(events).encode()
    return http_request("POST", base_url + "/api/v1/publish", body, h, timeout, context)


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a Unix domain socket."""

    def __init__(self, path, timeout=HTTP_TIMEOUT):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def unix_http_request(path, method, target, body=None, headers=None, timeout=HTTP_TIMEOUT):
    conn = UnixHTTPConnection(path, timeout)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        conn.request(method, target, body=body, headers=dict(headers or {}))
        resp = conn.getresponse()
        return resp.status, _decode_body(resp.read())
    finally:
        conn.close()


# --- metrics ---------------------------------------------------------------------------------------

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """Prometheus text -> {"types": {name: type}, "samples": [(name, {labels}, value)]}."""
    types, samples = {}, []
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            parts = line.split()
            if len(parts) >= 4:
                types[parts[2]] = parts[3]
            continue
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            continue
        labels = dict(_LABEL.findall(m.group(2) or ""))
        samples.append((m.group(1), labels, float(m.group(3))))
    return {"types": types, "samples": samples, "text": text}


def metric_value(metrics, name, labels=None, default=None):
    """Sum of the samples named `name` whose labels include `labels`."""
    found, total = False, 0.0
    for n, ls, v in metrics["samples"]:
        if n == name and all(ls.get(k) == val for k, val in (labels or {}).items()):
            found, total = True, total + v
    if not found:
        if default is not None:
            return default
        return None
    return total


# Metric names (docs/operations.md).
M_CONNECTIONS = "herald_connections"
M_SUBSCRIPTIONS = "herald_subscriptions"
M_QUEUE_BYTES = "herald_queue_bytes"
M_EVENTS_IN = "herald_events_in_total"
M_EVENTS_OUT = "herald_events_out_total"
M_BYTES_OUT = "herald_bytes_out_total"
M_SLOW_CLOSES = "herald_slow_consumer_closes_total"
M_RATE_HITS = "herald_rate_limit_hits_total"
M_RATE_CLOSES = "herald_rate_limit_closes_total"
M_REJECTED = "herald_connections_rejected_total"
M_RETENTION_DELETED = "herald_retention_deleted_total"
M_LATENCY = "herald_publish_to_write_seconds"


def retention_config(max_events):
    return {"retention": {"max_events": max_events}}


def limits_config(**limits):
    return {"limits": dict(limits)}


# --- JSON-RPC over WebSocket -----------------------------------------------------------------------

class _Connection:
    """What every client of the gateway shares: `ws`, a reader task in `_reader` that records
    `close_code` / `close_reason` when the server closes, and these two ways to end."""

    async def wait_closed(self, timeout=WAIT):
        """Waits for the server to close; returns (code, reason)."""
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"connection still open after {timeout} s") from None
        return self.close_code, self.close_reason

    async def close(self):
        try:
            await asyncio.wait_for(self.ws.close(), 5)
        except (asyncio.TimeoutError, websockets.WebSocketException, OSError):
            pass
        self._reader.cancel()
        try:
            await self._reader
        except (asyncio.CancelledError, Exception):
            pass


class RpcError(Exception):
    def __init__(self, error):
        super().__init__(f"{error.get('code')}: {error.get('message')} {error.get('data')}")
        self.error = error
        self.code = error.get("code")


class Closed(Exception):
    def __init__(self, code, reason):
        super().__init__(f"connection closed: {code} {reason!r}")
        self.code = code
        self.reason = reason


class RpcClient(_Connection):
    """A herald.v1 client on one WebSocket connection.

    A reader task sorts every frame: replies go to the request with the same id (or to the queue of
    replies nobody claimed, for raw messages), notifications to the inbox, which tests consume in
    order, optionally by subscription. Every wait takes a timeout.
    """

    def __init__(self, ws):
        self.ws = ws
        self._next_id = 1
        self._pending = {}
        self.unclaimed = []   # replies to raw messages (id null or not ours)
        self.inbox = []       # notifications not yet taken, in arrival order
        self.frames = []      # every parsed frame, for diagnostics
        self.raw = []         # every frame as received (text), for checks on the exact bytes
        self._changed = asyncio.Event()
        self.close_code = None
        self.close_reason = None
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, url, subprotocols=(SUBPROTOCOL,), timeout=WAIT, **kw):
        kw.setdefault("max_size", 64 << 20)
        kw.setdefault("ping_interval", None)  # the gateway pings; the client needs no timer of its own
        ws = await asyncio.wait_for(
            websockets.connect(url, subprotocols=list(subprotocols) if subprotocols else None,
                               open_timeout=timeout, **kw), timeout + 1)
        return cls(ws)

    @classmethod
    async def connect_unix(cls, path, url="ws://localhost/ws", subprotocols=(SUBPROTOCOL,), timeout=WAIT, **kw):
        kw.setdefault("max_size", 64 << 20)
        kw.setdefault("ping_interval", None)
        ws = await asyncio.wait_for(
            websockets.unix_connect(path, url, subprotocols=list(subprotocols) if subprotocols else None,
                                    open_timeout=timeout, **kw), timeout + 1)
        return cls(ws)

    async def _read(self):
        try:
            async for message in self.ws:
                self.raw.append(message)
                try:
                    frame = json.loads(message)
                except ValueError:
                    frame = {"unparsable": message}
                self.frames.append(frame)
                if isinstance(frame, dict) and "method" in frame and "id" not in frame:
                    self.inbox.append(frame)
                elif isinstance(frame, dict) and frame.get("id") in self._pending:
                    fut = self._pending.pop(frame["id"])
                    if not fut.done():
                        fut.set_result(frame)
                else:
                    self.unclaimed.append(frame)
                self._wake()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.close_reason = self.ws.close_reason
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(Closed(self.close_code, self.close_reason))
            self._pending.clear()
            self._wake()

    def _wake(self):
        self._changed.set()

    async def _wait_change(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise asyncio.TimeoutError()
        self._changed.clear()
        await asyncio.wait_for(self._changed.wait(), left)

    @property
    def closed(self):
        return self._reader.done()

    # -- requests --

    async def call(self, method, params=None, timeout=WAIT):
        """Sends a request and returns the whole reply object (with result or error)."""
        rid = self._next_id
        self._next_id += 1
        msg = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            msg["params"] = params
        fut = asyncio.get_running_loop().create_future()
        self._pending[rid] = fut
        if self.closed:
            self._pending.pop(rid, None)
            raise Closed(self.close_code, self.close_reason)
        await self.ws.send(json.dumps(msg))
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            self._pending.pop(rid, None)
            raise AssertionError(f"no reply to {msg} within {timeout} s") from None

    async def request(self, method, params=None, timeout=WAIT):
        reply = await self.call(method, params, timeout)
        if "error" in reply:
            raise RpcError(reply["error"])
        return reply["result"]

    async def subscribe(self, topic, filter=None, since=None, timeout=WAIT):
        params = {"topic": topic}
        if filter is not None:
            params["filter"] = filter
        if since is not None:
            params["since"] = since
        return await self.request("subscribe", params, timeout)

    async def ping(self, timeout=WAIT):
        return await self.request("ping", None, timeout)

    async def send_raw(self, data):
        await self.ws.send(data)

    async def raw_reply(self, timeout=WAIT):
        """The next reply not matched to a request made with call() (after send_raw)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.unclaimed:
                return self.unclaimed.pop(0)
            if self.closed:
                raise Closed(self.close_code, self.close_reason)
            try:
                await self._wait_change(deadline)
            except asyncio.TimeoutError:
                raise AssertionError(f"no reply within {timeout} s") from None

    # -- notifications --

    async def take(self, predicate=lambda n: True, timeout=WAIT, what="notification"):
        """Removes and returns the first notification in the inbox satisfying predicate."""
        deadline = time.monotonic() + timeout
        while True:
            for i, n in enumerate(self.inbox):
                if predicate(n):
                    return self.inbox.pop(i)
            if self.closed:
                raise Closed(self.close_code, self.close_reason)
            try:
                await self._wait_change(deadline)
            except asyncio.TimeoutError:
                raise AssertionError(f"no {what} within {timeout} s; inbox has {len(self.inbox)}") from None

    async def next_notification(self, subscription=None, timeout=WAIT):
        def pred(n):
            return subscription is None or n.get("params", {}).get("subscription") == subscription
        return await self.take(pred, timeout, f"notification for {subscription}")

    async def events(self, count, subscription=None, timeout=WAIT):
        """The next `count` notifications of `subscription` (each must be an event); params only.
        The timeout bounds the wait for each one."""
        out = []
        for _ in range(count):
            n = await self.next_notification(subscription, timeout)
            if n.get("method") != "event":
                raise AssertionError(f"expected an event, got {n}")
            out.append(n["params"])
        return out

    async def events_until(self, stop, subscription=None, timeout=WAIT, limit=100000):
        """Events of `subscription` up to and including the first for which stop(params) holds."""
        out = []
        while len(out) < limit:
            n = await self.next_notification(subscription, timeout)
            if n.get("method") != "event":
                raise AssertionError(f"expected an event, got {n}")
            out.append(n["params"])
            if stop(n["params"]):
                return out
        raise AssertionError(f"no stop event within {limit} events")

    def pending_for(self, subscription):
        return [n for n in self.inbox if n.get("params", {}).get("subscription") == subscription]

    # -- close --



# --- events ----------------------------------------------------------------------------------------

def offer(i, market="XMR/BTC", currency="BTC", payment_method="BLOCKCHAINS", direction="sell",
          action="added", pad=None):
    data = {"offer_id": f"offer-{i}", "action": action, "market": market, "direction": direction,
            "price_rate": 281000 + i, "amount": 1000000000 + i, "currency": currency,
            "payment_method": payment_method}
    if pad:
        data["pad"] = pad
    return {"topic": "dex.offer", "data": data}


def price(i, market="XMR/BTC"):
    return {"topic": "dex.price", "data": {"market": market, "price_rate": 281000 + i,
                                           "timestamp_ms": 1732450000000 + i}}


def block(height):
    return {"topic": "chain.block", "data": {"height": height, "hash": f"{height:064x}",
                                             "prev_hash": f"{height - 1:064x}",
                                             "timestamp_ms": 1732450000000 + height, "tx_count": 0,
                                             "tx_ids": []}}


def notice(code, message="integration", level="info"):
    return {"topic": "system.notice", "data": {"level": level, "code": code, "message": message}}


def chunks(seq, n):
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def cursor_parts(cursor):
    epoch, seq = cursor.split(":")
    return epoch, int(seq)


class GatewayTestCase(unittest.IsolatedAsyncioTestCase):
    """Base case: gateway() starts one and registers its shutdown; failures print its log tail."""

    async def asyncSetUp(self):
        # Tests start processes and make short blocking HTTP calls from the loop on purpose (while
        # no client needs to read); asyncio's debug mode would report each as a slow callback.
        asyncio.get_running_loop().slow_callback_duration = 10.0

    def gateway(self, **kw):
        gw = Gateway(**kw)
        self.addCleanup(gw.close)
        gw.start()
        self._gateways = getattr(self, "_gateways", []) + [gw]
        return gw

    async def client(self, url, **kw):
        c = await RpcClient.connect(url, **kw)
        self.addAsyncCleanup(c.close)
        return c

    async def unix_client(self, path, **kw):
        c = await RpcClient.connect_unix(path, **kw)
        self.addAsyncCleanup(c.close)
        return c

    def run(self, result=None):
        result = result or self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        out = super().run(result)
        if len(result.failures) + len(result.errors) > before:
            for gw in getattr(self, "_gateways", []):
                sys.stderr.write(f"--- gateway log ({gw.workdir}) ---\n{gw.log_text()}\n")
        self._gateways = []
        return out


# --- clients of the other JSON dialects ------------------------------------------------------------

class JsonClient(_Connection):
    """A client of a JSON dialect without JSON-RPC ids (SIP-50, ar.io): every frame is parsed and
    queued in arrival order; take() removes the first that satisfies a predicate, within a deadline.
    Each frame is kept with its arrival time (time.monotonic()) for checks on pacing."""

    def __init__(self, ws):
        self.ws = ws
        self.inbox = []       # (arrival time, parsed frame), not yet taken
        self.frames = []      # every parsed frame, for diagnostics
        self._changed = asyncio.Event()
        self.close_code = None
        self.close_reason = None
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, url, timeout=WAIT, **kw):
        kw.setdefault("max_size", 64 << 20)
        kw.setdefault("ping_interval", None)
        ws = await asyncio.wait_for(websockets.connect(url, open_timeout=timeout, **kw), timeout + 1)
        return cls(ws)

    async def _read(self):
        try:
            async for message in self.ws:
                try:
                    frame = json.loads(message)
                except ValueError:
                    frame = {"unparsable": message}
                self.frames.append(frame)
                self.inbox.append((time.monotonic(), frame))
                self._changed.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.close_reason = self.ws.close_reason
            self._changed.set()

    @property
    def closed(self):
        return self._reader.done()

    async def send(self, message):
        await self.ws.send(message if isinstance(message, (str, bytes)) else json.dumps(message))

    async def take_timed(self, predicate=lambda f: True, timeout=WAIT, what="frame"):
        """(arrival time, frame) of the first queued frame satisfying predicate."""
        deadline = time.monotonic() + timeout
        while True:
            for i, (at, frame) in enumerate(self.inbox):
                if predicate(frame):
                    return self.inbox.pop(i)
            if self.closed:
                raise Closed(self.close_code, self.close_reason)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {what} within {timeout} s; inbox: {[f for _, f in self.inbox][:5]}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def take(self, predicate=lambda f: True, timeout=WAIT, what="frame"):
        return (await self.take_timed(predicate, timeout, what))[1]



def ws_url(gateway, path):
    """ws:// URL of `path` on the gateway's first TCP listener."""
    return f"ws://127.0.0.1:{gateway.port}{path}"


def chain_tx(txid, owner="owner-1", target="", tags=(), fee=1000, height=1):
    return {"topic": "chain.tx", "data": {"txid": txid, "height": height, "owner": owner, "target": target,
                                          "fee": fee, "tags": [{"name": n, "value": v} for n, v in tags]}}


def mempool_tx(txid, fee=1000, size=250):
    return {"topic": "mempool.tx", "data": {"txid": txid, "fee": fee, "size": size}}


def node_status(version="v3.8.0-dev", network="Signum-TESTNET", local_height=315680, global_height=632462,
                connected=True, syncing=True, peers=8):
    return {"topic": "node.status", "data": {"version": version, "network": network, "local_height": local_height,
                                             "global_height": global_height, "connected": connected,
                                             "syncing": syncing, "peers": peers}}

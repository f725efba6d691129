"""Real Monero upstreams for integration tests: a private regtest monerod (Debian's `monero` package)
and monero-wallet-rpc, started on 127.0.0.1 with free ports and temporary data directories, and
stopped by PID even when a test fails.

Everything here follows docs/sources/monero.md (the same recipe a user runs beside Herald). Every
wait has a deadline; readiness is the RPC answering, checked by polling because a daemon offers no
other signal.
"""

import asyncio
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

MONEROD = shutil.which("monerod")
WALLET_RPC = shutil.which("monero-wallet-rpc")
READY_TIMEOUT = 60.0   # monerod answers in ~2 s idle, two peered nodes ~3 s; generous for a loaded CI box
STOP_TIMEOUT = 20.0    # SIGTERM stop takes ~2-3 s
RPC_TIMEOUT = 120.0    # generateblocks of a few dozen blocks takes seconds

# Any valid mainnet-prefix address will do for generateblocks (fakechain uses mainnet prefixes); this
# is the one in docs/events.md. Tests that must spend the coinbase mine to a wallet-rpc address instead.
SOME_ADDRESS = ("44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98u"
                "Nbr2VBBEt7f2wfn3RVGQBEP3A")


def require_monero(test_case=None):
    """Skips (with the reason) when the monero package is not installed."""
    if not MONEROD or not WALLET_RPC:
        raise unittest.SkipTest("monerod / monero-wallet-rpc not installed (scripts/bootstrap installs `monero`)")


def free_port():
    """A port free on 127.0.0.1 right now (the daemon binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post_json(url, body, timeout=RPC_TIMEOUT):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read().decode())


class RpcError(Exception):
    pass


class _Process:
    """A daemon started by PID, with its output in a log file in its own directory."""

    def __init__(self, name, workdir):
        self.name = name
        self.workdir = workdir
        self.proc = None
        self.log_path = os.path.join(workdir, f"{name}.out")

    def _spawn(self, cmd):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=STOP_TIMEOUT):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        self._log.close()

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""


class Monerod(_Process):
    """One regtest monerod. Offline (the default) it opens no p2p listener at all; with `peers` it
    peers exclusively with those 127.0.0.1 ports (run it in a private network namespace)."""

    def __init__(self, workdir, name="monerod", peers=None, keep_chain=False):
        super().__init__(name, workdir)
        self.data_dir = os.path.join(workdir, name)
        self.rpc_port = free_port()
        self.zmq_port = free_port()
        self.zmq_rpc_port = free_port()
        self.p2p_port = free_port()
        self.peers = list(peers or [])
        self.keep_chain = keep_chain

    @property
    def rpc_url(self):
        return f"http://127.0.0.1:{self.rpc_port}"

    @property
    def zmq_url(self):
        return f"tcp://127.0.0.1:{self.zmq_port}"

    def command(self):
        cmd = [MONEROD, "--regtest", "--fixed-difficulty", "1", "--no-igd", "--hide-my-port",
               "--p2p-bind-ip", "127.0.0.1", "--p2p-bind-port", str(self.p2p_port),
               "--data-dir", self.data_dir,
               "--rpc-bind-ip", "127.0.0.1", "--rpc-bind-port", str(self.rpc_port),
               "--zmq-rpc-bind-ip", "127.0.0.1", "--zmq-rpc-bind-port", str(self.zmq_rpc_port),
               "--zmq-pub", self.zmq_url,
               "--disable-dns-checkpoints", "--check-updates", "disabled", "--non-interactive",
               "--log-level", "0"]
        if self.keep_chain:
            cmd.append("--keep-fakechain")
        if self.peers:
            cmd.append("--allow-local-ip")
            for port in self.peers:
                cmd += ["--add-exclusive-node", f"127.0.0.1:{port}"]
        else:
            cmd.append("--offline")
        return cmd

    def start(self, timeout=READY_TIMEOUT):
        self._spawn(self.command())
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if "height" in post_json(self.rpc_url + "/get_height", {}, timeout=2):
                    return self
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} RPC not ready within {timeout} s:\n{self.log_tail()}")
            time.sleep(0.1)

    def rpc(self, method, params=None, timeout=RPC_TIMEOUT):
        reply = post_json(self.rpc_url + "/json_rpc",
                          {"jsonrpc": "2.0", "id": "0", "method": method, "params": params or {}}, timeout)
        if "error" in reply:
            raise RpcError(f"{method}: {reply['error']}")
        return reply["result"]

    def generate(self, n, address=SOME_ADDRESS):
        """Mines n blocks; returns their hashes (the RPC returns once they are on the chain)."""
        return self.rpc("generateblocks", {"amount_of_blocks": n, "wallet_address": address})["blocks"]

    def pop_blocks(self, n):
        reply = post_json(self.rpc_url + "/pop_blocks", {"nblocks": n})
        if reply.get("status") != "OK":
            raise RpcError(f"pop_blocks: {reply}")
        return reply["height"]

    def tip(self):
        header = self.rpc("get_last_block_header")["block_header"]
        return header["height"], header["hash"]


class WalletRpc(_Process):
    """monero-wallet-rpc against one monerod, wallets in a temporary directory, no login."""

    def __init__(self, workdir, daemon, name="wallet-rpc"):
        super().__init__(name, workdir)
        self.daemon = daemon
        self.port = free_port()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=READY_TIMEOUT):
        # One directory per wallet-rpc: Herald's own wallet-rpc and a test's never see each other's files.
        self.wallet_dir = os.path.join(self.workdir, f"{self.name}-wallets")
        os.makedirs(self.wallet_dir, exist_ok=True)
        self._spawn([WALLET_RPC, "--daemon-address", f"127.0.0.1:{self.daemon.rpc_port}", "--trusted-daemon",
                     "--rpc-bind-ip", "127.0.0.1", "--rpc-bind-port", str(self.port), "--disable-rpc-login",
                     "--wallet-dir", self.wallet_dir,
                     "--shared-ringdb-dir", os.path.join(self.workdir, f"{self.name}-ringdb"),
                     "--no-dns", "--non-interactive", "--log-level", "0",
                     "--log-file", os.path.join(self.workdir, f"{self.name}.log")])
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.rpc("get_version", timeout=2)
                return self
            except (OSError, ValueError, RpcError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready within {timeout} s:\n{self.log_tail()}")
            time.sleep(0.1)

    def rpc(self, method, params=None, timeout=RPC_TIMEOUT):
        reply = post_json(self.url + "/json_rpc",
                          {"jsonrpc": "2.0", "id": "0", "method": method, "params": params or {}}, timeout)
        if "error" in reply:
            raise RpcError(f"{method}: {reply['error']}")
        return reply["result"]

    def create(self, filename):
        """Creates and opens a wallet; returns its primary address."""
        self.rpc("create_wallet", {"filename": filename, "password": "", "language": "English"})
        return self.rpc("get_address", {"account_index": 0})["address"]

    def view_key(self):
        """The open wallet's secret view key (hex)."""
        return self.rpc("query_key", {"key_type": "view_key"})["key"]

    def open(self, filename):
        self.rpc("open_wallet", {"filename": filename, "password": ""})

    def transfer(self, address, amount):
        """Sends `amount` atomic units from the open wallet (refreshed first); returns the txid."""
        self.rpc("refresh")
        return self.rpc("transfer", {"destinations": [{"amount": amount, "address": address}],
                                     "priority": 0})["tx_hash"]


class MoneroLab:
    """Owns a temporary directory and every process started in it; close() stops them all by PID."""

    def __init__(self):
        self.workdir = tempfile.mkdtemp(prefix="herald-monero-")
        self.processes = []

    def monerod(self, **kw):
        node = Monerod(self.workdir, **kw)
        self.processes.append(node)
        return node

    def wallet_rpc(self, daemon, **kw):
        wallet = WalletRpc(self.workdir, daemon, **kw)
        self.processes.append(wallet)
        return wallet

    def logs(self):
        return "\n".join(f"--- {p.name} ---\n{p.log_tail()}" for p in self.processes)

    def close(self):
        try:
            for p in reversed(self.processes):
                try:
                    p.stop()
                except Exception:  # keep stopping the others
                    if p.proc is not None and p.proc.poll() is None:
                        p.proc.kill()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


class OneNodeLab:
    """Test-case mixin: one regtest monerod shared by the class's tests (cls.lab, cls.node), stopped
    by PID when the class is done. List it before the test case base class."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        require_monero()
        cls.lab = MoneroLab()
        try:
            cls.node = cls.lab.monerod().start()
        except Exception:
            cls.lab.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()
        super().tearDownClass()


async def feed_frame(feed, prefix, what, timeout):
    """The next /feed frame with `prefix` ("blocks:", "warning:", ...) from a test_lws_feed.Feed in
    JSON, skipping frames of other kinds; an `error:` frame or the deadline fails."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no {prefix} frame ({what}) within {timeout} s")
        frame = await asyncio.wait_for(feed.ws.recv(), remaining)
        colon = frame.index(":")
        got, payload = frame[:colon + 1], json.loads(frame[colon + 1:])
        if got == "error:":
            raise AssertionError(f"error: while waiting for {prefix} ({what}): {payload}")
        if got == prefix:
            return payload


def in_private_netns():
    """Re-executes the current script inside a new network namespace (root only): only loopback
    exists there, so peered, non-offline nodes cannot reach anything outside the machine. Returns
    False (and the caller skips) when that is not possible."""
    if os.environ.get("HERALD_IN_NETNS") == "1":
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        return True
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        return False
    import sys
    env = dict(os.environ, HERALD_IN_NETNS="1")
    os.execvpe("unshare", ["unshare", "--net", "--", sys.executable] + sys.argv, env)

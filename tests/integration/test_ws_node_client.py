"""WebSocket framing against a second independent client: the npm `ws` library (bench/peers/ws
pins it) drives fragmented messages (cut inside a UTF-8 character), ping/pong, binary, a 300 KB
message, the close handshake, and two protocol violations that must close with 1002 and 1007 and
name the rule. Skips with the reason when node is not installed."""

import asyncio
import json
import os
import shutil
import subprocess

import harness
from harness import GatewayTestCase

HERE = os.path.dirname(os.path.abspath(__file__))
WS_PEER = os.path.join(HERE, "..", "..", "bench", "peers", "ws")


def ws_modules():
    """The `ws` package from bench/peers/ws, installed from its lock file on first use."""
    modules = os.path.join(WS_PEER, "node_modules")
    if not os.path.isdir(os.path.join(modules, "ws")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=WS_PEER, check=True,
                       timeout=240)
    return modules


class NodeWsClientTest(GatewayTestCase):

    def setUp(self):
        if shutil.which("node") is None or shutil.which("npm") is None:
            self.skipTest("node and npm are not installed (scripts/bootstrap installs nodejs)")

    async def run_client(self, gw):
        env = dict(os.environ, NODE_PATH=ws_modules())
        proc = await asyncio.to_thread(subprocess.run, ["node", os.path.join(HERE, "ws_node_client.js"), gw.ws_url],
                                       env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        seen = json.loads(proc.stdout)
        self.assertEqual(seen["protocol"], harness.SUBPROTOCOL)
        self.assertFalse(seen["fragmented"]["binary"])
        self.assertEqual(seen["fragmented"]["json"], {"jsonrpc": "2.0", "id": "é1", "result": "pong"})
        self.assertEqual(seen["pong"], "are you there")
        self.assertEqual(seen["binary_reply"]["json"]["error"]["code"], -32600)
        self.assertIn("binary", seen["binary_reply"]["json"]["error"]["message"])
        # herald.v1 refuses the unknown member, which proves the whole 300 KB request was parsed.
        self.assertEqual(seen["big_reply"]["json"]["id"], 2)
        self.assertEqual(seen["big_reply"]["json"]["error"]["code"], -32600)
        self.assertEqual(seen["close"]["code"], 4001)
        self.assertEqual(seen["violation"]["code"], 1002)
        self.assertEqual(seen["utf8"]["code"], 1007)
        return seen

    async def test_framing_with_the_npm_ws_client(self):
        seen = await self.run_client(self.gateway())
        self.assertEqual(seen["close"], {"code": 4001, "reason": ""})
        self.assertEqual(seen["violation"]["reason"], "client frame not masked")
        self.assertEqual(seen["utf8"]["reason"], "invalid UTF-8 in a text message")

    async def test_the_beast_session_behind_no_lean_websocket_passes_the_same_steps(self):
        # The fallback an operator can choose: Beast's stream names violations in its own words.
        await self.run_client(self.gateway(args=["--no-lean-websocket"]))


if __name__ == "__main__":
    harness.main()

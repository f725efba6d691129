"""The dcrdex msgjson dialect at /dex, against the real gateway: a client that signs `connect` with
Python's `cryptography` package (OpenSSL's ECDSA: not the library the gateway verifies with),
checks the gateway's signature the same way, and follows market feeds fed through the publish API.

The account is registered through the config file ([dialects] dcrdex_accounts = ["<id>:<pubkey>"]);
the account id is computed here with a BLAKE-256 written from the specification (checked against
its published vectors below), independently of the gateway's.
"""

import asyncio
import hashlib
import json
import struct
import time

import websockets
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

import harness
from harness import GatewayError, GatewayTestCase, WAIT

GATEWAY_KEY = "0101010101010101010101010101010101010101010101010101010101010101"
WINDOW_MS = 60000
REPLAY = 1000  # Herald's own code: connect timestamp not newer than the last accepted one


# --- BLAKE-256 (SHA-3 submission, round 3: 14 rounds) -----------------------------------------------

_IV = [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19]
_C = [0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344, 0xA4093822, 0x299F31D0, 0x082EFA98, 0xEC4E6C89,
      0x452821E6, 0x38D01377, 0xBE5466CF, 0x34E90C6C, 0xC0AC29B7, 0xC97C50DD, 0x3F84D5B5, 0xB5470917]
_SIGMA = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
]
_M32 = 0xFFFFFFFF


def _rotr(x, n):
    return ((x >> n) | (x << (32 - n))) & _M32


def _compress(h, block, t):
    m = struct.unpack(">16I", block)
    v = h[:] + _C[:4] + [t & _M32 ^ _C[4], t & _M32 ^ _C[5], t >> 32 ^ _C[6], t >> 32 ^ _C[7]]
    for r in range(14):
        s = _SIGMA[r % 10]
        for i, (a, b, c, d) in enumerate([(0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
                                          (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14)]):
            x, y = s[2 * i], s[2 * i + 1]
            v[a] = (v[a] + v[b] + (m[x] ^ _C[y])) & _M32
            v[d] = _rotr(v[d] ^ v[a], 16)
            v[c] = (v[c] + v[d]) & _M32
            v[b] = _rotr(v[b] ^ v[c], 12)
            v[a] = (v[a] + v[b] + (m[y] ^ _C[x])) & _M32
            v[d] = _rotr(v[d] ^ v[a], 8)
            v[c] = (v[c] + v[d]) & _M32
            v[b] = _rotr(v[b] ^ v[c], 7)
    return [h[i] ^ v[i] ^ v[i + 8] for i in range(8)]


def blake256(data):
    h = _IV[:]
    bits = 8 * len(data)
    full, rest = divmod(len(data), 64)
    if rest == 0 and full > 0:
        full, rest = full - 1, 64
    for i in range(full):
        h = _compress(h, data[64 * i:64 * i + 64], 512 * (i + 1))
    tail = data[64 * full:]
    if len(tail) == 64:
        h = _compress(h, tail, bits)
        tail = b""
    counter = bits if tail else 0  # a block with no message bit is counted as 0
    block = bytearray(tail + b"\x80" + bytes(63 - len(tail)))
    if len(tail) <= 55:
        block[55] |= 1
        block[56:] = struct.pack(">Q", bits)
        h = _compress(h, bytes(block), counter)
    else:
        h = _compress(h, bytes(block), counter)
        block = bytearray(64)
        block[55] = 1
        block[56:] = struct.pack(">Q", bits)
        h = _compress(h, bytes(block), 0)
    return struct.pack(">8I", *h)


assert blake256(b"\x00").hex() == "0ce8d4ef4dd7cd8d62dfded9d4edb0a774ae6a41929a74da23109e8f11139c87"
assert blake256(bytes(72)).hex() == "d419bad32d504fb7d44d460c42c5593fe544fa4c135dec31e21bd9abdcc22d41"
assert blake256(b"").hex() == "716f6e863f744b9ac22c97ec7b76ea5f5908bc5b2f67c61510bfc4751384ea7a"


# --- the dcrdex client side --------------------------------------------------------------------------

class Account:
    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256K1())
        self.pubkey = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                         serialization.PublicFormat.CompressedPoint)
        self.id = blake256(blake256(self.pubkey))

    def connect_payload(self, timestamp_ms, apiver=1):
        msg = self.id + struct.pack(">HQ", apiver, timestamp_ms)
        # ECDSA over SHA-256 of the 42 bytes, DER-encoded (cryptography hashes with the given hash).
        sig = self.key.sign(msg, ec.ECDSA(hashes.SHA256()))
        return {"accountid": self.id.hex(), "apiver": apiver, "timestamp": timestamp_ms, "sig": sig.hex()}


def gateway_public_key():
    k = ec.derive_private_key(int(GATEWAY_KEY, 16), ec.SECP256K1())
    return k.public_key()


def now_ms():
    return int(time.time() * 1000)


class DexClient:
    def __init__(self, ws):
        self.ws = ws
        self.next_id = 1
        self.notes = []

    async def send(self, message):
        await self.ws.send(message if isinstance(message, str) else json.dumps(message))

    async def recv(self, timeout=WAIT):
        return json.loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def request(self, route, payload=None, **extra):
        msg_id = self.next_id
        self.next_id += 1
        msg = {"type": 1, "id": msg_id, "route": route, **extra}
        if payload is not None:
            msg["payload"] = payload
        await self.send(msg)
        return await self.response(msg_id)

    async def response(self, msg_id=None, timeout=WAIT):
        """The next response (notifications that arrive first are kept in self.notes)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            msg = await self.recv(deadline - asyncio.get_running_loop().time())
            if msg["type"] == 3:
                self.notes.append(msg)
                continue
            assert msg["type"] == 2, msg
            if msg_id is not None:
                assert msg.get("id") == msg_id, (msg, msg_id)
            return msg["payload"]

    async def note(self, timeout=WAIT):
        if self.notes:
            return self.notes.pop(0)
        msg = await self.recv(timeout)
        assert msg["type"] == 3, msg
        return msg


def error_code(payload):
    assert payload.get("result") is None, payload
    return payload["error"]["code"]


class DcrdexTest(GatewayTestCase):
    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.account = Account()
        config = (
            "[dialects]\n"
            f'dcrdex_accounts = ["{self.account.id.hex()}:{self.account.pubkey.hex()}"]\n'
            f'dcrdex_gateway_key = "{GATEWAY_KEY}"\n'
            f"dcrdex_timestamp_window_ms = {WINDOW_MS}\n"
            'dcrdex_markets = ["dcr_btc", "xmr_btc"]\n'
        )
        try:
            self.gw = self.gateway(config=config)
        except GatewayError as e:
            if "unknown key 'dcrdex_" in str(e):
                self.skipTest("this herald build does not register the dcrdex dialect: its config has no "
                              "[dialects] dcrdex_* keys (the app's dialect registry must add Dcrdex at /dex)")
            raise
        self.url = f"ws://127.0.0.1:{self.gw.port}/dex"

    async def dex_client(self):
        try:
            ws = await websockets.connect(self.url, max_size=2 ** 20, open_timeout=WAIT)
        except websockets.exceptions.InvalidStatusCode as e:
            if e.status_code == 404:
                self.skipTest("this herald build serves nothing at /dex: the dcrdex dialect is not mounted")
            raise
        self.addAsyncCleanup(ws.close)
        return DexClient(ws)

    async def connect(self, client, account=None, timestamp=None):
        account = account or self.account
        return await client.request("connect", account.connect_payload(timestamp or now_ms()))

    async def test_connect_is_verified_and_answered_with_the_gateways_signature(self):
        c = await self.dex_client()
        ts = now_ms()
        payload = await self.connect(c, timestamp=ts)
        self.assertNotIn("error", payload)
        result = payload["result"]
        self.assertEqual(result["activematches"], [])
        self.assertEqual(result["activeorderstatuses"], [])
        self.assertEqual(result["tier"], 1)
        # The gateway signed the same 42 bytes; verified here by OpenSSL through `cryptography`.
        msg = self.account.id + struct.pack(">HQ", 1, ts)
        gateway_public_key().verify(bytes.fromhex(result["sig"]), msg, ec.ECDSA(hashes.SHA256()))
        with self.assertRaises(InvalidSignature):
            gateway_public_key().verify(bytes.fromhex(result["sig"]), msg[:-1] + b"\x00", ec.ECDSA(hashes.SHA256()))

    async def test_replayed_stale_and_forged_connects_are_refused(self):
        a = await self.dex_client()
        b = await self.dex_client()
        payload = self.account.connect_payload(now_ms())
        ok = await a.request("connect", payload)
        self.assertNotIn("error", ok)
        # The captured connect, replayed on another connection.
        self.assertEqual(error_code(await b.request("connect", payload)), REPLAY)
        # Outside the window, both ways.
        self.assertEqual(error_code(await self.connect(b, timestamp=now_ms() - 2 * WINDOW_MS)), 35)
        self.assertEqual(error_code(await self.connect(b, timestamp=now_ms() + 2 * WINDOW_MS)), 35)
        # Signed by a key that is not the account's.
        forged = Account().connect_payload(now_ms())
        forged["accountid"] = self.account.id.hex()
        self.assertEqual(error_code(await b.request("connect", forged)), 22)
        # An account nobody registered.
        self.assertEqual(error_code(await self.connect(b, account=Account())), 50)
        # b is still not authenticated; a is.
        self.assertEqual(error_code(await b.request("limit", {})), 40)
        self.assertEqual(error_code(await a.request("limit", {})), 55)

    async def test_message_errors_have_their_own_codes(self):
        c = await self.dex_client()
        await c.send({"type": 1, "route": "orderbook", "payload": {"base": 42, "quote": 0}})
        self.assertEqual(error_code(await c.response()), 1)  # missing id
        self.assertEqual(error_code(await c.request("sendnum", 5)), 2)  # the seed's example route
        self.assertEqual(error_code(await c.request("orderbook", {"base": "dcr"})), 52)  # bad payload
        self.assertEqual(error_code(await c.request("limit", {})), 40)  # needs connect
        await c.send('{ "type": 1, "id": 123, "route" "sendnum", "payload": 5 }')  # as the seed prints it
        self.assertEqual(error_code(await c.response()), 1)

    async def test_market_feeds(self):
        c = await self.dex_client()
        book = await c.request("orderbook", {"base": 42, "quote": 0})
        self.assertEqual(book["result"]["marketid"], "dcr_btc")
        self.assertEqual(book["result"]["orders"], [])  # nothing was ever published for it
        start_seq = book["result"]["seq"]
        self.assertEqual(await c.request("price_feed"), {"result": {}})

        await self.gw.apublish_ok([
            harness.offer(1, market="XMR/BTC"),  # another market: not this book
            harness.offer(2, market="DCR/BTC", direction="buy"),
            harness.offer(2, market="DCR/BTC", direction="buy", action="removed"),
            harness.price(3, market="DCR/BTC"),
        ])
        added = await c.note()
        self.assertEqual(added["route"], "book_order")
        p = added["payload"]
        self.assertEqual((p["marketid"], p["oid"], p["side"], p["qty"], p["rate"]),
                         ("dcr_btc", "offer-2", 1, 1000000002, 281002))
        self.assertGreater(p["seq"], start_seq)
        removed = await c.note()
        self.assertEqual(removed["route"], "unbook_order")
        self.assertEqual(removed["payload"]["oid"], "offer-2")
        self.assertGreater(removed["payload"]["seq"], p["seq"])
        spot = await c.note()
        self.assertEqual(spot["route"], "price_update")
        self.assertEqual((spot["payload"]["baseID"], spot["payload"]["quoteID"], spot["payload"]["rate"],
                          spot["payload"]["stamp"]), (42, 0, 281003, 1732450000003))

        self.assertEqual(await c.request("unsub_orderbook", {"marketid": "dcr_btc"}), {"result": True})
        self.assertEqual(error_code(await c.request("unsub_orderbook", {"marketid": "dcr_btc"})), 39)
        await self.gw.apublish_ok([harness.offer(4, market="DCR/BTC"), harness.price(5, market="DCR/BTC")])
        # Only the price feed is left.
        self.assertEqual((await c.note())["route"], "price_update")

    async def test_the_book_comes_from_the_log_and_notifications_follow_it_exactly(self):
        # History: offer-10 booked and taken off again, offer-11 and -12 on the book, another market's.
        await self.gw.apublish_ok([
            harness.offer(10, market="DCR/BTC"), harness.offer(11, market="DCR/BTC", direction="buy"),
            harness.offer(10, market="DCR/BTC", action="removed"), harness.offer(12, market="DCR/BTC"),
            harness.offer(13, market="XMR/BTC"),
        ])
        c = await self.dex_client()
        book = (await c.request("orderbook", {"base": 42, "quote": 0}))["result"]
        self.assertEqual(book["orders"], [
            {"oid": "offer-11", "side": 1, "qty": 1000000011, "rate": 281011, "time": book["orders"][0]["time"]},
            {"oid": "offer-12", "side": 2, "qty": 1000000012, "rate": 281012, "time": book["orders"][1]["time"]},
        ])
        self.assertIsInstance(book["orders"][0]["time"], int)

        # While a publisher keeps booking and unbooking, a second client takes the book: the book plus
        # the notifications after it must be exactly what the log says, with no seq at or below the
        # book's and none twice.
        stop = asyncio.Event()

        async def publisher():
            await self.gw.apublish_ok([harness.offer(100, market="DCR/BTC")])
            i = 101
            while not stop.is_set():
                await self.gw.apublish_ok([harness.offer(i, market="DCR/BTC"),
                                           harness.offer(i - 1, market="DCR/BTC", action="removed")])
                i += 1

        task = asyncio.create_task(publisher())
        try:
            await asyncio.sleep(0)  # let it start; the race it makes is the point, its timing is not
            d = await self.dex_client()
            taken = (await d.request("orderbook", {"base": 42, "quote": 0}))["result"]
        finally:
            stop.set()
            await task
        marker = await self.gw.apublish_ok([harness.offer(999, market="DCR/BTC")])
        live = {o["oid"] for o in taken["orders"]}
        seqs = []
        while True:
            note = await d.note()
            if note["route"] not in ("book_order", "unbook_order"):
                continue
            seqs.append(note["payload"]["seq"])
            oid = note["payload"]["oid"]
            if note["route"] == "book_order":
                self.assertNotIn(oid, live, f"{oid} booked twice")
                live.add(oid)
            else:
                self.assertIn(oid, live, f"{oid} unbooked but never booked")
                live.discard(oid)
            if note["payload"]["seq"] == marker["first_seq"]:
                break
        self.assertTrue(all(s > taken["seq"] for s in seqs), (taken["seq"], seqs[:3]))
        self.assertEqual(seqs, sorted(set(seqs)))
        # The truth, from the log over HTTP.
        truth, params = {}, {"topic": "dex.offer", "limit": 1000}
        while True:
            page = self.gw.history(**params)
            for e in page["events"]:
                if e["data"]["market"] == "DCR/BTC":
                    truth[e["data"]["offer_id"]] = e["data"]["action"] == "added"
            if page["at_head"] or not page["events"]:
                break
            params["since"] = page["next"]
        self.assertEqual(live, {oid for oid, on in truth.items() if on})

    async def test_epoch_and_match_notifications(self):
        c = await self.dex_client()
        await c.request("orderbook", {"base": 42, "quote": 0})
        await self.gw.apublish_ok([
            {"topic": "dex.epoch", "data": {"order_id": "8e4d", "market": "XMR/BTC", "epoch": 1, "order_type": "limit",
                                            "direction": "sell", "amount": 1, "price_rate": 1, "commitment": "00",
                                            "target": "", "timestamp_ms": 1}},  # another market
            {"topic": "dex.epoch", "data": {"order_id": "8e4d", "market": "DCR/BTC", "epoch": 1156832,
                                            "order_type": "limit", "direction": "sell", "amount": 4000000000,
                                            "price_rate": 281000, "commitment": "5f3b", "target": "",
                                            "timestamp_ms": 1732450001000}},
            {"topic": "dex.epoch", "data": {"order_id": "ca", "market": "DCR/BTC", "epoch": 1156832,
                                            "order_type": "cancel", "direction": "sell", "amount": 0,
                                            "price_rate": 0, "commitment": "c1", "target": "8e4d",
                                            "timestamp_ms": 1732450001001}},
            {"topic": "dex.match", "data": {"market": "DCR/BTC", "epoch": 1156832, "preimages": ["0a1b"],
                                            "misses": ["ca"], "checksum": "d4c3", "seed": "9f8e"}},
        ])
        limit = await c.note()
        self.assertEqual(limit["route"], "epoch_order")
        p = limit["payload"]
        self.assertEqual({k: v for k, v in p.items() if k != "seq"}, {
            "marketid": "dcr_btc", "oid": "8e4d", "side": 2, "qty": 4000000000, "rate": 281000,
            "time": 1732450001000, "com": "5f3b", "otype": 1, "epoch": 1156832})
        cancel = (await c.note())["payload"]
        self.assertEqual((cancel["otype"], cancel["target"]), (3, "8e4d"))
        self.assertNotIn("side", cancel)
        self.assertGreater(cancel["seq"], p["seq"])
        proof = await c.note()
        self.assertEqual(proof, {"type": 3, "route": "match_proof", "payload": {
            "marketid": "dcr_btc", "epoch": 1156832, "preimages": ["0a1b"], "misses": ["ca"], "csum": "d4c3",
            "seed": "9f8e"}})
        # Leaving the book leaves its epoch and match notifications too: the price published after the
        # proof is the next thing this connection hears.
        self.assertEqual(await c.request("price_feed"), {"result": {}})
        self.assertEqual(await c.request("unsub_orderbook", {"marketid": "dcr_btc"}), {"result": True})
        await self.gw.apublish_ok([
            {"topic": "dex.match", "data": {"market": "DCR/BTC", "epoch": 1156833, "preimages": [],
                                            "misses": [], "checksum": "00", "seed": "00"}},
            harness.price(7, market="DCR/BTC"),
        ])
        self.assertEqual((await c.note())["route"], "price_update")


if __name__ == "__main__":
    harness.main()

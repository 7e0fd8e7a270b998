"""Drives kairos_gateway.py against a running Kairos (the demo catalog and customers, a manual
clock), printing one JSON line per step for clients/python/kairos_gateway.test.ts to check.

    python3 check_against_kairos.py ws://127.0.0.1:PORT/v1/gateway http://127.0.0.1:PORT

The connection drop is made by a TCP relay in this process, between the client and Kairos: it
can swallow what the server sends (counting it) and cut every connection.
"""

import asyncio
import json
import sys
import urllib.request
import uuid
from urllib.parse import urlparse

from kairos_gateway import GatewayClient, GatewayClientError, GatewayError

TOKEN = "demo-gateway"


def out(step, **fields):
    print(json.dumps({"step": step, **fields}), flush=True)


def declined(customer):
    return dict(type="atm.withdrawal.declined", customer={"id": customer}, channel="atm", data={"requested": 1000, "balance": 800})


def counter(http, name, **labels):
    text = urllib.request.urlopen(f"{http}/metrics").read().decode()
    total = 0.0
    for line in text.splitlines():
        if not (line.startswith(name + "{") or line.startswith(name + " ")):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def until(what, probe, seconds=10.0):
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while True:
        value = await probe()
        if value:
            return value
        if loop.time() > end:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


class Relay:
    def __init__(self, port):
        self.port = port
        self.hold = False
        self.held = 0
        self.writers = set()

    async def start(self):
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def serve(self, down_r, down_w):
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.port)
        self.writers |= {down_w, up_w}

        async def pipe(src, dst, counted):
            try:
                while True:
                    data = await src.read(65536)
                    if not data:
                        break
                    if counted and self.hold:
                        self.held += len(data)
                    else:
                        dst.write(data)
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                for w in (down_w, up_w):
                    w.close()

        await asyncio.gather(pipe(down_r, up_w, False), pipe(up_r, down_w, True))

    def cut(self):
        for w in list(self.writers):
            w.transport.abort()
        self.writers.clear()

    async def close(self):
        self.cut()
        self.server.close()
        await self.server.wait_closed()


async def main(url, http):
    # A wrong token: the server's 401.
    try:
        await GatewayClient.connect(url, "wrong")
        out("wrong-token", code=None)
    except GatewayClientError as e:
        out("wrong-token", code=e.code)

    client = await GatewayClient.connect(url, TOKEN)

    # An event's decision; the response's ack.
    id = f"py-{uuid.uuid4()}"
    decision = await client.event(id=id, **declined("demo-61"))
    sms = next(a for a in decision["actions"] if a["channel"] == "sms")
    out("decision", frame=decision, expiresAtIsInt=type(sms["expiresAt"]) is int)
    ack = await client.respond(sms["instance"], "declined", id=f"py-r-{uuid.uuid4()}")
    out("ack", frame=ack)

    # An error frame raises GatewayError with its code and re; the connection goes on.
    bad = f"py-{uuid.uuid4()}"
    try:
        await client.request({"t": "event", "id": bad, "customer": {"id": "demo-61"}})
        out("error", raised=False)
    except GatewayError as e:
        out("error", raised=True, code=e.code, re=e.re, sent=bad, message=e.message, retryable=e.retryable)

    # Many at once, at most two in flight: every reply matched to its request.
    small = await GatewayClient.connect(url, TOKEN, max_in_flight=2)
    ids = [f"py-{uuid.uuid4()}" for _ in range(5)]
    peak = 0

    async def one(i, c):
        nonlocal peak
        peak = max(peak, small.in_flight)
        return await small.event(id=ids[i], **declined(c))

    customers = ["demo-64", "demo-65", "demo-66", "demo-67", "demo-68"]
    replies = await asyncio.gather(*(one(i, c) for i, c in enumerate(customers)))
    out("many", matched=[r["re"] for r in replies] == ids and [r["customer"] for r in replies] == customers, peak=peak)
    await small.close()

    # A subscription: pushed offers confirmed delivered (failed when the handler raises).
    pushed = []

    def on_deliver(frame):
        pushed.append(frame)
        if frame["customer"] == "demo-69":
            raise RuntimeError("the phone is switched off")

    errors = []
    smsc = await GatewayClient.connect(url, TOKEN, on_deliver=on_deliver, on_error=errors.append)
    sub = await smsc.subscribe(["sms"])
    delivered_before = counter(http, "kairos_deliveries_total", channel="sms", result="delivered")
    failed_before = counter(http, "kairos_deliveries_total", channel="sms", result="failed")
    d = await client.event(**declined("demo-62"))
    instance = next(a for a in d["actions"] if a["channel"] == "sms")["instance"]
    await until("the SMS confirmed delivered", lambda: asyncio.to_thread(lambda: counter(http, "kairos_deliveries_total", channel="sms", result="delivered") > delivered_before))
    got = next(f for f in pushed if f["instance"] == instance)
    try:
        await smsc.delivered(instance)
        again = None
    except GatewayError as e:
        again = e.code
    await client.event(**declined("demo-69"))
    await until("the SMS confirmed failed", lambda: asyncio.to_thread(lambda: counter(http, "kairos_deliveries_total", channel="sms", result="failed") > failed_before))
    out("subscription", ack=sub["t"], deliver={k: got[k] for k in ("t", "customer", "channel")}, confirmedAgain=again, errors=[str(e) for e in errors])
    await smsc.close()

    # A drop: the decision swallowed, the connection cut; the client reconnects and sends the
    # event again under the same id.
    relay = Relay(urlparse(url).port)
    relay_port = await relay.start()
    states = []
    late = []

    async def confirm_late():
        try:
            await dropped.delivered("demo-63:1.x")
            return None
        except GatewayClientError as e:
            return e.code

    def on_state(state, _detail):
        states.append(state)
        # A confirmation made while disconnected belongs to the connection that closed: refused, not sent later.
        if state == "reconnecting":
            late.append(asyncio.ensure_future(confirm_late()))

    dropped = await GatewayClient.connect(f"ws://127.0.0.1:{relay_port}/v1/gateway", TOKEN, initial_delay=0.02, max_delay=0.2, on_state=on_state)
    duplicates_before = counter(http, "kairos_decisions_total", outcome="duplicate")
    contacts_before = counter(http, "kairos_contacts_total")
    relay.hold = True
    id = f"py-{uuid.uuid4()}"
    reply = asyncio.ensure_future(dropped.event(id=id, **declined("demo-63")))

    async def held():
        return relay.held > 0

    await until("the decision sent by the server", held)
    relay.hold = False
    relay.cut()
    retried = await reply
    duplicates = counter(http, "kairos_decisions_total", outcome="duplicate") - duplicates_before
    contacts = counter(http, "kairos_contacts_total") - contacts_before
    repeat = await client.event(id=id, **declined("demo-63"))
    out("reconnect", re=retried["re"], sent=id, reconnects=dropped.reconnects, states=states, duplicates=duplicates, contacts=contacts, actions=len(retried["actions"]), sameAsRepeat=retried == repeat, lateConfirmation=[await t for t in late])
    await dropped.close()
    await relay.close()

    # Closing: what still waits raises closed.
    c = await GatewayClient.connect(url, TOKEN)
    pending = asyncio.ensure_future(c.event(**declined("demo-70")))
    await c.close()
    try:
        await pending
        out("closed", code=None)
    except GatewayClientError as e:
        out("closed", code=e.code)

    await client.close()
    out("done")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

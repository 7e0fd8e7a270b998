"""A reference client for the Kairos gateway protocol, in Python (asyncio).

The WebSocket at /v1/gateway with a bearer token, binary MessagePack frames, replies matched
to requests by ``re`` (docs/protocol-v1.md, docs/protocol.md). It reconnects with exponential
backoff and jitter, sends the requests a dropped connection left unanswered again under the
same id (Kairos answers a repeated event or response id with its first answer and contacts
the customer once), bounds the requests in flight, and confirms the offers a subscription is
pushed (``deliver`` -> ``delivered``, or ``failed`` when the handler raises).

Needs Debian's python3-msgpack and python3-websockets (or msgpack and websockets from PyPI).
"""

from __future__ import annotations

import asyncio
import inspect
import random as _random
import uuid
from typing import Any, Awaitable, Callable, Dict, Iterable, Optional, Union

import msgpack
import websockets

__all__ = ["GatewayClient", "GatewayError", "GatewayClientError"]

Frame = Dict[str, Any]


class GatewayError(Exception):
    """An ``error`` frame Kairos answered a request with."""

    def __init__(self, code: str, message: str, re: Optional[str]) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.re = re

    @property
    def retryable(self) -> bool:
        """``overloaded`` and ``rate_limited``: nothing was done; the same request may be sent again later."""
        return self.code in ("overloaded", "rate_limited")


class GatewayClientError(Exception):
    """Why the client gave up on a request: timeout, closed, connection_lost, unauthorized, connect_failed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class _Pending:
    __slots__ = ("id", "data", "retry", "future", "sent_on")

    def __init__(self, id: str, data: bytes, retry: bool, future: "asyncio.Future[Frame]") -> None:
        self.id = id
        self.data = data
        self.retry = retry
        self.future = future
        self.sent_on = 0


def _status_of(error: BaseException) -> Optional[int]:
    """The HTTP status of a refused upgrade, across websockets versions (10: status_code; 11+: response.status_code)."""
    status = getattr(error, "status_code", None)
    if status is None:
        response = getattr(error, "response", None)
        status = getattr(response, "status_code", None)
    return status


async def _open(url: str, token: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    try:
        return await websockets.connect(url, additional_headers=headers, **kwargs)  # websockets >= 14
    except TypeError:
        return await websockets.connect(url, extra_headers=headers, **kwargs)  # websockets <= 13 (Debian 12: 10.4)


DeliverHandler = Callable[[Frame], Union[None, Awaitable[None]]]


class GatewayClient:
    """One gateway connection. ``await GatewayClient.connect(url, token)``, or ``async with``."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        request_timeout: float = 10.0,
        max_in_flight: int = 128,
        reconnect: bool = True,
        initial_delay: float = 0.1,
        max_delay: float = 10.0,
        max_attempts: Optional[int] = None,
        on_deliver: Optional[DeliverHandler] = None,
        on_error: Optional[Callable[[BaseException], None]] = None,
        on_state: Optional[Callable[[str, Dict[str, Any]], None]] = None,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        random: Callable[[], float] = _random.random,
        connect_kwargs: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.url = url
        self.token = token
        self.request_timeout = request_timeout
        self.max_in_flight = max_in_flight
        self.reconnect = reconnect
        self.initial_delay = initial_delay
        self.max_delay = max_delay
        self.max_attempts = max_attempts
        self.on_deliver = on_deliver
        self.on_error = on_error
        self.on_state = on_state
        self.new_id = new_id
        self.random = random
        self.connect_kwargs = connect_kwargs or {}
        self.reconnects = 0
        self._pending: Dict[str, _Pending] = {}
        self._slots: Optional[asyncio.Semaphore] = None
        self._ws: Any = None
        self._generation = 0
        self._closing = False
        self._channels: list[str] = []
        self._runner: Optional[asyncio.Task[None]] = None
        self._first: Optional[asyncio.Future[None]] = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- connecting -------------------------------------------------------------------------

    @classmethod
    async def connect(cls, url: str, token: str, **options: Any) -> "GatewayClient":
        """Connects; raises GatewayClientError when the first connection fails (``unauthorized`` on a 401)."""
        client = cls(url, token, **options)
        await client.start()
        return client

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._slots = asyncio.Semaphore(self.max_in_flight)
        self._first = loop.create_future()
        self._runner = loop.create_task(self._run())
        await self._first

    async def __aenter__(self) -> "GatewayClient":
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        return self._ws is not None

    @property
    def in_flight(self) -> int:
        """Requests sent or about to be sent and not yet answered (at most max_in_flight)."""
        return len(self._pending)

    def _state(self, state: str, **detail: Any) -> None:
        if self.on_state is not None:
            self.on_state(state, detail)

    def _report(self, error: BaseException) -> None:
        if self.on_error is not None:
            self.on_error(error)

    async def _run(self) -> None:
        attempt = 0
        first = True
        while not self._closing:
            try:
                ws = await _open(self.url, self.token, **self.connect_kwargs)
            except Exception as error:  # a refused upgrade, a refused TCP connection, a timeout
                status = _status_of(error)
                if status == 401:
                    failure = GatewayClientError("unauthorized", "the gateway token was refused (HTTP 401)")
                else:
                    failure = GatewayClientError("connect_failed", f"could not connect to {self.url}: {error!r}")
                if first or status == 401:
                    self._give_up(failure, first)
                    return
                attempt += 1
                if self.max_attempts is not None and attempt > self.max_attempts:
                    self._give_up(GatewayClientError("connection_lost", f"gave up after {self.max_attempts} attempts to reconnect"), False)
                    return
                await self._sleep_backoff(attempt)
                continue
            self._generation += 1
            generation = self._generation
            self._ws = ws
            attempt = 0
            if not first:
                self.reconnects += 1
            self._state("open")
            if first:
                first = False
                assert self._first is not None
                self._first.set_result(None)
            else:
                # Subscriptions renewed first, then what the drop left unanswered, under the same ids.
                if self._channels:
                    self._spawn(self._resubscribe())
                for p in list(self._pending.values()):
                    if p.retry and p.sent_on != generation:
                        p.sent_on = generation
                        try:
                            await ws.send(p.data)
                        except websockets.ConnectionClosed:
                            break
            code = None
            try:
                async for message in ws:
                    if isinstance(message, bytes):
                        self._receive(message, generation)
            except websockets.ConnectionClosed as closed:
                code = getattr(closed, "code", None)
            finally:
                self._ws = None
            if code is None:
                code = ws.close_code
            # Confirmations belong to the connection that was pushed the offer: not sent again.
            for p in list(self._pending.values()):
                if not p.retry and not p.future.done():
                    p.future.set_exception(GatewayClientError("connection_lost", f"the connection closed before {p.id} was answered"))
            if self._closing:
                return
            if not self.reconnect:
                self._give_up(GatewayClientError("connection_lost", f"the connection closed (code {code}) and reconnecting is off"), False)
                return
            attempt += 1
            await self._sleep_backoff(attempt, code)

    async def _sleep_backoff(self, attempt: int, code: Optional[int] = None) -> None:
        ceiling = min(self.max_delay, self.initial_delay * 2 ** (attempt - 1))
        # Equal jitter: half the delay fixed, half random, so gateways dropped together spread out.
        delay = ceiling / 2 + self.random() * ceiling / 2
        self._state("reconnecting", attempt=attempt, delay=delay, code=code)
        await asyncio.sleep(delay)

    def _give_up(self, error: GatewayClientError, first: bool) -> None:
        self._closing = True
        if first and self._first is not None and not self._first.done():
            self._first.set_exception(error)
        else:
            self._report(error)
        for p in list(self._pending.values()):
            if not p.future.done():
                p.future.set_exception(error)
        self._state("closed")

    async def _resubscribe(self) -> None:
        try:
            await self.request({"t": "subscribe", "id": self.new_id(), "channels": list(self._channels)})
        except Exception as error:
            self._report(error)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- frames -----------------------------------------------------------------------------

    def _receive(self, data: bytes, generation: int) -> None:
        try:
            frame = msgpack.unpackb(data, raw=False, strict_map_key=True)
        except Exception as error:
            self._report(error)
            return
        if not isinstance(frame, dict):
            return
        if frame.get("t") == "deliver":
            self._spawn(self._deliver(frame, generation))
            return
        re = frame.get("re")
        p = self._pending.get(re) if isinstance(re, str) else None
        if p is None or p.future.done():
            if frame.get("t") == "error":
                self._report(GatewayError(str(frame.get("code")), str(frame.get("message")), re))
            return
        if frame.get("t") == "error":
            p.future.set_exception(GatewayError(str(frame.get("code")), str(frame.get("message")), re))
        else:
            p.future.set_result(frame)

    async def _deliver(self, frame: Frame, generation: int) -> None:
        reason = None
        try:
            if self.on_deliver is not None:
                result = self.on_deliver(frame)
                if inspect.isawaitable(result):
                    await result
        except Exception as error:
            reason = str(error) or type(error).__name__
        # An offer pushed to a connection that dropped is pushed again on the new one: confirmed there.
        if generation != self._generation or self._ws is None or self._closing:
            return
        try:
            if reason is None:
                await self.delivered(frame["instance"], frame.get("channel"))
            else:
                await self.failed(frame["instance"], reason, frame.get("channel"))
        except Exception as error:
            self._report(error)

    async def request(self, frame: Frame, *, retry: bool = True, timeout: Optional[float] = None) -> Frame:
        """Sends a request frame (it needs a string ``id``); returns the reply whose ``re`` is that id.

        An ``error`` reply raises GatewayError. ``retry=False`` (confirmations): not sent again
        on a new connection, raises GatewayClientError("connection_lost") instead.
        """
        id = frame.get("id")
        if not isinstance(id, str) or id == "":
            raise TypeError("a request frame needs a string id")
        if self._closing:
            raise GatewayClientError("closed", "the client is closed")
        if id in self._pending:
            raise ValueError(f"a request with id {id} is already waiting for its reply")
        assert self._slots is not None, "connect first"
        # A confirmation belongs to the connection it was made on.
        generation = self._generation
        if not retry and self._ws is None:
            raise GatewayClientError("connection_lost", f"not connected: {id} belongs to the connection that closed")
        timeout = self.request_timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout)
        except asyncio.TimeoutError:
            raise GatewayClientError("timeout", f"no room to send {id} in {timeout} s") from None
        try:
            if self._closing:
                raise GatewayClientError("closed", "the client is closed")
            if not retry and (self._ws is None or self._generation != generation):
                raise GatewayClientError("connection_lost", f"the connection closed before {id} was sent")
            p = _Pending(id, msgpack.packb(frame, use_bin_type=True), retry, loop.create_future())
            self._pending[id] = p
            ws = self._ws
            if ws is not None:
                p.sent_on = self._generation
                try:
                    # send() waits while the socket's write buffer is above its high-water mark.
                    await ws.send(p.data)
                except websockets.ConnectionClosed:
                    pass  # sent again on the next connection (or failed, for a confirmation)
            try:
                return await asyncio.wait_for(asyncio.shield(p.future), max(0.0, deadline - loop.time()))
            except asyncio.TimeoutError:
                raise GatewayClientError("timeout", f"no reply to {id} in {timeout} s") from None
        finally:
            self._pending.pop(id, None)
            self._slots.release()

    async def event(self, type: str, customer: Dict[str, Any], *, id: Optional[str] = None, **fields: Any) -> Frame:
        """Sends an event (``id``: its idempotency key, a UUID when absent); returns its decision."""
        return await self.request({"t": "event", "id": id or self.new_id(), "type": type, "customer": customer, **fields})

    async def respond(self, instance: str, outcome: str, *, id: Optional[str] = None, **fields: Any) -> Frame:
        """Sends a customer's answer to an offer instance; returns the ack."""
        return await self.request({"t": "response", "id": id or self.new_id(), "instance": instance, "outcome": outcome, **fields})

    async def subscribe(self, channels: Iterable[str]) -> Frame:
        """Subscribes to offers on these channels (needs on_deliver); renewed on every reconnection."""
        if self.on_deliver is None:
            raise TypeError("subscribe needs an on_deliver handler")
        channels = list(channels)
        ack = await self.request({"t": "subscribe", "id": self.new_id(), "channels": channels})
        for c in channels:
            if c not in self._channels:
                self._channels.append(c)
        return ack

    async def delivered(self, instance: str, channel: Optional[str] = None) -> Frame:
        frame: Frame = {"t": "delivered", "id": self.new_id(), "instance": instance}
        if channel is not None:
            frame["channel"] = channel
        return await self.request(frame, retry=False)

    async def failed(self, instance: str, reason: str, channel: Optional[str] = None) -> Frame:
        frame: Frame = {"t": "failed", "id": self.new_id(), "instance": instance, "reason": reason}
        if channel is not None:
            frame["channel"] = channel
        return await self.request(frame, retry=False)

    async def close(self) -> None:
        """Closes the connection and stops reconnecting; requests still waiting raise ``closed``."""
        if self._closing and self._runner is None:
            return
        self._closing = True
        for p in list(self._pending.values()):
            if not p.future.done():
                p.future.set_exception(GatewayClientError("closed", "the client was closed"))
        ws = self._ws
        if ws is not None:
            await ws.close()
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
            try:
                await runner
            except (asyncio.CancelledError, Exception):
                pass
        for task in list(self._tasks):
            task.cancel()
        self._state("closed")

"""A real HTTP server on 127.0.0.1 that plays Leonar with scripted answers."""

from __future__ import annotations

import json
import socket
import threading
import time
import warnings
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crew.leonar.spec import Spec, load_spec

with warnings.catch_warnings():
    # CrewAI's import warns about its own package layout; nothing we can act on.
    warnings.simplefilter("ignore", ImportWarning)
    import crewai  # noqa: F401

KEY = "leo_test_secret_key_0123456789"


@dataclass
class Received:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


@dataclass
class Scripted:
    """One answer the server will give."""

    status: int = 200
    body: Any = field(default_factory=lambda: {"data": {}})
    headers: dict[str, str] = field(default_factory=dict)


class FakeLeonar:
    """Answers from a queue (then a default), and records every request."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.queue: deque[Scripted] = deque()
        self.default = Scripted()
        self.url = ""

    def reset(self) -> None:
        self.received.clear()
        self.queue.clear()
        self.default = Scripted()

    def answer(self, *answers: Scripted) -> None:
        self.queue.extend(answers)

    async def handle(self, request: Request) -> Response:
        raw = await request.body()
        self.received.append(
            Received(
                method=request.method,
                path=request.url.path,
                query=dict(request.query_params),
                body=json.loads(raw) if raw else None,
                headers=dict(request.headers),
            )
        )
        scripted = self.queue.popleft() if self.queue else self.default
        content = b"" if scripted.body is None else json.dumps(scripted.body).encode()
        return Response(
            content,
            status_code=scripted.status,
            headers=scripted.headers,
            media_type="application/json",
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def leonar_server() -> Iterator[FakeLeonar]:
    fake = FakeLeonar()
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    app = Starlette(routes=[Route("/{path:path}", fake.handle, methods=methods)])
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    fake.url = f"http://127.0.0.1:{port}/api/v1"
    yield fake
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def server(leonar_server: FakeLeonar) -> FakeLeonar:
    leonar_server.reset()
    return leonar_server


@pytest.fixture(scope="session")
def spec() -> Spec:
    return load_spec()


class FakeClock:
    """Unix time that moves only when the client sleeps."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def unique_key(request: pytest.FixtureRequest) -> str:
    """A key of its own per test, so budgets never leak between tests."""
    return f"leo_{request.node.name}_{time.monotonic_ns()}"

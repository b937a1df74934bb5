"""Run the sandbox on a real uvicorn server in a background thread.

    with SandboxServer(SandboxConfig(seed=0)) as server:
        httpx.get(server.base_url + "/contacts", headers=...)

``base_url`` ends in /api/v1, like Leonar's; ``keys`` maps env var names to keys.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import uvicorn

from crew.sandbox.app import DROPPED_MESSAGE, build_app
from crew.sandbox.faults import FaultPlan
from crew.sandbox.keys import Keyring, default_keys, load_keys
from crew.sandbox.spec import load_spec
from crew.sandbox.state import Sandbox

__all__ = ["SandboxConfig", "SandboxServer", "SandboxStartError"]

logger = logging.getLogger(__name__)


class SandboxStartError(RuntimeError):
    """The server did not come up."""


@dataclass(frozen=True)
class SandboxConfig:
    """How to run a sandbox.

    Attributes:
        host: the interface to listen on.
        port: the port; 0 picks a free one.
        db: a SQLite file kept between runs; None keeps state in memory.
        seed: the seed of the workspace.
        keys: a YAML key file; None gives the default keys.
        rate_limit: requests per key per window.
        rate_window: the rate-limit window, in seconds.
        faults: faults injected from the start.
    """

    host: str = "127.0.0.1"
    port: int = 0
    db: Path | None = None
    seed: int = 0
    keys: Path | None = None
    rate_limit: int = 1000
    rate_window: int = 3600
    faults: FaultPlan = field(default_factory=FaultPlan)

    def keyring(self) -> Keyring:
        """The keys this config names (KeyFileError if the key file is bad)."""
        return default_keys() if self.keys is None else load_keys(self.keys)


class _DropFilter(logging.Filter):
    """Keeps injected dropped connections out of uvicorn's error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != DROPPED_MESSAGE


class SandboxServer:
    """A sandbox served by uvicorn in a daemon thread; a context manager.

    Args:
        config: how to run it; defaults to an in-memory, seed-0 sandbox.
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.sandbox = Sandbox(
            db=self.config.db,
            seed=self.config.seed,
            keys=self.config.keyring(),
            rate_limit=self.config.rate_limit,
            rate_window=self.config.rate_window,
            faults=self.config.faults,
        )
        self.spec = load_spec()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = self.config.port

    @property
    def root_url(self) -> str:
        """http://host:port, where /_sandbox/ lives."""
        return f"http://{self.config.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Leonar's base URL on this server, ending in /api/v1."""
        return self.root_url + self.spec.base_path

    @property
    def keys(self) -> dict[str, str]:
        """Env var name -> key value."""
        return self.sandbox.keys.as_env()

    def start(self, timeout: float = 10.0) -> SandboxServer:
        """Start serving; return once the server accepts connections."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.config.host, self.config.port))
        self.port = sock.getsockname()[1]
        logging.getLogger("uvicorn.error").addFilter(_DropFilter())
        config = uvicorn.Config(
            build_app(self.sandbox, self.spec),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            daemon=True,
            name=f"leonar-sandbox-{self.port}",
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise SandboxStartError(f"the sandbox did not start on {self.root_url}")
            time.sleep(0.01)
        logger.info("sandbox serving %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.sandbox.store.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

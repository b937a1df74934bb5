"""``leonar-crew sandbox``: serve the sandbox until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from crew.sandbox.keys import KeyFileError
from crew.sandbox.server import SandboxConfig, SandboxServer, SandboxStartError

__all__ = ["main", "parser"]


def parser() -> argparse.ArgumentParser:
    """The command line of the sandbox."""
    cli = argparse.ArgumentParser(
        prog="leonar-crew sandbox",
        description="Serve a local emulation of Leonar's API v1 to rehearse on.",
    )
    cli.add_argument("--host", default="127.0.0.1", help="interface (127.0.0.1)")
    cli.add_argument("--port", type=int, default=8765, help="port (8765; 0 = any)")
    cli.add_argument("--db", type=Path, help="SQLite file kept between runs")
    cli.add_argument("--seed", type=int, default=0, help="workspace seed (0)")
    cli.add_argument("--keys", type=Path, help="YAML key file: ENV_NAME: {key, scopes}")
    cli.add_argument(
        "--rate-limit", type=int, default=1000, help="requests per key per hour (1000)"
    )
    return cli


def main(
    argv: Sequence[str] | None = None, *, stop: threading.Event | None = None
) -> int:
    """Start the sandbox, print its URL and keys, serve until Ctrl-C (or stop)."""
    args = parser().parse_args(argv)
    if args.rate_limit < 1:
        print("--rate-limit: must be at least 1", file=sys.stderr)
        return 2
    config = SandboxConfig(
        host=args.host,
        port=args.port,
        db=args.db,
        seed=args.seed,
        keys=args.keys,
        rate_limit=args.rate_limit,
    )
    try:
        server = SandboxServer(config)
        server.start()
    except (KeyFileError, SandboxStartError, OSError) as exc:
        print(f"leonar-crew sandbox: {exc}", file=sys.stderr)
        return 1
    _announce(server)
    try:
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _announce(server: SandboxServer) -> None:
    print(f"Leonar sandbox at {server.base_url}")
    print(f"Inspect it at {server.root_url}/_sandbox/state")
    print(f"export LEONAR_BASE_URL={server.base_url}")
    for name, value in server.keys.items():
        print(f"export {name}={value}")
    print("Ctrl-C to stop.", flush=True)

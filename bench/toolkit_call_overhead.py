"""The cost of a tool call against a bare httpx call, both to one local server.

Both send GET /deals/{id} to a starlette app under uvicorn on 127.0.0.1 and get
the same small JSON body. The tool call adds argument validation, the middleware
chain (empty here), the key's budget, the Exchange and the compact result.
Target: tool time / bare time at most 1.2. Exits 1 if the target is missed.

Both sides run in short interleaved rounds, taking turns to go first, each round
after its own warm-up; the verdict is the median of the per-round ratios, so drift
and a busy neighbour on this machine hit both sides alike and no single lucky or
unlucky round decides.

Where the added time goes, timed alone: the argument check and ToolCall 7 us,
CrewAI's own BaseTool.run (pydantic validation, model_dump, usage lock) 10 us,
the Exchange with its arguments digest 11 us, compact JSON 8 us, the rate headers
and budget 5 us, the request parts 3 us. Inside the loop the sum roughly doubles,
as each call resumes with cold caches after waiting on the socket.
"""

from __future__ import annotations

import socket
import statistics
import sys
import threading
import time

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from crew.leonar.client import LeonarClient
from crew.leonar.spec import load_spec
from crew.leonar.tools import build_toolset

TARGET = 1.2
ROUNDS = 31
CALLS = 80
"""Calls per side in each round, after a warm-up of WARM_UP calls."""
WARM_UP = 10
DEAL_ID = "8c1e3d52-54a4-4a5e-9d7c-0f6f2b0a1c11"
BODY = {"data": {"id": DEAL_ID, "title": "Senior engineer search", "status": "open"}}
HEADERS = {
    "X-RateLimit-Limit": "1000000",
    "X-RateLimit-Remaining": "999999",
    "X-RateLimit-Reset": "9999999999",
}


async def deal(request):
    return JSONResponse(BODY, headers=HEADERS)


def start_server() -> tuple[uvicorn.Server, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = Starlette(routes=[Route("/api/v1/deals/{deal_id}", deal)])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return server, f"http://127.0.0.1:{port}/api/v1"


def timed(call, calls: int) -> float:
    """Mean seconds per call over calls calls, after a warm-up."""
    for _ in range(WARM_UP):
        call()
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - started) / calls


def main() -> int:
    server, url = start_server()
    spec = load_spec()
    bare = httpx.Client(base_url=url, headers={"Authorization": "Bearer leo_bench"})
    client = LeonarClient("leo_bench", key_name="LEONAR_BENCH_KEY", base_url=url)
    (tool,) = build_toolset(
        spec,
        agent="bench",
        key_name="LEONAR_BENCH_KEY",
        scopes=["deals:read"],
        client=client,
        allowlist=["get_deal"],
        environ={"LEONAR_BENCH_KEY": "x"},
    )

    def bare_call() -> None:
        bare.get(f"/deals/{DEAL_ID}").json()

    def tool_call() -> None:
        tool.run(deal_id=DEAL_ID)

    # Interleave short rounds, alternating which side goes first, and judge by
    # the median of the per-round ratios: each ratio compares two measurements
    # taken a few milliseconds apart.
    bare_times, tool_times, ratios = [], [], []
    for round_ in range(ROUNDS):
        if round_ % 2:
            tool_s = timed(tool_call, CALLS)
            bare_s = timed(bare_call, CALLS)
        else:
            bare_s = timed(bare_call, CALLS)
            tool_s = timed(tool_call, CALLS)
        bare_times.append(bare_s)
        tool_times.append(tool_s)
        ratios.append(tool_s / bare_s)
    ratio = statistics.median(ratios)
    bare_s, tool_s = statistics.median(bare_times), statistics.median(tool_times)
    verdict = "ok" if ratio <= TARGET else "MISSED"
    print(f"bare httpx call: {bare_s * 1e3:.3f} ms (median of {ROUNDS} rounds)")
    print(f"tool call:       {tool_s * 1e3:.3f} ms (median of {ROUNDS} rounds)")
    print(
        f"added per call:  {(tool_s - bare_s) * 1e3:.3f} ms; per-round ratios "
        f"{min(ratios):.2f}-{max(ratios):.2f}"
    )
    print(f"ratio {ratio:.2f} (median; target <= {TARGET}) {verdict}")
    bare.close()
    client.close()
    server.should_exit = True
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

"""Load on the sandbox: requests per second and p99 latency of Leonar operations,
against a trivial endpoint of the same server measured in the same run.

Two concurrent clients send a mix of list, search and get requests (the traffic
the crew's tests make), then the same number of requests to /_sandbox/ping. The
ratio tells how much of a test's time the sandbox's own work takes.

    python bench/sandbox_load.py [--requests N]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable

import httpx

from crew.sandbox import SandboxConfig, SandboxServer, seed

CLIENTS = 2


def _leonar_mix(client: httpx.Client, i: int) -> httpx.Response:
    step = i % 5
    if step == 0:
        return client.get("/contacts", params={"limit": 20, "offset": i % 40})
    if step == 1:
        return client.post("/contacts/search", json={"has_email": False, "limit": 20})
    if step == 2:
        return client.get(f"/projects/{seed.MAIN_PROJECT}")
    if step == 3:
        return client.post(
            "/sourcing/linkedin/search",
            json={
                "project_id": seed.MAIN_PROJECT,
                "account_id": seed.ACTIVE_ACCOUNT,
                "job_titles": ["Backend Engineer"],
                "location_ids": {seed.PARIS_GEO_ID: "Paris"},
                "page_size": 25,
            },
        )
    return client.get(f"/sequences/{seed.ACTIVE_SEQUENCE}")


def _ping(client: httpx.Client, i: int) -> httpx.Response:
    return client.get("/_sandbox/ping")


def _run(
    base_url: str,
    key: str,
    send: Callable[[httpx.Client, int], httpx.Response],
    per_client: int,
) -> tuple[float, list[float]]:
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    failures: list[str] = []

    def work(index: int) -> None:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base_url, headers=headers) as client:
            for i in range(per_client):
                start = time.perf_counter()
                response = send(client, i)
                latencies[index].append(time.perf_counter() - start)
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(CLIENTS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, first: {failures[0]}")
    return elapsed, [x for row in latencies for x in row]


def _p99(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98]


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--requests", type=int, default=2000, help="per kind (2000)")
    args = cli.parse_args()
    per_client = args.requests // CLIENTS
    total = per_client * CLIENTS

    with SandboxServer(SandboxConfig(rate_limit=10_000_000)) as server:
        key = server.keys["LEONAR_ADMIN_API_KEY"]
        _run(server.base_url, key, _leonar_mix, 20)  # warm up
        base_time, base_lat = _run(server.root_url, key, _ping, per_client)
        leo_time, leo_lat = _run(server.base_url, key, _leonar_mix, per_client)

    rows = (
        ("baseline /_sandbox/ping", total / base_time, _p99(base_lat)),
        ("Leonar operations mix", total / leo_time, _p99(leo_lat)),
    )
    print(f"{CLIENTS} concurrent clients, {total} requests each kind")
    for name, rps, p99 in rows:
        print(f"  {name:<26} {rps:8.0f} req/s   p99 {p99 * 1000:6.2f} ms")
    print(
        f"  ratio (mix / baseline)     {rows[1][1] / rows[0][1]:8.2f} x throughput"
        f"   {rows[1][2] / rows[0][2]:6.2f} x p99"
    )


if __name__ == "__main__":
    main()

"""The command line and the programmatic server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from crew.sandbox import SandboxConfig, SandboxServer, seed
from crew.sandbox.serve import main


def test_main_prints_url_and_keys_and_serves_until_stopped(capsys):
    stop = threading.Event()
    codes = []
    thread = threading.Thread(
        target=lambda: codes.append(main(["--port", "0", "--seed", "3"], stop=stop))
    )
    thread.start()
    output = ""
    deadline = time.monotonic() + 10
    while "Ctrl-C" not in output and time.monotonic() < deadline:
        time.sleep(0.05)
        output += capsys.readouterr().out

    url = next(
        line.split("=", 1)[1]
        for line in output.splitlines()
        if line.startswith("export LEONAR_BASE_URL=")
    )
    key = next(
        line.split("=", 1)[1]
        for line in output.splitlines()
        if line.startswith("export LEONAR_READONLY_API_KEY=")
    )
    response = httpx.get(url + "/tags", headers={"Authorization": f"Bearer {key}"})
    stop.set()
    thread.join(10)

    assert url.endswith("/api/v1")
    assert key.startswith("leo_")
    assert response.status_code == 200
    assert codes == [0]


def test_main_reports_a_bad_key_file(tmp_path: Path, capsys):
    keys = tmp_path / "keys.yaml"
    keys.write_text("X: {key: bad, scopes: []}\n")

    code = main(["--port", "0", "--keys", str(keys)])

    assert code == 1
    assert "X.key: must be a string starting with leo_" in capsys.readouterr().err


def test_file_database_is_kept_between_runs(tmp_path: Path):
    config = SandboxConfig(db=tmp_path / "sandbox.db")
    with SandboxServer(config) as server:
        headers = {"Authorization": f"Bearer {server.keys['LEONAR_ADMIN_API_KEY']}"}
        httpx.post(server.base_url + "/tags", json={"name": "Kept"}, headers=headers)

    with SandboxServer(config) as server:
        rows = httpx.get(server.root_url + "/_sandbox/state/tags").json()["rows"]

    assert [t["name"] for t in rows][-1] == "Kept"
    assert len(rows) == len(seed.TAGS) + 1


def test_rate_limit_is_configurable():
    with SandboxServer(SandboxConfig(rate_limit=2)) as server:
        headers = {"Authorization": f"Bearer {server.keys['LEONAR_ADMIN_API_KEY']}"}
        statuses = [
            httpx.get(server.base_url + "/tags", headers=headers).status_code
            for _ in range(3)
        ]

    assert statuses == [200, 200, 429]

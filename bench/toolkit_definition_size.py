"""Tool-definition bytes per agent against a naive conversion of the whole spec.

The naive conversion gives every agent every operation, with its full summary and
description, and its raw parameters and request body with $refs inlined. Ours
gives each agent only the operations its default scopes cover, with flat schemas.
Target: each agent's ratio at most 1/4. Exits 1 if a target is missed.
"""

from __future__ import annotations

import json
import sys

from crew.leonar.client import LeonarClient
from crew.leonar.spec import inline_refs, load_spec
from crew.leonar.tools import build_toolset, definition_size

TARGET = 0.25
AGENTS = {
    "sourcer": (
        "LEONAR_SOURCER_API_KEY",
        ["sourcing:read", "sourcing:write", "contacts:read", "projects:read"],
    ),
    "enricher": (
        "LEONAR_ENRICHER_API_KEY",
        ["contacts:read", "enrichment:read", "enrichment:write"],
    ),
    "outreach": (
        "LEONAR_OUTREACH_API_KEY",
        ["sequences:read", "sequences:write", "contacts:read", "messaging:write"],
    ),
    "deal_manager": (
        "LEONAR_DEAL_MANAGER_API_KEY",
        ["deals:read", "deals:write", "contacts:read", "companies:read"],
    ),
}


def naive_size() -> int:
    """Bytes of every operation converted as is: full text, unflattened inputs."""
    spec = load_spec()
    document = spec.document
    definitions = []
    for item in document["paths"].values():
        for method, raw in item.items():
            if method == "parameters":
                continue
            parameters = [*item.get("parameters", ()), *raw.get("parameters", ())]
            schema = {
                "type": "object",
                "properties": {
                    "parameters": inline_refs(document, parameters),
                    "requestBody": inline_refs(document, raw.get("requestBody", {})),
                },
            }
            text = " ".join(
                p for p in (raw.get("summary"), raw.get("description")) if p
            )
            definitions.append(
                {"name": raw["operationId"], "description": text, "parameters": schema}
            )
    return len(json.dumps(definitions, separators=(",", ":")).encode())


def main() -> int:
    spec = load_spec()
    baseline = naive_size()
    print(f"naive conversion (all {len(spec.operations)} operations): {baseline} bytes")
    missed = []
    for agent, (key_name, scopes) in AGENTS.items():
        with LeonarClient("leo_bench", key_name=key_name, agent=agent) as client:
            tools = build_toolset(
                spec,
                agent=agent,
                key_name=key_name,
                scopes=scopes,
                client=client,
                environ={key_name: "leo_bench"},
            )
            size = definition_size(tools)
        ratio = size / baseline
        verdict = "ok" if ratio <= TARGET else "MISSED"
        print(
            f"{agent:>13}: {len(tools):2d} tools, {size:6d} bytes, "
            f"ratio {ratio:.3f} (target <= {TARGET}) {verdict}"
        )
        if ratio > TARGET:
            missed.append(agent)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

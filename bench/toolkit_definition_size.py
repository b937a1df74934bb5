"""Tool-definition bytes per agent against a naive conversion of the whole spec.

The naive conversion gives every agent every operation, with its full summary and
description, and its raw parameters and request body with $refs inlined. Ours
gives each agent what config/agents.yaml configures: the operations its key's
scopes cover, narrowed by its allowlist, plus the composite tools, all with flat
schemas. That is what the LLM receives, and the target applies to it: each agent's
ratio at most 1/4. The figures for scopes alone (no allowlist, no composite tools)
are printed too, for information. Exits 1 if a target is missed.
"""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack

from crew.config import load_config
from crew.leonar.client import LeonarClient
from crew.leonar.spec import inline_refs, load_spec
from crew.leonar.tools import build_toolset, definition_size
from crew.toolsets import AgentAccess, build_agent_toolsets

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


def configured_sizes() -> dict[str, tuple[int, int]]:
    """Each agent as config/agents.yaml configures it: (tools, bytes)."""
    spec = load_spec()
    config = load_config()
    accesses = [
        AgentAccess(name, a.key_env, "leo_bench", a.scopes, a.tools)
        for name, a in config.agents.items()
    ]
    with ExitStack() as stack:
        toolsets = build_agent_toolsets(
            spec, accesses, clients=stack, base_url="http://127.0.0.1:9"
        )
        return {
            name: (len(tools), definition_size(tools))
            for name, tools in toolsets.items()
        }


def scope_only_sizes() -> dict[str, tuple[int, int]]:
    """Each agent with its default scopes and nothing else: (tools, bytes)."""
    spec = load_spec()
    sizes = {}
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
            sizes[agent] = (len(tools), definition_size(tools))
    return sizes


def main() -> int:
    spec = load_spec()
    baseline = naive_size()
    print(f"naive conversion (all {len(spec.operations)} operations): {baseline} bytes")
    print("\nas configured in config/agents.yaml (what the LLM receives):")
    missed = []
    for agent, (count, size) in configured_sizes().items():
        ratio = size / baseline
        verdict = "ok" if ratio <= TARGET else "MISSED"
        print(
            f"{agent:>13}: {count:2d} tools, {size:6d} bytes, "
            f"ratio {ratio:.3f} (target <= {TARGET}) {verdict}"
        )
        if ratio > TARGET:
            missed.append(agent)
    print("\nscopes alone, no allowlist, no composite tools (for information):")
    for agent, (count, size) in scope_only_sizes().items():
        ratio = size / baseline
        print(f"{agent:>13}: {count:2d} tools, {size:6d} bytes, ratio {ratio:.3f}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Key scopes: Leonar's names, their aliases and bundles, and what a set of them covers.

Leonar's pages disagree on a few names: the AI-agents guide says messaging:write
where the authentication page says messages:write, and speaks of read_only as a
scope where the authentication page calls it a bundle. Both spellings are accepted
here and normalised to the authentication page's names. The bundles a key can be
created with expand to their scopes: read_only to every :read scope, crm,
automation and sourcing to every scope of their resources. admin and full_access
are never allowed for an agent.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ALIASES",
    "BUNDLES",
    "FORBIDDEN",
    "STANDARD_SCOPES",
    "covers",
    "expand_scopes",
    "missing_scopes",
    "normalise_scope",
]

STANDARD_SCOPES: frozenset[str] = frozenset(
    {
        *(
            f"{resource}:{level}"
            for resource in ("contacts", "companies", "deals")
            for level in ("read", "write", "delete")
        ),
        *(
            f"{resource}:{level}"
            for resource in (
                "notes",
                "tags",
                "tasks",
                "enrichment",
                "messages",
                "projects",
                "pipeline",
                "sequences",
                "sourcing",
            )
            for level in ("read", "write")
        ),
    }
)
"""Scopes listed on Leonar's authentication page."""

ALIASES: dict[str, str] = {
    "messaging:read": "messages:read",
    "messaging:write": "messages:write",
}
"""Other spellings found in Leonar's docs, mapped to the canonical name."""

FORBIDDEN: frozenset[str] = frozenset({"admin", "full_access"})
"""Scopes an agent may never hold: they grant everything."""

READ_ONLY = "read_only"

BUNDLES: dict[str, frozenset[str]] = {
    "crm": frozenset({"companies", "deals", "contacts", "notes", "tags"}),
    "automation": frozenset(
        {"sequences", "contacts", "pipeline", "enrichment", "tasks"}
    ),
    "sourcing": frozenset({"contacts", "projects", "pipeline", "sourcing"}),
}
"""Leonar's key bundles by the resources they grant at every level."""


def normalise_scope(scope: str) -> str:
    """Return the canonical spelling of a scope name."""
    cleaned = scope.strip().lower()
    return ALIASES.get(cleaned, cleaned)


def expand_scopes(scopes: Iterable[str], *, known: Iterable[str]) -> frozenset[str]:
    """Normalise scope names and expand the bundles a key may have been created with.

    read_only becomes every known :read scope; crm, automation and sourcing become
    every known scope of their resources. full_access is left as is, to be refused.
    """
    known_set = {normalise_scope(scope) for scope in known}
    expanded: set[str] = set()
    for scope in scopes:
        name = normalise_scope(scope)
        if name == READ_ONLY:
            expanded.update(s for s in known_set if s.endswith(":read"))
        elif name in BUNDLES:
            resources = BUNDLES[name]
            expanded.update(s for s in known_set if s.split(":")[0] in resources)
        else:
            expanded.add(name)
    return frozenset(expanded)


def missing_scopes(granted: Iterable[str], required: Iterable[str]) -> frozenset[str]:
    """The required scopes that the granted ones do not cover."""
    have = {normalise_scope(scope) for scope in granted}
    return frozenset(normalise_scope(s) for s in required) - have


def covers(granted: Iterable[str], required: Iterable[str]) -> bool:
    """True when the granted scopes include every required one."""
    return not missing_scopes(granted, required)

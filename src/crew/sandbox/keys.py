"""API keys of the sandbox: who may call what.

A key file is YAML mapping an environment variable name to ``{key, scopes}``::

    LEONAR_SOURCER_API_KEY:
      key: leo_sandbox_sourcer
      scopes: [sourcing:read, sourcing:write, contacts:read, projects:read]

Without one, the sandbox holds one key per crew agent with that agent's default
scopes, plus an admin key (full_access) and a read-only key. Scopes follow
Leonar's documentation: ``messaging:write`` is an alias of ``messages:write`` and
the bundles read_only, full_access, crm, automation and sourcing expand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "DEFAULT_SCOPES",
    "Key",
    "KeyFileError",
    "Keyring",
    "default_keys",
    "expand_scopes",
    "load_keys",
]

RESOURCES = (
    "contacts", "companies", "deals", "notes", "tags", "tasks", "enrichment",
    "messages", "projects", "pipeline", "sequences", "sourcing",
)  # fmt: skip
ACTIONS = ("read", "write", "delete")
ALIASES = {"messaging:read": "messages:read", "messaging:write": "messages:write"}
BUNDLES: dict[str, tuple[str, ...]] = {
    "crm": ("companies", "deals", "contacts", "notes", "tags"),
    "automation": ("sequences", "contacts", "pipeline", "enrichment", "tasks"),
    "sourcing": ("contacts", "projects", "pipeline", "sourcing"),
}

DEFAULT_SCOPES: dict[str, tuple[str, ...]] = {
    "LEONAR_SOURCER_API_KEY": (
        "sourcing:read", "sourcing:write", "contacts:read", "projects:read",
    ),
    "LEONAR_ENRICHER_API_KEY": ("contacts:read", "enrichment:read", "enrichment:write"),
    "LEONAR_OUTREACH_API_KEY": (
        "sequences:read", "sequences:write", "contacts:read", "messaging:write",
    ),
    "LEONAR_DEAL_MANAGER_API_KEY": (
        "deals:read", "deals:write", "contacts:read", "companies:read",
    ),
    "LEONAR_ADMIN_API_KEY": ("full_access",),
    "LEONAR_READONLY_API_KEY": ("read_only",),
}  # fmt: skip


class KeyFileError(Exception):
    """A key file the sandbox cannot use; the message lists every problem."""


@dataclass(frozen=True)
class Key:
    """One API key: the env var it is published under, its value and its scopes."""

    name: str
    value: str
    scopes: tuple[str, ...]

    @property
    def granted(self) -> frozenset[str]:
        """The concrete scopes this key holds once bundles and aliases expand."""
        return expand_scopes(self.scopes)

    def missing(self, required: Iterable[str]) -> list[str]:
        """The required scopes this key lacks, in the order given."""
        granted = self.granted
        return [s for s in required if ALIASES.get(s, s) not in granted]


class Keyring:
    """The sandbox's keys, looked up by value."""

    def __init__(self, keys: Iterable[Key]) -> None:
        self._by_value = {key.value: key for key in keys}

    def __iter__(self):
        return iter(self._by_value.values())

    def find(self, value: str) -> Key | None:
        """The key with this value, or None."""
        return self._by_value.get(value)

    def as_env(self) -> dict[str, str]:
        """Env var name -> key value, to hand to a crew."""
        return {key.name: key.value for key in self._by_value.values()}


def expand_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """Expand bundles and aliases into concrete resource:action scopes."""
    granted: set[str] = set()
    for scope in scopes:
        if scope in ("full_access", "admin"):
            granted.update(f"{r}:{a}" for r in RESOURCES for a in ACTIONS)
        elif scope == "read_only":
            granted.update(f"{r}:read" for r in RESOURCES)
        elif scope in BUNDLES:
            granted.update(f"{r}:{a}" for r in BUNDLES[scope] for a in ACTIONS)
        else:
            granted.add(ALIASES.get(scope, scope))
    return frozenset(granted)


def default_keys() -> Keyring:
    """One key per crew agent with its default scopes, plus admin and read-only."""
    return Keyring(
        Key(name, _default_value(name), scopes)
        for name, scopes in DEFAULT_SCOPES.items()
    )


def load_keys(path: Path) -> Keyring:
    """Read a YAML key file; raise KeyFileError listing every problem found."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KeyFileError(f"{path}: cannot read the key file: {exc}") from exc
    problems: list[str] = []
    keys = list(_parse(raw, str(path), problems))
    if problems:
        raise KeyFileError("\n".join(problems))
    return Keyring(keys)


def _parse(raw: Any, where: str, problems: list[str]) -> Iterable[Key]:
    if not isinstance(raw, Mapping) or not raw:
        problems.append(
            f"{where}: expected a mapping of env var name to {{key, scopes}}"
        )
        return
    seen: set[str] = set()
    for name, entry in raw.items():
        key = _parse_entry(str(name), entry, f"{where}: {name}", problems)
        if key is None:
            continue
        if key.value in seen:
            problems.append(f"{where}: {name}.key: the same key is given twice")
        seen.add(key.value)
        yield key


def _parse_entry(name: str, entry: Any, where: str, problems: list[str]) -> Key | None:
    if not isinstance(entry, Mapping):
        problems.append(f"{where}: expected {{key, scopes}}")
        return None
    value, scopes = entry.get("key"), entry.get("scopes")
    ok = True
    if not isinstance(value, str) or not value.startswith("leo_"):
        problems.append(f"{where}.key: must be a string starting with leo_")
        ok = False
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        problems.append(f"{where}.scopes: must be a list of scope names")
        return None
    for scope in scopes:
        if not _known(scope):
            problems.append(f"{where}.scopes: unknown scope {scope!r}")
            ok = False
    return Key(name, value, tuple(scopes)) if ok else None


def _known(scope: str) -> bool:
    if scope in ALIASES or scope in BUNDLES or scope in ("full_access", "read_only"):
        return True
    resource, _, action = scope.partition(":")
    return resource in RESOURCES and action in ACTIONS or scope == "admin"


def _default_value(name: str) -> str:
    role = name.removeprefix("LEONAR_").removesuffix("_API_KEY").lower()
    digest = hashlib.sha256(f"leonar-sandbox:{name}".encode()).hexdigest()[:20]
    return f"leo_sandbox_{role}_{digest}"

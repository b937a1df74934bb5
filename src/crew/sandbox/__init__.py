"""A local emulation of Leonar's API v1, driven by the same openapi.yaml as the tools.

Start one with ``SandboxServer(SandboxConfig(...))`` (a context manager) or from
the command line with ``python -m crew.sandbox``. See ``seed`` for what the
workspace holds.
"""

from __future__ import annotations

from crew.sandbox.faults import FaultPlan
from crew.sandbox.server import SandboxConfig, SandboxServer

__all__ = ["FaultPlan", "SandboxConfig", "SandboxServer"]

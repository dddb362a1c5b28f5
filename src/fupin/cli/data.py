"""Data commands: import, export, freeze, snapshots, generate."""

from __future__ import annotations

COMMANDS: list = []

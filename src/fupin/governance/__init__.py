"""Governance: task lists, rectification ledgers, exit procedures and circulars (issue 6)."""

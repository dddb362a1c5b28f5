"""The JSON schema every policy file is validated against on load."""

from __future__ import annotations

from typing import Any

_SOURCE: dict[str, Any] = {
    "type": "object",
    "required": ["seed", "item"],
    "additionalProperties": False,
    "properties": {
        "seed": {"type": "string", "minLength": 1, "description": "seed document file"},
        "item": {"type": "string", "minLength": 1, "description": "item or article number"},
        "note": {"type": "string"},
    },
}

_CRITERION: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "dimension", "expression", "source"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        "name": {"type": "string", "minLength": 1},
        "dimension": {"type": "string", "minLength": 1},
        "expression": {"type": "string", "minLength": 1},
        "applies_when": {"type": "string", "minLength": 1},
        "gap": {"type": "string", "minLength": 1},
        "kind": {"enum": ["exit", "rectification"]},
        "source": _SOURCE,
    },
}

_SCALAR: dict[str, Any] = {"type": ["number", "string", "boolean"]}

_PARAMETER: dict[str, Any] = {
    "oneOf": [
        _SCALAR,
        {
            "type": "object",
            "required": ["value"],
            "additionalProperties": False,
            "properties": {
                "value": _SCALAR,
                "name": {"type": "string"},
                "unit": {"type": "string"},
                "source": _SOURCE,
            },
        },
    ]
}

_LEVELS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        level: {"type": "array", "items": _CRITERION}
        for level in ("household", "village", "county")
    },
}

POLICY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "name"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
        "name": {"type": "string", "minLength": 1},
        "jurisdiction": {"type": "string"},
        "year": {"type": "integer"},
        "extends": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
        "documents": {"type": "object", "additionalProperties": {"type": "string"}},
        "notes": {"type": "array", "items": {"type": "string"}},
        "parameters": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
            "additionalProperties": _PARAMETER,
        },
        "criteria": _LEVELS,
        "remove_criteria": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                level: {"type": "array", "items": {"type": "string"}}
                for level in ("household", "village", "county")
            },
        },
    },
}

"""Reading the YAML policy files.

PyYAML's pure-Python parser takes tens of milliseconds for a policy file, paid on the first
evaluation of every process (the CLI, a benchmark, a worker); libyaml's parser, which PyYAML
wheels carry, reads the same file about ten times faster. Both build the same data and raise
`yaml.YAMLError` subclasses for bad input.
"""

from __future__ import annotations

from typing import Any

import yaml

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """The data of a YAML document, as `yaml.safe_load` builds it."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader, C or Python

"""fupin (扶贫): a platform for targeted poverty alleviation (精准扶贫).

Layout:
  engine/     framework-free: ID numbers, the standard format, policies, DuckDB/Spark execution
  registry/   Django app: the 建档立卡 registry, its history, import/export, snapshots
  project/    Django settings and URLs
  cli/        the `fupin` command
  policies/   policy files (YAML) citing the seed documents
"""

__version__ = "0.1.0"

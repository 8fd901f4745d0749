"""The pieces behind :mod:`datalake.quants_infra` (import that module, not this package).

- ``config``: ``manager.config``, the RootConfig-shaped view of the loaded config.
- ``checkpoint``, ``cleaner``, ``stats``, ``syncer``: the old component classes.
- ``console``: the old manager's console output; ``_text``: its strings and size units.
- ``_lake``: one-profile configs for components called with a bare directory.

Kept apart from ``datalake.quants_infra`` so that ``datalake.manager`` can use
them while ``datalake.quants_infra`` re-exports the manager.
"""

"""quants-infra's ``core.data_lake`` package, running on datalake.

quants-infra switches by making each of its ``core/data_lake/*.py`` files the
one line ``from datalake.quants_infra import *``; its CLI, its pydantic schema
module and its tests stay as they are. The five classes keep the old
constructors, method names, arguments, dict shapes, exceptions and console
strings; what they do is datalake-core's (through :class:`datalake.DataLake`),
including where datalake deliberately behaves differently (listed in the user
guide's migration section).

``DataLakeManager`` is :class:`datalake.DataLakeManager` (one class).
"""

from datalake._quants_infra.checkpoint import CheckpointManager
from datalake._quants_infra.cleaner import RetentionCleaner
from datalake._quants_infra.stats import StatsCollector
from datalake._quants_infra.syncer import RsyncSyncer
from datalake.manager import DataLakeManager

__all__ = [
    "DataLakeManager",
    "RsyncSyncer",
    "RetentionCleaner",
    "CheckpointManager",
    "StatsCollector",
]

"""quants-infra's ``CheckpointManager`` on datalake's checkpoint files."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from datalake._datalake import Checkpoint, DataLakeError

__all__ = ["CheckpointManager"]

# The keys create_checkpoint_data() returns, in the old tool's order.
_RUN_KEYS = (
    "profile_name",
    "last_sync_time",
    "last_sync_status",
    "files_transferred",
    "bytes_transferred",
    "duration_seconds",
    "errors",
)


def _path(checkpoint_file: str | os.PathLike[str]) -> Path:
    return Path(checkpoint_file).expanduser()


class CheckpointManager:
    """Read and write a profile's JSON checkpoint as plain dicts.

    Reading and writing are datalake-core's (tolerant reads, atomic fsync'd
    writes); the dicts are the file's form: quants-infra's keys first with
    naive local ISO times, then datalake's own keys (``last_success_time``,
    ``consecutive_failures``, ``history``, ``running``).
    """

    def load_checkpoint(self, checkpoint_file: str | os.PathLike[str]) -> dict[str, Any]:
        """The checkpoint as a dict; ``{}`` when the file is missing or is not a checkpoint."""
        path = _path(checkpoint_file)
        try:
            checkpoint = Checkpoint.load(path)
        except DataLakeError as e:
            print(f"警告: 无法读取 checkpoint 文件: {e}")
            return {}
        if checkpoint is None:
            if path.exists():  # there, but datalake-core could not read it as a checkpoint
                print(f"警告: checkpoint 文件格式错误: {path}")
            return {}
        return checkpoint.to_legacy_dict()

    def save_checkpoint(self, checkpoint_file: str | os.PathLike[str], data: dict[str, Any]) -> bool:
        """Write ``data`` atomically; False (with a message) when it cannot be written.

        Sets ``data['saved_at']`` to the time written, as the old tool did.
        Keys that are not checkpoint keys are not kept.
        """
        path = _path(checkpoint_file)
        try:
            Checkpoint.from_dict(data).save(path)
            saved = Checkpoint.load(path)
        except (DataLakeError, ValueError, TypeError) as e:
            print(f"错误: 无法保存 checkpoint: {e}")
            return False
        if saved is not None:
            data["saved_at"] = saved.to_legacy_dict()["saved_at"]
        return True

    def create_checkpoint_data(
        self,
        profile_name: str,
        status: str,
        files_transferred: int = 0,
        bytes_transferred: int = 0,
        duration_seconds: float = 0.0,
        errors: list[str] | None = None,
    ) -> dict[str, Any]:
        """The record of one run, stamped now (``last_sync_time`` as naive local ISO time)."""
        checkpoint = Checkpoint.from_dict(
            {
                "profile_name": profile_name,
                "last_sync_time": dt.datetime.now(dt.timezone.utc).isoformat(),
                "last_sync_status": status,
                "files_transferred": files_transferred,
                "bytes_transferred": bytes_transferred,
                "duration_seconds": duration_seconds,
                "errors": list(errors or []),
            }
        )
        full = checkpoint.to_legacy_dict()
        return {key: full[key] for key in _RUN_KEYS}

    def get_last_sync_time(self, checkpoint_file: str | os.PathLike[str]) -> str | None:
        """``last_sync_time`` of the checkpoint, or None."""
        value = self.load_checkpoint(checkpoint_file).get("last_sync_time")
        return None if value is None else str(value)

    def is_last_sync_successful(self, checkpoint_file: str | os.PathLike[str]) -> bool:
        return self.load_checkpoint(checkpoint_file).get("last_sync_status") == "success"

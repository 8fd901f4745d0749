"""Every error kind and every sync status comes from the core's own lists (as
pydantic-core's ``list_all_errors``); the stubs' Literals, the exception classes and
the C enum in include/datalake.h are checked against them, so a kind added to the core
fails here until every face knows it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import datalake
import datalake._datalake as native

ROOT = Path(__file__).resolve().parents[2]
STUBS = ROOT / "python" / "datalake" / "_datalake.pyi"
HEADER = ROOT / "include" / "datalake.h"

# The Python class of each kind, written out here (not derived from the package) so the
# test checks the package against this list. Two names differ from the kind: a local
# I/O error is also an OSError (LocalIOError), an interruption is a cancellation.
EXCEPTION_OF_KIND = {
    "invalid_argument": "InvalidArgumentError",
    "config": "ConfigError",
    "profile_not_found": "ProfileNotFoundError",
    "io": "LocalIOError",
    "tool_not_found": "ToolNotFoundError",
    "connect": "ConnectError",
    "authentication": "AuthenticationError",
    "host_key": "HostKeyError",
    "sync": "SyncError",
    "locked": "LockedError",
    "interrupted": "CancelledError",
}


def stub_literal(name: str) -> list[str]:
    """The strings of ``name = Literal[...]`` in the stubs, in order."""
    for node in ast.parse(STUBS.read_text()).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            sub = node.value
            assert isinstance(sub, ast.Subscript), ast.dump(sub)
            elts = sub.slice.elts if isinstance(sub.slice, ast.Tuple) else [sub.slice]
            return [e.value for e in elts if isinstance(e, ast.Constant)]
    raise AssertionError(f"{name} not found in {STUBS}")


def c_status_names() -> list[str]:
    """The members of `enum datalake_status` in the generated header."""
    text = HEADER.read_text()
    body = re.search(r"typedef enum datalake_status \{(.*?)\}", text, re.S)
    assert body, "enum datalake_status not found in the header"
    return re.findall(r"^\s*(DATALAKE_\w+)\s*=", body.group(1), re.M)


def test_the_core_lists_every_kind_and_status_once() -> None:
    kinds = native.all_error_kinds()
    statuses = native.all_sync_statuses()
    assert len(set(kinds)) == len(kinds) and len(set(statuses)) == len(statuses)
    assert statuses[0] == "success" and statuses[-1] == "failed", "severity order: the worst last"
    assert datalake.all_error_kinds() == kinds


def test_stub_literals_match_the_core() -> None:
    assert stub_literal("_ErrorKindName") == native.all_error_kinds()
    assert stub_literal("_SyncStatus") == native.all_sync_statuses()
    assert stub_literal("_Command") == native.all_commands()


def test_every_kind_has_its_exception_class() -> None:
    assert sorted(EXCEPTION_OF_KIND) == sorted(native.all_error_kinds())
    for name in EXCEPTION_OF_KIND.values():
        cls = getattr(datalake, name)
        assert issubclass(cls, datalake.DataLakeError), name
        assert name in datalake.__all__, name
    # The former name still catches the same errors.
    assert datalake.RsyncNotFoundError is datalake.ToolNotFoundError


def test_every_kind_has_its_c_status() -> None:
    names = c_status_names()
    for kind in native.all_error_kinds():
        assert f"DATALAKE_ERR_{kind.upper()}" in names, kind
    # Beyond the kinds: success and the panic boundary only.
    assert set(names) - {f"DATALAKE_ERR_{k.upper()}" for k in native.all_error_kinds()} == {
        "DATALAKE_OK",
        "DATALAKE_ERR_PANIC",
    }
    # The former name stays usable from C.
    assert "#define DATALAKE_ERR_RSYNC_NOT_FOUND DATALAKE_ERR_TOOL_NOT_FOUND" in HEADER.read_text()


def test_exit_code_table() -> None:
    assert dict(native.exit_codes()) == {"ok": 0, "locked": 3, "usage": 2, "failed": 1, "interrupted": 130}
    assert native.worst_exit_code([0, 3, 2, 1]) == 1
    assert native.worst_exit_code([1, 130]) == 130
    assert native.worst_exit_code([]) == 0

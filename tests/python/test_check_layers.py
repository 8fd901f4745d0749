"""scripts/check_layers.py on small synthetic crates and packages (no server, no build)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_layers.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_layers", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_layers"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


cl = _load()


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def crate(tmp_path: Path, files: dict[str, str], layers: list[list[str]] | None = None) -> Any:
    """Check a crate `c` whose src/ holds `files`; the single result."""
    write(tmp_path / "c" / "src", files)
    toml = '[[rust]]\ncrate = "c"\nsrc = "c/src"\n' + (f"layers = {json.dumps(layers)}\n" if layers else "")
    (tmp_path / "layers.toml").write_text(toml, encoding="utf-8")
    [result] = cl.run(tmp_path, tmp_path / "layers.toml")
    return result


def package(tmp_path: Path, files: dict[str, str]) -> Any:
    write(tmp_path / "py" / "pkg", files)
    (tmp_path / "layers.toml").write_text('[[python]]\npackage = "pkg"\nsrc = "py/pkg"\n', encoding="utf-8")
    [result] = cl.run(tmp_path, tmp_path / "layers.toml")
    return result


def edges(result: Any) -> set[tuple[str, str]]:
    """(src, dst) pairs, paths relative to the crate's or package's src directory."""
    src = result.unit.src.name
    return {(r.src.split(f"{src}/", 1)[1], r.dst.split(f"{src}/", 1)[1]) for r in result.refs}


def cycle_files(result: Any) -> list[list[str]]:
    return [sorted(ref.src.rsplit("/src/", 1)[-1].split("/pkg/", 1)[-1] for ref in cycle) for cycle in result.cycles]


CLEAN = {
    "lib.rs": """
        //! The root may use anything.
        pub mod base;
        pub mod top;
        pub use top::h;
    """,
    "base/mod.rs": """
        pub mod util;
        pub fn f() -> u32 { util::g() }
    """,
    "base/util.rs": "pub fn g() -> u32 { 1 }\n",
    "top.rs": """
        use crate::base::{util::g, f};
        pub fn h() -> u32 { crate::base::f() + f() + g() }
    """,
}


def test_clean_layered_crate_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = crate(tmp_path, CLEAN, [["base"], ["top"]])
    assert result.problems == 0 and result.cycles == [] and result.upward == [] and result.unplaced == []
    assert ("top.rs", "base/util.rs") in edges(result) and ("base/mod.rs", "base/util.rs") in edges(result)
    assert cl.main(["--root", str(tmp_path), "--config", str(tmp_path / "layers.toml")]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "layers: OK"


def test_cycle_through_use_braces(tmp_path: Path) -> None:
    result = crate(
        tmp_path,
        {
            "lib.rs": "mod a;\nmod b;\nmod c;\n",
            "a/mod.rs": "pub mod x;\n",
            "a/x.rs": "use crate::c::C;\npub struct X;\n",
            "b.rs": "pub struct B;\n",
            "c.rs": "use std::fmt;\nuse crate::{a::x, b};\npub struct C;\n",
        },
    )
    assert cycle_files(result) == [["a/x.rs", "c.rs"]]
    closing = {ref.src.rsplit("/", 1)[-1]: ref for ref in result.cycles[0]}
    assert closing["c.rs"].line == 2 and closing["c.rs"].text == "use crate::{a::x, b};"
    assert ("c.rs", "b.rs") in edges(result)


def test_cycle_through_inline_path(tmp_path: Path) -> None:
    result = crate(
        tmp_path,
        {
            "lib.rs": "mod a;\nmod b;\n",
            "a.rs": "use crate::b::g;\npub fn f() {}\n",
            "b.rs": "pub fn g() {\n    let _ = crate::a\n        ::f();\n}\n",
        },
    )
    assert cycle_files(result) == [["a.rs", "b.rs"]]
    assert [r.line for r in result.cycles[0] if r.src.endswith("b.rs")] == [2]


def test_super_in_inline_tests_module_is_the_file_itself(tmp_path: Path) -> None:
    result = crate(
        tmp_path,
        {
            "lib.rs": "pub mod a;\n",
            "a/mod.rs": "pub mod b;\npub mod c;\npub fn top() { b::f() }\n",
            "a/b.rs": """
                pub fn f() {}
                #[cfg(test)]
                mod tests {
                    use super::*;
                    use super::super::c::C;
                    #[test]
                    fn t() { super::f(); let _ = C; }
                }
            """,
            "a/c.rs": "pub struct C;\n",
        },
    )
    # `super` in a/b.rs's `mod tests` is a::b (the same file), not a: no edge back to a/mod.rs.
    # (`pub mod a;` only says where a lives: not an edge.)
    assert edges(result) == {("a/mod.rs", "a/b.rs"), ("a/b.rs", "a/c.rs")}
    assert result.cycles == []


def test_child_using_its_parent_back_is_a_cycle(tmp_path: Path) -> None:
    result = crate(
        tmp_path,
        {
            "lib.rs": "pub mod a;\n",
            "a/mod.rs": "mod b;\npub struct P;\npub fn top() { b::f() }\n",
            "a/b.rs": "use super::P;\npub fn f() { let _ = P; }\n",
        },
    )
    assert cycle_files(result) == [["a/b.rs", "a/mod.rs"]]


def test_bare_module_names_from_a_glob_import(tmp_path: Path) -> None:
    result = crate(
        tmp_path,
        {
            "lib.rs": "mod a;\n",
            "a/mod.rs": "mod scan;\n#[cfg(test)]\nmod tests;\n",
            "a/scan.rs": "pub fn f() {}\n",
            "a/tests.rs": "use super::*;\n#[test]\nfn t() { scan::f() }\n",
        },
    )
    # `use super::*` brings a's private `mod scan` into a::tests: `scan::f()` is a::scan.
    assert edges(result) == {("a/tests.rs", "a/mod.rs"), ("a/tests.rs", "a/scan.rs")}


def test_upward_import(tmp_path: Path) -> None:
    result = crate(
        tmp_path,
        {
            "lib.rs": "pub mod low;\npub mod high;\n",
            "low.rs": "pub fn f() {\n    crate::high::g();\n}\n",
            "high.rs": "pub fn g() {}\n",
        },
        [["low"], ["high"]],
    )
    assert [(ref.src.rsplit("/", 1)[-1], ref.line, ref.text, lo, hi) for ref, lo, hi in result.upward] == [
        ("low.rs", 2, "crate::high::g();", 0, 1)
    ]
    assert result.problems == 1


def test_top_level_module_in_no_layer(tmp_path: Path) -> None:
    files = {**CLEAN, "lib.rs": "pub mod base;\npub mod top;\npub mod extra;\n", "extra/mod.rs": "pub fn e() {}\n"}
    result = crate(tmp_path, files, [["base"], ["top", "later"]])
    assert result.unplaced == ["extra"] and result.missing == ["later"] and result.problems == 1


def test_comments_strings_and_doc_comments_are_ignored(tmp_path: Path) -> None:
    result = crate(
        tmp_path,
        {
            "lib.rs": "mod a;\nmod b;\n",
            "a.rs": '''
                //! See crate::b::g.
                /// Calls [`crate::b::g`].
                // crate::b::g()
                /* crate::b::g() /* nested */ crate::b::g() */
                pub fn f<'a>(s: &'a str) -> &'a str {
                    let _ = ("crate::b::g()", r#"crate::b "quoted" "#, b"crate::b", '"', '\\'', b'"');
                    let _ = "escaped \\" crate::b::g()";
                    s
                }
            ''',
            "b.rs": "use crate::a::f;\npub fn g() { f(\"\"); }\n",
        },
    )
    assert edges(result) == {("b.rs", "a.rs")} and result.cycles == []


def test_code_inside_macros_and_attributes_counts(tmp_path: Path) -> None:
    result = crate(
        tmp_path,
        {
            "lib.rs": "mod a;\nmod b;\n",
            "a.rs": 'pub fn f() {\n    println!("{}", crate::b::G);\n}\n',
            "b.rs": """
                pub const G: u8 = 1;
                #[cfg(test)]
                mod tests {
                    #[test]
                    fn t() { assert_eq!(crate::a::f(), ()); }
                }
            """,
        },
    )
    assert cycle_files(result) == [["a.rs", "b.rs"]]


def test_python_cycle_through_function_level_import(tmp_path: Path) -> None:
    result = package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from pkg import b\nimport os\nX = 1\n",
            "b.py": "def f():\n    from pkg.a import X\n    return X\n",
            "c.py": "import pkg.a\n",
        },
    )
    assert cycle_files(result) == [["a.py", "b.py"]]
    assert [r.line for r in result.cycles[0] if r.src.endswith("b.py")] == [2]


def test_python_relative_imports_resolve(tmp_path: Path) -> None:
    result = package(
        tmp_path,
        {
            "__init__.py": "",
            "top.py": "from .sub.m import Y\nfrom . import sub\n",
            "sub/__init__.py": "from . import m\nfrom .m import Y\n",
            "sub/m.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..top import T\nY = 1\n",
        },
    )
    assert edges(result) == {
        ("top.py", "sub/m.py"),
        ("top.py", "sub/__init__.py"),
        ("sub/__init__.py", "sub/m.py"),
        ("sub/m.py", "top.py"),
    }
    assert cycle_files(result) == [["sub/__init__.py", "sub/m.py", "top.py"]]
    [back] = [r for r in result.refs if r.src.endswith("m.py")]
    assert back.note == "under TYPE_CHECKING" and "TYPE_CHECKING" in back.where()


def test_cli_json_and_exit_codes(tmp_path: Path) -> None:
    files = {"lib.rs": "mod a;\nmod b;\n", "a.rs": "use crate::b::B;\npub struct A;\n", "b.rs": "use crate::a::A;\n"}
    crate(tmp_path, files)
    argv = [sys.executable, str(SCRIPT), "--root", str(tmp_path), "--config", str(tmp_path / "layers.toml")]
    done = subprocess.run([*argv, "--json"], capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    summary = json.loads(done.stdout)
    [unit] = summary["units"]
    assert summary["problems"] == 1 and unit["files"] == 3 and unit["files_in_cycles"] == 2 and len(unit["cycles"]) == 1
    text = subprocess.run(argv, capture_output=True, text=True, check=False).stdout
    assert "c/src/a.rs:1: use crate::b::B;" in text and text.splitlines()[-1] == "layers: 1 problems"

    (tmp_path / "layers.toml").write_text('[[rust]]\ncrate = "gone"\nsrc = "nowhere/src"\n', encoding="utf-8")
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "nowhere/src" in done.stderr and "does not exist" in done.stderr


@pytest.mark.parametrize(
    "toml, fix",
    [
        ('[[rust]]\ncrate = "c"\nsrc = "c/src"\nlayers = [["a"], ["a"]]\n', "more than one layer"),
        ('[[rust]]\ncrate = "c"\nsrc = "c/src"\nlayer = [["a"]]\n', "unknown keys"),
        ("[[rust]]\ncrate = ", "cannot read"),
    ],
)
def test_bad_config(tmp_path: Path, toml: str, fix: str) -> None:
    write(tmp_path / "c" / "src", {"lib.rs": ""})
    (tmp_path / "layers.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(cl.ConfigError, match=fix):
        cl.run(tmp_path, tmp_path / "layers.toml")


def test_runs_on_the_repository() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--json"], capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), done.stderr
    names = {unit["name"] for unit in json.loads(done.stdout)["units"]}
    assert {"datalake-core", "datalake"} <= names

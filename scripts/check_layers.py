#!/usr/bin/env python3
"""Check the dependency rules of scripts/layers.toml: no import cycle among the files of a
Rust crate or Python package, and no Rust module importing from a layer above its own.

    python3 scripts/check_layers.py [--json] [--root DIR] [--config PATH]

Exit 0: no problem; 1: problems (each cycle, upward import and unplaced top-level module
counts as one); 2: the config is unusable (the message says what to fix).

Rust is read without a compiler: comments and string literals are blanked, then every
`use` tree and every inline path (`crate::a::f()`, `super::x::Y`, macros included) is
resolved to the deepest file-module it names (`crate::a::Item` is `a`'s file, `crate::Item` is
lib.rs even when lib.rs only re-exports it). A `mod x;` declaration only says where x lives;
using `x::f()` is the parent->child edge, and a child using `super::Item` back closes a cycle.
Limits: `#[path]` attributes and `use ... as alias` re-routing are not followed.
"""

from __future__ import annotations

import argparse
import ast
import bisect
import json
import re
import sys
import tomllib  # type: ignore[import-not-found,unused-ignore]  # the repo's mypy targets 3.10, tomllib is 3.11
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator


Module = tuple[str, ...]


class ConfigError(Exception):
    """layers.toml cannot be used as written."""


@dataclass(frozen=True)
class Ref:
    """One reference from file `src` (line `line`, source `text`) to file `dst`."""

    src: str
    line: int
    text: str
    dst: str
    note: str = ""

    def where(self) -> str:
        return f"{self.src}:{self.line}: {self.text}" + (f"  [{self.note}]" if self.note else "")


@dataclass
class Unit:
    kind: str  # "rust" or "python"
    name: str
    src: Path
    layers: list[list[str]] | None = None


@dataclass
class Findings:
    unit: Unit
    files: list[str]
    refs: list[Ref]
    cycles: list[list[Ref]] = field(default_factory=list)  # per cycle, one closing edge per file
    upward: list[tuple[Ref, int, int]] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # layer modules with no file (informational)

    @property
    def problems(self) -> int:
        return len(self.cycles) + len(self.upward) + len(self.unplaced)


# ---------------------------------------------------------------- config


def load_config(path: Path, root: Path) -> list[Unit]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from e
    if unknown := set(data) - {"rust", "python"}:
        raise ConfigError(f"{path}: unknown tables {sorted(unknown)}; use [[rust]] or [[python]]")
    units: list[Unit] = []
    keys = {"rust": ("crate", {"crate", "src", "layers"}), "python": ("package", {"package", "src"})}
    for kind, (name_key, allowed) in keys.items():
        entries = data.get(kind, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ConfigError(f"{path}: `{kind}` must be an array of tables: write [[{kind}]]")
        for i, entry in enumerate(entries):
            where = f"{path}: [[{kind}]] #{i + 1}"
            if unknown := set(entry) - allowed:
                raise ConfigError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(allowed)}")
            name, src = entry.get(name_key), entry.get("src")
            if not isinstance(name, str) or not isinstance(src, str):
                raise ConfigError(f"{where}: needs `{name_key}` and `src` as strings")
            if not (root / src).is_dir():
                raise ConfigError(f"{where} ({name}): src directory {root / src} does not exist; fix `src` or --root")
            layers = check_layers_value(entry.get("layers"), f"{where} ({name})")
            units.append(Unit(kind, name, root / src, layers))
    return units


def check_layers_value(layers: Any, where: str) -> list[list[str]] | None:
    if layers is None:
        return None
    shape_ok = isinstance(layers, list) and all(isinstance(layer, list) for layer in layers)
    names: list[Any] = [m for layer in layers for m in layer] if shape_ok else []
    if not shape_ok or not all(isinstance(m, str) for m in names):
        raise ConfigError(f'{where}: `layers` must be a list of lists of module names, e.g. [["a"], ["b", "c"]]')
    if twice := sorted({m for m in names if names.count(m) > 1}):
        raise ConfigError(f"{where}: {', '.join(twice)} in more than one layer; keep each module in one")
    return [list(layer) for layer in layers]


# ---------------------------------------------------------------- Rust


# Where `crate::x` is text, not code: comments (doc comments too), strings (raw too), char literals.
_RUST_SKIP = re.compile(r"""/[/*]|(?<![\w])[bc]?r#*"|"|'""")
_RAW_START = re.compile(r'[bc]?r(#*)"')
_CHAR_LIT = re.compile(r"'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F_]{1,6}\}|.)|[^\\'\n])'")
_INLINE_MOD = re.compile(r"(?<![\w$])mod\s+(?:r#)?([A-Za-z_]\w*)\s*\{")
_USE = re.compile(r"(?<![\w$:.])use\s")
_USE_TOKEN = re.compile(r"::|[{},*]|[A-Za-z_]\w*")
_VIS_IN = re.compile(r"\bpub\s*\(\s*in\s[^)]*\)")  # `pub(in crate::a)` restricts, it does not depend
_PATH = re.compile(r"(?<![\w.:])[A-Za-z_]\w*(?:\s*::\s*[A-Za-z_]\w*)+")


def strip_rust(text: str) -> str:
    """`text` with comments, string and char literals blanked; newlines and offsets kept."""
    out, i, n = list(text), 0, len(text)
    while (m := _RUST_SKIP.search(text, i)) is not None:
        i, tok = m.start(), m.group()
        if tok == "//":
            end = text.find("\n", i)
            j = n if end < 0 else end
        elif tok == "/*":
            j, depth = i + 2, 1
            while j < n and depth:
                step = text[j : j + 2]
                depth += (step == "/*") - (step == "*/")
                j += 2 if step in ("/*", "*/") else 1
        elif tok == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
        elif tok == "'":
            char = _CHAR_LIT.match(text, i)
            if char is None:  # a lifetime or a label
                i += 1
                continue
            j = char.end()
        else:
            raw = _RAW_START.match(text, i)
            hashes = raw.group(1) if raw else ""
            end = text.find('"' + hashes, m.end())
            j = n if end < 0 else end + 1 + len(hashes)
        for k in range(i, min(j, n)):
            if out[k] != "\n":
                out[k] = " "
        i = j
    return "".join(out)


def rust_file_modules(src: Path) -> dict[Module, Path]:
    """Module path of each file (lib.rs is the root); `bin/` and a main.rs beside lib.rs are other crates."""
    modules: dict[Module, Path] = {}
    has_lib = (src / "lib.rs").exists()
    for path in sorted(src.rglob("*.rs")):
        parts = path.relative_to(src).with_suffix("").parts
        if parts[0] == "bin" or (parts == ("main",) and has_lib):
            continue
        module = () if parts in (("lib",), ("main",)) else parts[:-1] if parts[-1] == "mod" else parts
        modules[module] = path
    return modules


def matching_brace(code: str, open_at: int) -> int:
    depth = 0
    for j in range(open_at, len(code)):
        depth += (code[j] == "{") - (code[j] == "}")
        if depth == 0:
            return j
    return len(code)


@dataclass
class RustFile:
    module: Module
    rel: str
    raw_lines: list[str]
    code: str
    scopes: list[tuple[int, int, Module]]  # inline `mod x { }`: start, end, module path
    line_starts: list[int]

    def scope_at(self, pos: int) -> Module:
        for start, end, module in reversed(self.scopes):  # nested ones come later: innermost first
            if start <= pos < end:
                return module
        return self.module

    def line_of(self, pos: int) -> int:
        return bisect.bisect_right(self.line_starts, pos)

    def text_of(self, line: int) -> str:
        return self.raw_lines[line - 1].strip()


def read_rust_file(module: Module, path: Path, root: Path) -> RustFile:
    raw = path.read_text(encoding="utf-8")
    code = strip_rust(raw)
    f = RustFile(module, path.relative_to(root).as_posix(), raw.splitlines(), code, [], [0])
    f.line_starts += [i + 1 for i, c in enumerate(raw) if c == "\n"]
    for m in _INLINE_MOD.finditer(code):
        f.scopes.append((m.end() - 1, matching_brace(code, m.end() - 1), f.scope_at(m.start()) + (m.group(1),)))
    return f


def use_tree_paths(tree: str, offset: int) -> list[tuple[list[str], bool, int]]:
    """Paths of a `use` tree (without `use` and `;`): (segments, is_glob, offset of the last token)."""
    toks = [(m.group(), offset + m.start()) for m in _USE_TOKEN.finditer(tree)]
    out: list[tuple[list[str], bool, int]] = []

    def parse(i: int, prefix: list[str]) -> int:
        path = list(prefix)
        while i < len(toks):
            tok, pos = toks[i]
            if tok == "{":
                i += 1
                while i < len(toks) and toks[i][0] != "}":
                    i = parse(i, path)
                    i += i < len(toks) and toks[i][0] == ","
                return i + 1
            if tok in ("*", "as", ",", "}"):
                out.append((path, tok == "*", toks[i - 1][1] if tok != "*" else pos))
                return i + (2 if tok == "as" else 1 if tok == "*" else 0)
            if tok == "::":
                path = path if path else ["::"]  # `::name` is an extern crate
            elif not (tok == "self" and prefix and path == prefix):  # `{self, ..}` is the prefix itself
                path = path + [tok]
            i += 1
        out.append((path, False, toks[-1][1] if toks else offset))
        return i

    parse(0, [])
    return out


def analyze_rust(unit: Unit, root: Path) -> Findings:
    file_modules = rust_file_modules(unit.src)
    files = {m: read_rust_file(m, p, root) for m, p in file_modules.items()}
    modules = set(file_modules) | {s[2] for f in files.values() for s in f.scopes}

    def file_of(path: Module) -> str | None:
        for k in range(len(path), -1, -1):
            if path[:k] in files:
                return files[path[:k]].rel
        return None

    refs: list[Ref] = []
    for f in files.values():
        uses: list[tuple[list[str], bool, int, int]] = []  # path, is_glob, its offset, the `use` offset
        code = list(_VIS_IN.sub(lambda m: " " * len(m.group()), f.code))
        for m in _USE.finditer(f.code):
            end = f.code.find(";", m.end()) % (len(f.code) + 1)  # -1 (no `;`): the end of the file
            uses += [(*path, m.start()) for path in use_tree_paths(f.code[m.end() : end], m.end())]
            code[m.start() : end] = [c if c == "\n" else " " for c in f.code[m.start() : end]]  # not inline paths
        globs: dict[Module, list[Module]] = {}
        for segs, is_glob, pos, _ in uses:
            scope = f.scope_at(pos)
            if is_glob and (target := resolve_rust(segs, scope, modules, globs)) is not None:
                globs.setdefault(scope, []).append(target)
        found: list[tuple[list[str], int, int | None]] = [(segs, pos, use_at) for segs, _, pos, use_at in uses]
        found += [(re.split(r"\s*::\s*", m.group()), m.start(), None) for m in _PATH.finditer("".join(code))]
        seen: set[tuple[int, str]] = set()
        for segs, pos, use_at in found:
            target = resolve_rust(segs, f.scope_at(pos), modules, globs)
            dst = file_of(target) if target is not None else None
            line = f.line_of(pos)
            if dst is not None and dst != f.rel and (line, dst) not in seen:
                seen.add((line, dst))
                text = f.text_of(line)
                if use_at is not None and f.line_of(use_at) != line:  # inside a multi-line `use` group
                    text = f"{f.text_of(f.line_of(use_at))} ... {text}"
                refs.append(Ref(f.rel, line, text, dst))
    result = Findings(unit, sorted(f.rel for f in files.values()), refs)
    if unit.layers is not None:
        check_rust_layers(result, unit.layers, {f.rel: f.module for f in files.values()})
    return result


def resolve_rust(
    segs: list[str], scope: Module, modules: set[Module], globs: dict[Module, list[Module]]
) -> Module | None:
    """Absolute module path of `segs` written in module `scope`; None for an extern crate, std, a type..."""
    if not segs:
        return None
    head = segs[0]
    if head == "crate":
        return tuple(segs[1:])
    if head in ("self", "super"):
        base, i = scope, int(head == "self")
        while i < len(segs) and segs[i] == "super":
            if not base:
                return None
            base, i = base[:-1], i + 1
        return base + tuple(segs[i:])
    # A bare name: a child module declared in this scope, or one brought in by `use path::*`.
    for base in [scope] + globs.get(scope, []):
        if base + (head,) in modules:
            return base + tuple(segs)
    return None


def check_rust_layers(result: Findings, layers: list[list[str]], module_of: dict[str, Module]) -> None:
    layer_of = {m: i for i, layer in enumerate(layers) for m in layer}
    top = sorted({m[0] for m in module_of.values() if m})
    result.unplaced = [m for m in top if m not in layer_of]
    result.missing = [m for layer in layers for m in layer if m not in top]

    def level(rel: str) -> int | None:
        module = module_of[rel]
        return layer_of.get(module[0]) if module else None  # the root may use anything

    for ref in result.refs:
        low, high = level(ref.src), level(ref.dst)
        if low is not None and high is not None and high > low:
            result.upward.append((ref, low, high))


# ---------------------------------------------------------------- Python


def python_modules(src: Path, package: str) -> dict[str, Path]:
    """Dotted name of every module; a `.pyi` stub stands for a compiled module of the same name."""
    modules: dict[str, Path] = {}
    for path in sorted(src.rglob("*.py")) + sorted(src.rglob("*.pyi")):
        parts = path.relative_to(src).with_suffix("").parts
        name = ".".join((package,) + (parts[:-1] if parts[-1] == "__init__" else parts))
        modules.setdefault(name, path)
    return modules


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def python_imports(node: ast.AST, type_checking: bool = False) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import anywhere below `node` (functions included), and whether it is under `if TYPE_CHECKING:`."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield node, type_checking
    elif isinstance(node, ast.If) and is_type_checking(node.test):
        for child in node.body:
            yield from python_imports(child, True)
        for child in node.orelse:
            yield from python_imports(child, type_checking)
    else:
        for inner in ast.iter_child_nodes(node):
            yield from python_imports(inner, type_checking)


def analyze_python(unit: Unit, root: Path) -> Findings:
    modules = python_modules(unit.src, unit.name)
    rel = {name: path.relative_to(root).as_posix() for name, path in modules.items()}

    def deepest(name: str) -> str | None:
        parts = name.split(".")
        for k in range(len(parts), 0, -1):
            if ".".join(parts[:k]) in modules:
                return ".".join(parts[:k])
        return None

    refs: list[Ref] = []
    for name, path in modules.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        package = name if path.stem == "__init__" else name.rpartition(".")[0]
        for node, type_checking in python_imports(ast.parse(source, str(path))):
            targets: list[str | None] = []
            if isinstance(node, ast.Import):
                targets = [deepest(alias.name) for alias in node.names]
            else:
                base = node.module or ""
                if node.level:  # `.` is this module's package, each further `.` one package up
                    anchor = package.split(".")
                    base = ".".join(anchor[: len(anchor) - node.level + 1] + ([node.module] if node.module else []))
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in modules else deepest(base))
            note = "under TYPE_CHECKING" if type_checking else ""
            for target in dict.fromkeys(targets):
                if target is not None and target != name:
                    refs.append(Ref(rel[name], node.lineno, lines[node.lineno - 1].strip(), rel[target], note))
    return Findings(unit, sorted(rel.values()), refs)


# ---------------------------------------------------------------- cycles and report


def strongly_connected(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the components of more than one node, largest first, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3 * len(nodes) + 100))  # depth <= number of files

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for child in sorted(edges.get(node, ())):
            if child not in index:
                visit(child)
                low[node] = min(low[node], low[child])
            elif child in on_stack:
                low[node] = min(low[node], index[child])
        if low[node] == index[node]:
            component = [stack.pop()]
            while component[-1] != node:
                component.append(stack.pop())
            on_stack.difference_update(component)
            if len(component) > 1:
                components.append(sorted(component))

    for node in nodes:
        if node not in index:
            visit(node)
    return sorted(components, key=lambda c: (-len(c), c))


def find_cycles(result: Findings) -> None:
    edges: dict[str, set[str]] = {}
    for ref in result.refs:
        edges.setdefault(ref.src, set()).add(ref.dst)
    for component in strongly_connected(result.files, edges):
        members = set(component)
        closing: dict[str, Ref] = {}
        for ref in sorted(result.refs, key=lambda r: (r.src, r.line)):
            if ref.src in members and ref.dst in members:
                closing.setdefault(ref.src, ref)  # the first edge staying inside the cycle
        result.cycles.append([closing[f] for f in component])


def summary(results: list[Findings]) -> dict[str, Any]:
    units = [
        {
            "kind": r.unit.kind,
            "name": r.unit.name,
            "layered": r.unit.layers is not None,
            "files": len(r.files),
            "cycles": [
                {"files": [ref.src for ref in cycle], "edges": [f"{ref.where()}  -> {ref.dst}" for ref in cycle]}
                for cycle in r.cycles
            ],
            "files_in_cycles": sum(len(c) for c in r.cycles),
            "upward_imports": [f"{ref.where()}  (layer {lo + 1} -> {hi + 1}: {ref.dst})" for ref, lo, hi in r.upward],
            "unplaced_modules": r.unplaced,
            "missing_layer_modules": r.missing,
            "problems": r.problems,
        }
        for r in results
    ]
    total = sum(r.problems for r in results)
    return {"ok": total == 0, "problems": total, "units": units}


def print_report(report: dict[str, Any]) -> None:
    for u in report["units"]:
        print(f"{u['name']} ({u['kind']}): {u['files']} files")
        print(f"  cycles: {len(u['cycles'])}, holding {u['files_in_cycles']} files")
        for n, cycle in enumerate(u["cycles"], 1):
            print(f"    cycle {n} ({len(cycle['files'])} files; per file, one import that stays in the cycle):")
            print("".join(f"      {edge}\n" for edge in cycle["edges"]), end="")
        if u["layered"]:
            print(f"  upward imports: {len(u['upward_imports'])}")
            print("".join(f"    {up}\n" for up in u["upward_imports"]), end="")
            print(f"  top-level modules in no layer: {len(u['unplaced_modules'])}  {' '.join(u['unplaced_modules'])}")
            if u["missing_layer_modules"]:
                print(f"  (layer modules with no file yet: {' '.join(u['missing_layer_modules'])})")
        print(f"  problems: {u['problems']}")
    print("layers: OK" if report["ok"] else f"layers: {report['problems']} problems")


def run(root: Path, config: Path) -> list[Findings]:
    results = []
    for unit in load_config(config, root):
        result = analyze_rust(unit, root) if unit.kind == "rust" else analyze_python(unit, root)
        find_cycles(result)
        results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print a machine-readable summary")
    parser.add_argument("--root", type=Path, default=here.parent, help="repository root (default: scripts/..)")
    parser.add_argument("--config", type=Path, help="layers file (default: ROOT/scripts/layers.toml)")
    args = parser.parse_args(argv)
    try:
        results = run(args.root, args.config or args.root / "scripts" / "layers.toml")
    except ConfigError as e:
        print(f"check_layers: bad config: {e}", file=sys.stderr)
        return 2
    except (SyntaxError, UnicodeDecodeError) as e:  # a source file, not the config
        print(f"check_layers: cannot read a source file: {e}", file=sys.stderr)
        return 2
    report = summary(results)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

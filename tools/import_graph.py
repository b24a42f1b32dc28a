"""The package's import graph, read from its source (every import, including those inside functions; not those
under `if TYPE_CHECKING:`, which never run), and its rooms.

    python tools/import_graph.py            # room by room: each module and what it imports from the package
    python tools/import_graph.py --cycles   # only the import cycles (none: prints nothing, exits 0)
    python tools/import_graph.py --rules    # only the imports that break a room's rule (none: nothing, exit 0)

The test suite runs the same walk (tests/unit/test_package.py) and fails on a cycle or a broken rule.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = "appeal_archive"
SOURCE = Path(__file__).resolve().parents[1] / "src" / PACKAGE


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(SOURCE.rglob("*.py"))}


# The rooms, in the order data flows through them, and what each may import. The shared vocabulary at the
# package's top is every module outside a room.
ROOMS = ("shared", "records", "ledger", "views", "signing", "verify", "build", "cli")
MAY_IMPORT = {
    "shared": {"shared"},
    "records": {"shared", "records"},
    "ledger": {"shared", "records", "ledger"},
    "views": {"shared", "records", "ledger", "views"},
    "signing": {"shared", "signing"},
    "verify": {"shared", "records", "ledger", "views", "verify"},
    "build": {"shared", "records", "ledger", "views", "signing", "verify", "build"},
    "cli": set(ROOMS),
}
# What verify may not import even from a room it may: the records' writers.
WRITERS = {f"{PACKAGE}.records.fmt", f"{PACKAGE}.records.salts", f"{PACKAGE}.records.writer"}


def room_of(name: str) -> str:
    parts = name.split(".")
    if name == f"{PACKAGE}.__main__":
        return "cli"
    return parts[1] if len(parts) > 1 and parts[1] in ROOMS else "shared"


def broken_rules(edges: dict[str, set[str]]) -> list[str]:
    """Each import that a room's rule forbids, as a sentence."""
    found = []
    for name, targets in sorted(edges.items()):
        room = room_of(name)
        for target in sorted(targets):
            if room_of(target) not in MAY_IMPORT[room] or (room == "verify" and target in WRITERS):
                found.append(f"{name} ({room}) imports {target} ({room_of(target)})")
    return found


def _type_checking_only(tree: ast.AST) -> set[int]:
    """The ids of the import nodes under `if TYPE_CHECKING:`."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING":
            skipped |= {id(inner) for statement in node.body for inner in ast.walk(statement)}
    return skipped


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Package modules that `name` imports anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            elif (node.module or "").split(".")[0] == PACKAGE:
                target = node.module
            else:
                continue
            for alias in node.names:
                # `from . import loader` imports a module; `from .x import name` imports module x.
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target)
    return {module for module in found if module in known and module != name}


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    result: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                result.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return result


def main() -> int:
    edges = graph()
    found, broken = cycles(edges), broken_rules(edges)
    if "--cycles" not in sys.argv and "--rules" not in sys.argv:
        def short(name: str) -> str:
            return name.removeprefix(PACKAGE + ".")

        for room in ROOMS:
            print(f"[{room}] may import: {', '.join(sorted(MAY_IMPORT[room], key=ROOMS.index))}")
            for name in sorted(name for name in edges if room_of(name) == room):
                print(f"  {short(name)} -> {', '.join(sorted(map(short, edges[name]))) or '(nothing)'}")
    for group in found if "--rules" not in sys.argv else ():
        print("cycle: " + " <-> ".join(group))
    for sentence in broken if "--cycles" not in sys.argv else ():
        print("broken rule: " + sentence)
    return 1 if found or broken else 0


if __name__ == "__main__":
    sys.exit(main())

"""The package's shape: no import cycle, rooms that import only what their rule allows, no module over 500
lines, no module that keeps state between calls, and one catalogue of issue codes that the source, docs/codes.md
and the reports agree on."""

from __future__ import annotations

import ast
import re
import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "tools"))
import import_graph  # noqa: E402

from appeal_archive import codes  # noqa: E402

SOURCE = REPO / "src" / "appeal_archive"
CODE = re.compile(r"^[a-z]+(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+$")
FILE_NAME = re.compile(r"\.(?:yaml|json|zip|pem|pdf|txt|so|ttl|html|js)\b")


def test_the_import_graph_has_no_cycle():
    assert import_graph.cycles(import_graph.graph()) == []


def test_the_walk_sees_imports_inside_functions_and_not_those_for_type_checking():
    edges = import_graph.graph()
    assert "appeal_archive.views.pdf" in edges["appeal_archive.build.archive"]  # imported inside build_archive
    assert "appeal_archive.verify.rebuild" in edges["appeal_archive.verify.pdf"]
    assert "appeal_archive.records.recordset" not in edges["appeal_archive.layout"]  # under TYPE_CHECKING


def test_every_room_imports_only_what_its_rule_allows():
    """records <- ledger <- views; signing beside them; verify reads records (not their writers), the ledger
    and the views; build puts every room together; the command line is above all; the shared vocabulary at
    the top imports only itself."""
    edges = import_graph.graph()
    rooms = {import_graph.room_of(name) for name in edges}
    assert rooms == set(import_graph.ROOMS)
    assert import_graph.broken_rules(edges) == []


def test_the_rules_are_the_architecture_and_catch_a_leak():
    rules = import_graph.MAY_IMPORT
    assert "build" not in rules["views"] | rules["signing"] | rules["verify"]
    assert "signing" not in rules["views"] | rules["verify"] | rules["records"]
    assert rules["shared"] == {"shared"} and rules["records"] == {"shared", "records"}
    leak = {"appeal_archive.verify.pdf": {"appeal_archive.signing.sign", "appeal_archive.records.fmt"},
            "appeal_archive.views.jsonld": {"appeal_archive.build.archive"}}
    assert len(import_graph.broken_rules(leak)) == 3


def test_the_developers_map_names_every_module_in_its_room():
    """docs/development.md's table of rooms lists each module of the package in the row of its room."""
    page = (SOURCE.parents[1] / "docs" / "development.md").read_text(encoding="utf-8")
    rows = {row.split(" | ")[0].strip("| `/").split(" ")[0]: row for row in page.splitlines() if row.startswith("| ")}
    missing = []
    for name in import_graph.modules():
        parts = name.split(".")[1:]
        if not parts or parts == ["__main__"] or (len(parts) == 1 and parts[0] in import_graph.ROOMS):
            continue  # the package and its rooms themselves
        room, module = (parts[0], parts[-1]) if len(parts) > 1 else ("shared", parts[0])
        if f"`{module}`" not in rows.get(room, ""):
            missing.append(name)
    assert missing == []


def test_no_module_is_over_500_lines():
    sizes = {path.relative_to(SOURCE).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
             for path in SOURCE.rglob("*.py")}
    assert {name: size for name, size in sizes.items() if size > 500} == {}


def codes_in_source() -> dict[str, str]:
    """Every string literal in the package that has the form of an issue code (file names aside)."""
    found = {}
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value) \
                    and not FILE_NAME.search(node.value) and path.name != "codes.py":
                found[node.value] = path.relative_to(SOURCE).as_posix()
    return found


_MUTATORS = {"append", "extend", "insert", "update", "clear", "pop", "popitem", "setdefault", "add", "discard",
             "remove"}


def module_state(tree: ast.Module) -> set[str]:
    """The module-level names a module changes after it is loaded (through `global`, a mutating method or an
    item assignment): state kept between calls."""
    names = {target.id for node in tree.body if isinstance(node, ast.Assign | ast.AnnAssign)
             for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
             if isinstance(target, ast.Name)}
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            found.update(node.names)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _MUTATORS \
                and isinstance(node.func.value, ast.Name) and node.func.value.id in names:
            found.add(node.func.value.id)
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.Delete):
            targets = node.target if isinstance(node, ast.AugAssign) else node.targets
            found.update(target.value.id for target in (targets if isinstance(targets, list) else [targets])
                         if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
                         and target.value.id in names)
    return found


def test_no_module_keeps_state_between_calls():
    """Two validations or verifications may run side by side in one process (threads of a service). The two
    exceptions mirror what is one per process by nature: whether the garbage collector's heap is frozen for
    good, and, in a forked worker process only, the value its pool handed it."""
    kept = {import_graph.module_name(path): module_state(ast.parse(path.read_text(encoding="utf-8")))
            for path in SOURCE.rglob("*.py")}
    assert {name: found for name, found in kept.items() if found} == {
        "appeal_archive.memory": {"_frozen_for_good"}, "appeal_archive.workers": {"_in_this_worker"}}
    planted = ast.parse("_seen = {}\ndef remember(key):\n    _seen[key] = 1\n"
                        "_log = []\ndef log(x):\n    _log.append(x)\n")
    assert module_state(planted) == {"_seen", "_log"}


def test_every_code_the_source_raises_is_in_the_catalogue():
    unknown = {code: where for code, where in codes_in_source().items() if code not in codes.CODES}
    assert unknown == {}, "add these codes, with their meaning, to src/appeal_archive/codes.py"


def test_every_catalogued_code_is_raised_somewhere():
    assert set(codes.CODES) - set(codes_in_source()) == set()


def test_the_codes_page_lists_the_catalogue():
    page = (REPO / "docs" / "codes.md").read_text(encoding="utf-8")
    assert codes.CATALOGUE_PAGE == REPO / "docs" / "codes.md"
    assert codes.with_catalogue(page) == page, "run `.venv/bin/python -m appeal_archive.codes --write`"
    assert all(meaning.endswith(".") for meaning in codes.CODES.values())

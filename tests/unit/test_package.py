"""The package's shape: no import cycle, verification a leaf, no module over 500 lines, and one catalogue of
issue codes that the source, the README and the reports agree on."""

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
FILE_NAME = re.compile(r"\.(?:yaml|json|zip|pem|pdf|txt|so|ttl)\b")


def test_the_import_graph_has_no_cycle():
    assert import_graph.cycles(import_graph.graph()) == []


def test_the_walk_sees_imports_inside_functions():
    edges = import_graph.graph()
    assert "appeal_archive.render_pdf" in edges["appeal_archive.build"]  # imported inside build_archive
    assert "appeal_archive.verify.rebuild" in edges["appeal_archive.verify.pdf"]


def test_verification_imports_no_build_and_no_signing():
    edges = import_graph.graph()
    verify_modules = [name for name in edges if name.startswith("appeal_archive.verify")]
    assert len(verify_modules) >= 6
    for name in verify_modules:
        assert not edges[name] & {"appeal_archive.build", "appeal_archive.sign", "appeal_archive.bag"}, name


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


def test_every_code_the_source_raises_is_in_the_catalogue():
    unknown = {code: where for code, where in codes_in_source().items() if code not in codes.CODES}
    assert unknown == {}, "add these codes, with their meaning, to src/appeal_archive/codes.py"


def test_every_catalogued_code_is_raised_somewhere():
    assert set(codes.CODES) - set(codes_in_source()) == set()


def test_the_readme_lists_the_catalogue():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert codes.readme_with_catalogue(readme) == readme, "run `.venv/bin/python -m appeal_archive.codes --readme`"
    assert all(meaning.endswith(".") for meaning in codes.CODES.values())

"""Every command has help with an example, and the README mentions it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from appeal_archive.cli import main
from conftest import REPO

COMMANDS = sorted(main.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_command_has_help_with_an_example(command: str):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_documents_the_command(command: str):
    assert f"appeal-archive {command}" in (REPO / "README.md").read_text(encoding="utf-8")

"""Every command has help with an example, and the README mentions it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import REPO

from appeal_archive.cli.main import main

COMMANDS = sorted(main.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_command_has_help_with_an_example(command: str):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_documents_the_command(command: str):
    assert f"appeal-archive {command}" in (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_worked_example_shows_the_fixture_files_as_they_are():
    """The worked example must stay true: its capture and its records are the test case's files."""
    import re

    import yaml

    section = (REPO / "README.md").read_text(encoding="utf-8").split("## Worked example", 1)[1].split("\n## ", 1)[0]
    case = REPO / "tests" / "cases" / "valid" / "added-signatory" / "records"
    text = re.search(r"```text\n(.*?)```", section, re.S).group(1)
    lines = [line[3:] if line.startswith("   ") else line.strip() for line in text.splitlines()]
    assert "\n".join(lines).strip() == (case / "sources/later-capture.txt").read_text(encoding="utf-8").strip()
    blocks = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", section, re.S)]
    files = ["sources/later-capture.yaml", "persons/jan-przykladowy.yaml",
             "signatories/appeal-of-belarusians-to-the-eu-09.yaml"]
    assert blocks == [yaml.safe_load((case / name).read_text(encoding="utf-8")) for name in files]


def test_version_names_the_package_and_the_commit():
    import re

    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert re.fullmatch(r"appeal-archive \d+\.\d+\.\d+ \(commit ([0-9a-f]{40}(\+changes)?|unknown)\)\n", result.output)


def test_every_format_option_says_what_json_holds():
    for command in COMMANDS:
        text = CliRunner().invoke(main, [command, "--help"]).output
        if "--format" in text:
            assert "to_dict" not in text and "the report as data" in " ".join(text.split()), command


def test_schema_outside_the_repository_says_where_the_files_live(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 1
    assert "error[schema.file-missing]" in result.output and "stale" not in result.output
    assert result.output.count("error[") == 1


def test_a_truncated_pdf_is_reported_once_in_plain_words(signed_build, tmp_path):
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(signed_build.read_bytes()[:30_000])
    result = CliRunner().invoke(main, ["verify", str(truncated)])
    assert result.exit_code == 1
    assert result.output.count("error[pdf.damaged]") == 1
    assert "object at 0x" not in result.output and "Traceback" not in result.output

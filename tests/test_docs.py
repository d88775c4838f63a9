"""The docs keep up with the code: every command has help and is in the README; every query is documented."""

import re
from pathlib import Path

import pytest

from postmortem import queries
from postmortem.cli import app

ROOT = Path(__file__).parent.parent
COMMANDS = sorted(c.name or c.callback.__name__ for c in app.registered_commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_command_has_help_with_an_example(runner, command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example: postmortem" in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_command_is_in_the_readme(command):
    assert f"postmortem {command}" in (ROOT / "README.md").read_text()


def test_every_query_is_in_the_definitions_doc():
    doc = (ROOT / "docs" / "definitions.md").read_text()
    missing = [name for name in queries.names() if f"`{name}`" not in doc]
    assert missing == []


def test_quickstart_is_exactly_two_command_lines():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Quickstart\n+```(?:bash|sh)?\n(.*?)```", readme, re.S)
    assert block, "README has no Quickstart code block"
    lines = [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]
    assert len(lines) == 2
    assert "pytest" in lines[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert lines[1].strip() in ci

"""Every registered command has help text with an example and is listed in the README."""

from __future__ import annotations

import typer.main

from goldwire.cli import app
from gwtest import REPO


def _commands(group, prefix: tuple[str, ...] = ()):
    for name, cmd in group.commands.items():
        path = (*prefix, name)
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, path)
        else:
            yield path, cmd


COMMANDS = list(_commands(typer.main.get_command(app)))


def test_there_are_commands_in_every_stage():
    stages = {path[0] for path, _ in COMMANDS}
    assert {"corpus"} <= stages


def test_every_command_has_help_with_an_example(cli):
    for path, cmd in COMMANDS:
        result = cli(*path, "--help")
        assert result.exit_code == 0, (path, result.output)
        assert cmd.help and "Example:" in cmd.help, f"goldwire {' '.join(path)} lacks an example"


def test_every_command_is_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [" ".join(p) for p, _ in COMMANDS if f"goldwire {' '.join(p)}`" not in readme]
    assert not missing, f"commands not documented in README.md: {missing}"


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.output.startswith("goldwire 0.")


def test_goldwire_error_is_one_line_with_exit_code(cli, tmp_path):
    result = cli("corpus", "info", tmp_path / "nothing")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {tmp_path / 'nothing'}: not a goldwire dataset (no goldwire.json); "
        "build one with `goldwire corpus build`\n"
    )

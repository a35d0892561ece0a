"""The `deskterm` command: the global options, and the command modules mounted one per noun.

Built on click (~10 ms to import) rather than typer, which costs ~35 ms more and pulls pydantic
in to convert arguments (~117 ms on this machine's first use), or argparse (~2 ms), which has no
shell completion: `deskterm --help` and `deskterm search` are whole processes measured in
bench/bench_cli.py. Commands that do not draw the TUI never import Textual, and each command
module imports its heavy parts (actions, rich, the sync engine) inside the commands that use them.
"""

from __future__ import annotations

import sys
from importlib import import_module
from pathlib import Path
from typing import Any

import click

from deskterm.cli.common import State, db_option, echo, open_tui

SHELLS = ("bash", "zsh", "fish")
# Commands that run before any settings matter: a shell's start-up evals `completion`.
UNCHECKED = frozenset({"completion"})
_TICKETS: tuple[str, ...] = ("search", "reply", "note", "status", "resolve", "reopen")
_TICKETS += ("escalate", "assign", "tag", "snooze", "priority", "merge", "split", "undo")
# Each command's module and name in it, in the order `--help` lists them. A command imports its
# own module only: `deskterm search` skips the other eight modules (~12 ms).
COMMANDS: dict[str, tuple[str, str]] = {
    "list": ("tickets", "list_tickets"),
    "show": ("show", "show"),
    **{name: ("tickets", name) for name in _TICKETS},
    "bulk": ("bulk", "app"),
    "sync": ("outbox", "sync"),
    "outbox": ("outbox", "outbox"),
    "demo": ("demo", "demo"),
    "macro": ("macros", "app"),
    "kb": ("kb", "app"),
    "action": ("connector_actions", "app"),
    "sla": ("sla", "app"),
    "order": ("orders", "app"),
    "rules": ("rules", "app"),
    "triage": ("triage", "app"),
    "account": ("accounts", "app"),
    "import": ("imports", "app"),
    "report": ("report", "report"),
    "team": ("team", "app"),
}


class Deskterm(click.Group):
    """The root command: commands loaded when used, listed in COMMANDS order, errors on one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *self.commands]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, name = COMMANDS[cmd_name]
        command: click.Command = getattr(import_module(f"deskterm.cli.{module}"), name)
        return command

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.exceptions.Abort:
            echo("deskterm: aborted", style="red", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            echo(f"deskterm: {exc.format_message()}", style="red", err=True)
            sys.exit(exc.exit_code)
        except Exception as exc:
            # Imported only now: the settings' module costs ~10 ms that `--help` need not pay.
            from deskterm.config import ConfigError
            from deskterm.store import StoreError

            if not isinstance(exc, StoreError | ConfigError):
                echo(f"deskterm: {_bad_input(exc)}", style="red", err=True)
                sys.exit(2)
            echo(f"deskterm: {exc}", style="red", err=True)
            sys.exit(2 if isinstance(exc, ConfigError) else 1)
        sys.exit(code if isinstance(code, int) else 0)


def _bad_input(exc: Exception) -> str:
    """What was wrong with the input behind `exc`, in a line; anything else is a bug: raised."""
    if isinstance(exc, OverflowError):
        return "a number given is larger than any ticket, item or duration can be"
    if isinstance(exc, UnicodeEncodeError) and "surrogate" in str(exc):
        # Bytes that are not UTF-8 reach Python as surrogate escapes (\udce9 for byte 0xe9).
        byte = ord(exc.object[exc.start]) & 0xFF
        return f"the text given is not UTF-8 (byte 0x{byte:02X}); give UTF-8 text"
    raise exc


@click.group(
    cls=Deskterm,
    name="deskterm",
    invoke_without_command=True,
    context_settings={"show_default": True, "max_content_width": 100},
)
@db_option
@click.option(
    "--config",
    type=click.Path(path_type=Path),
    default=None,
    help="Settings file (default: $DESKTERM_CONFIG).",
)
@click.option("--no-sync", is_flag=True, help="Open the TUI without syncing accounts.")
@click.pass_context
def app(ctx: click.Context, db: Path | None, config: Path | None, no_sync: bool) -> None:
    """A terminal workstation for e-commerce customer support.

    Without a command, open the workstation on the queue.
    """
    ctx.obj = State(db, config)
    if ctx.resilient_parsing:
        return
    if ctx.invoked_subcommand is None:
        open_tui(ctx.obj, sync=not no_sync)
    elif ctx.invoked_subcommand not in UNCHECKED:
        ctx.obj.check_settings()


@app.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the shell completion script: eval "$(deskterm completion bash)" in ~/.bashrc
    (zsh: the same in ~/.zshrc; fish: deskterm completion fish | source)."""
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell)
    assert completer is not None  # every name in SHELLS has a class in click
    click.echo(completer(app, {}, "deskterm", "_DESKTERM_COMPLETE").source())


def main() -> None:
    app(prog_name="deskterm")

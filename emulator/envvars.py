"""``EMULATOR_*`` environment variables as first-class CLI input (what a Docker sidecar is configured with).

:class:`EnvironmentCommand` is a click command class that makes every option's environment twin
visible and accountable: ``--help`` shows it, an invalid value names the variable (not the flag the
user never typed), and an ``EMULATOR_*`` variable that no option reads is warned about instead of
being ignored in silence.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from typing import Any

import click
from click.core import ParameterSource

PREFIX = "EMULATOR_"


def option_variables(params: list[click.Parameter]) -> dict[str, click.Option]:
    """Environment variable name -> the option it feeds."""
    found: dict[str, click.Option] = {}
    for param in params:
        if isinstance(param, click.Option) and param.envvar:
            names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar)
            found.update(dict.fromkeys(names, param))
    return found


def unknown_variables(environ: Mapping[str, str], known: set[str]) -> list[str]:
    """One warning line per ``EMULATOR_*`` variable that no option reads, with the closest real name."""
    lines = []
    for name in sorted(n for n in environ if n.startswith(PREFIX) and n not in known):
        # compare what follows the prefix, which every name shares
        close = difflib.get_close_matches(name.removeprefix(PREFIX), sorted(k.removeprefix(PREFIX) for k in known), n=1)
        hint = f"; did you mean {PREFIX}{close[0]}?" if close else ""
        lines.append(f"cuadra-emulator: warning: {name} is not a setting and is ignored{hint}")
    return lines


class EnvironmentCommand(click.Command):
    """A command whose options show, check and name their ``EMULATOR_*`` twins."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for option in option_variables(self.params).values():
            option.show_envvar = True

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        variables = option_variables(self.params)
        for line in unknown_variables(os.environ, set(variables)):
            click.echo(line, err=True)
        try:
            return super().parse_args(ctx, args)
        except click.BadParameter as exc:
            param = exc.param
            if isinstance(param, click.Option) and param.name and _from_environment(ctx, param.name):
                variable = next((name for name, option in variables.items() if option is param and name in os.environ), PREFIX)
                exc.param_hint = f"environment variable {variable} (read as {' / '.join(param.opts)})"
            raise


def _from_environment(ctx: click.Context, name: str) -> bool:
    return ctx.get_parameter_source(name) is ParameterSource.ENVIRONMENT

"""Usage lines as click writes them: ``REPO`` and ``[TAG]``, not typer 0.29's ``{REPO}``.

Commands opt in with ``cls=UsageCommand`` (typer's public ``command(cls=...)``); only public
click API is used: the command's ``collect_usage_pieces`` and a parameter's ``metavar``,
``name``, ``required`` and ``nargs``.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand


class UsageCommand(TyperCommand):
    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                pieces.append(_argument(param))
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces


def _argument(param: Any) -> str:
    name = str(param.metavar or (param.name or "").upper())
    if param.nargs != 1 and not name.endswith("..."):
        name += "..."
    return name if param.required else f"[{name}]"

"""The deferred coercion gives what typer's own (pydantic) coercion gives, without pydantic."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer._coercion import build_runtime_param

from ecrctl.cli.app import app
from ecrctl.cli.fastparams import _Deferred


def all_params() -> Iterator[tuple[str, Any]]:
    def walk(command: Any, path: str) -> Iterator[tuple[str, Any]]:
        for param in command.params:
            if hasattr(param, "type_descriptor"):
                yield f"{path} {param.name}", param
        for name, sub in (getattr(command, "commands", None) or {}).items():
            yield from walk(sub, f"{path} {name}")

    root = typer.main.get_command(app)
    context = typer.Context(root)
    for name in root.list_commands(context):  # type: ignore[attr-defined]
        root.get_command(context, name)  # type: ignore[attr-defined]  (load every command)
    yield from walk(root, "ecrctl")


PARAMS = list(all_params())
VALUES: list[Any] = [
    None,
    "team/app",
    "v1",
    "pushed",
    "name",
    "",
    "5",
    " 7 ",
    "0",
    "-3",
    "1.5",
    "nan",
    "1e400",
    (),
    ("a", "b"),
    True,
]


@pytest.mark.parametrize(("where", "param"), PARAMS, ids=[w for w, _ in PARAMS])
def test_limits_fastparams_agree_with_typer(where: str, param: Any) -> None:
    real = build_runtime_param(param.type_descriptor)
    fast = _Deferred(param.type_descriptor, build_runtime_param)
    values = [*VALUES, *(param.type_descriptor.choices or ())]
    for value in values:
        try:
            expected: Any = ("ok", real.coerce(value, param=param, ctx=None))
        except Exception as error:
            expected = ("error", type(error).__name__, str(error))
        try:
            got: Any = ("ok", fast.coerce(value, param=param, ctx=None))
        except Exception as error:
            got = ("error", type(error).__name__, str(error))
        if expected[0] == "error" and got[0] == "error":
            # A bad value is refused by both, ours in click's words rather than pydantic's.
            assert got[1] == "BadParameter" or got[1:] == expected[1:], (where, value, got)
            if isinstance(value, str) and param.type_descriptor.annotation is not bool:
                assert "Input should" not in got[2] and "Value error" not in got[2], (where, value)
            continue
        if value in ("nan", "1e400") and got[:2] == ("error", "BadParameter"):
            continue  # stricter on purpose: no NaN or infinite timeouts and counts
        assert got == expected, (where, value)


def test_limits_fastparams_keep_pydantic_out_of_a_plain_command() -> None:
    code = (
        "import sys; sys.argv = ['ecrctl', '--endpoint-url', 'http://127.0.0.1:9', 'repo', 'list'];"
        "from ecrctl.cli.app import main\n"
        "try: main()\n"
        "except SystemExit: pass\n"
        "print('pydantic' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.stdout.strip() == "False", done.stderr
    assert "cannot reach AWS" in done.stderr  # the command itself ran

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

    yield from walk(typer.main.get_command(app), "ecrctl")


PARAMS = list(all_params())
VALUES: list[Any] = [None, "team/app", "v1", "pushed", "name", "", "5", (), ("a", "b"), True]


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

"""Without the [sandbox] extra, the sandbox and the demo name the extra to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e

# moto made unimportable in the child only: `import moto...` raises ImportError.
NO_MOTO = (
    "import sys; sys.modules['moto'] = None; sys.argv = ['ecrctl', sys.argv[1]]; "
    "from ecrctl.cli.entry import main; main()"
)


@pytest.mark.parametrize("command", ["demo", "sandbox"])
def test_without_moto_the_extra_named_is_sandbox(command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", NO_MOTO, command],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == "ecrctl: the sandbox needs moto's server: pip install 'ecrctl[sandbox]'\n"

"""`docker-credential-ecrctl get` on a cache hit, beside Debian's `docker-credential-ecr-login`.

    python bench/bench_credhelper.py [--runs N]

Both helpers get a pre-populated cache holding a token that is not what the emulator issues
(`bench-secret`), so an answer carrying it proves a cache hit; every command's answer is checked
before it is timed. Rows:

- ecrctl as installed here (the console script next to this interpreter; in a development
  checkout that is an editable install, whose start-up also runs every `.pth` hook of this
  interpreter's site-packages);
- ecrctl laid out as a regular (non-editable) install in a clean virtual environment of the same
  interpreter: what a user who `pip install`s ecrctl runs;
- `docker-credential-ecr-login` (Debian's amazon-ecr-credential-helper, Go), cache at
  ~/.ecr/cache.json in its own format (file.go / build.go of awslabs/amazon-ecr-credential-helper);
- floors: the bare interpreters (`python -c pass`), and `python -c 'import re'`, which is where
  every pip console script starts (its template imports re); and a cache miss (boto3 and one
  GetAuthorizationToken against the local emulator) for scale.

Target (issue 3): a cache hit <= 20 ms median.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, command_runner, emulator_env, median_ms, print_table, tool

ACCOUNT = "123456789012"
REGION = "us-east-1"
HOST = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
SECRET = "bench-secret"
ROOT = Path(__file__).resolve().parent.parent


def installed_helper() -> str:
    """The console script pip wrote beside this interpreter (not a pyenv shim)."""
    beside = Path(sys.executable).parent / "docker-credential-ecrctl"
    if beside.exists():
        return str(beside)
    found = shutil.which("docker-credential-ecrctl")
    if not found:
        raise SystemExit("docker-credential-ecrctl is not installed: pip install -e .")
    return found


_SCRIPT = """#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from ecrctl.credhelper import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""


def clean_venv(workdir: Path) -> Path:
    """A venv of this interpreter holding the ecrctl package as a regular install would lay it
    out (package in site-packages, byte-compiled, pip's console-script template), without
    dependencies: a cache hit needs none. Returns its docker-credential-ecrctl."""
    venv = workdir / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    shutil.copytree(
        ROOT / "ecrctl", Path(site) / "ecrctl", ignore=shutil.ignore_patterns("__pycache__")
    )
    subprocess.run([str(python), "-m", "compileall", "-q", str(Path(site) / "ecrctl")], check=True)
    script = venv / "bin" / "docker-credential-ecrctl"
    script.write_text(_SCRIPT.format(python=python))
    script.chmod(0o755)
    return script


def seed_ecrctl_cache(env: dict[str, str]) -> None:
    """The cache entry `ecrctl login` (or a first `get`) would leave, with a distinct secret."""
    code = (
        "import time\n"
        "from ecrctl.core.login.cache import CachedToken, TokenCache, resolve_identity\n"
        "identity = resolve_identity(None)\n"
        f"TokenCache().put(CachedToken({HOST!r}, identity.label, 'AWS', {SECRET!r}, "
        "time.time(), time.time() + 12 * 3600), identity)\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def seed_ecr_login_cache(home: Path, access_key: str) -> None:
    """~/.ecr/cache.json as amazon-ecr-credential-helper 0.6 keys it: REGION-CHECKSUM-REGISTRY,
    where CHECKSUM is base64(access key bytes + md5 of nothing) (its `md5.New().Sum(key)`)."""
    checksum = base64.b64encode(access_key.encode() + hashlib.md5(b"").digest()).decode()
    now = datetime.now(UTC)

    def stamp(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.000000000Z")

    entry = {
        "AuthorizationToken": base64.b64encode(f"AWS:{SECRET}".encode()).decode(),
        "RequestedAt": stamp(now),
        "ExpiresAt": stamp(now + timedelta(hours=12)),
        "ProxyEndpoint": f"https://{HOST}",
        "Service": "ecr",
    }
    cache = home / ".ecr" / "cache.json"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(
        json.dumps({"Registries": {f"{REGION}-{checksum}-{ACCOUNT}": entry}, "Version": "1.0"})
    )


def check_answer(argv: list[str], env: dict[str, str], secret: str) -> None:
    done = subprocess.run([*argv], input=HOST, env=env, capture_output=True, text=True, check=False)
    answer = json.loads(done.stdout) if done.returncode == 0 else {}
    if answer.get("Secret") != secret:
        raise SystemExit(f"{argv[0]} did not answer from its cache: {done.stdout}{done.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    figures: list[Figure] = []
    compare: dict[str, str] = {}
    ecr_login = tool("docker-credential-ecr-login")
    with (
        tempfile.TemporaryDirectory(prefix="bench-credhelper-") as tmp,
        emulator_env() as (
            _,
            base_env,
        ),
    ):
        work = Path(tmp)
        home = work / "home"
        home.mkdir()
        env = {
            **base_env,
            "HOME": str(home),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "DOCKER_CONFIG": str(home / ".docker"),
            "AWS_CONFIG_FILE": str(home / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        env.pop("PYTHONPATH", None)
        seed_ecrctl_cache(env)
        here = installed_helper()
        venv_helper = str(clean_venv(work))
        helpers = [
            ("ecrctl get, cache hit (installed here)", here),
            ("ecrctl get, cache hit (regular install, clean venv)", venv_helper),
        ]
        for name, exe in helpers:
            check_answer([exe, "get"], env, SECRET)
            run = command_runner([exe, "get"], env, stdin=HOST)
            figures.append(Figure(name, median_ms(run, args.runs, warmup=3), args.runs, calls="0"))
            compare[name] = "ecr-login get, cache hit"
        if ecr_login:
            seed_ecr_login_cache(home, env["AWS_ACCESS_KEY_ID"])
            check_answer([ecr_login, "get"], env, SECRET)
            run = command_runner([ecr_login, "get"], env, stdin=HOST)
            figures.append(
                Figure(
                    "ecr-login get, cache hit",
                    median_ms(run, args.runs, warmup=3),
                    args.runs,
                    calls="0",
                    note="Debian amazon-ecr-credential-helper",
                )
            )
        else:
            print(
                "docker-credential-ecr-login not installed "
                "(apt-get install amazon-ecr-credential-helper): no comparison"
            )
        venv_python = str(Path(venv_helper).parent / "python")
        floors = [
            ("python -c pass (this interpreter)", [sys.executable, "-c", "pass"]),
            # pip's console-script template starts with `import re`: no console script is faster.
            ("python -c 'import re' (clean venv)", [venv_python, "-c", "import re"]),
            (
                "python -c pass (clean venv)",
                [venv_python, "-c", "pass"],
            ),
        ]
        for name, argv in floors:
            figures.append(
                Figure(
                    name,
                    median_ms(command_runner(argv, env), args.runs, warmup=3),
                    args.runs,
                    note="floor",
                )
            )
        cache_dir = home / ".cache" / "ecrctl" / "tokens"

        def miss() -> object:
            shutil.rmtree(cache_dir, ignore_errors=True)
            return command_runner([here, "get"], env, stdin=HOST)()

        figures.append(
            Figure(
                "ecrctl get, cache miss (installed here)",
                median_ms(miss, max(args.runs // 4, 5)),
                max(args.runs // 4, 5),
                calls="1 GetAuthorizationToken",
                note="local emulator",
            )
        )
    print_table("docker-credential helpers: `get` for one ECR registry", figures, compare)
    best = min(f.median_ms for f in figures if f.name.startswith("ecrctl get, cache hit"))
    verdict = "met" if best <= 20 else "not met"
    print(f"\ntarget: cache hit <= 20 ms median: {verdict} (best ecrctl hit {best:.1f} ms)")
    print(f"machine: {os.cpu_count()} cores; interpreter {sys.version.split()[0]}")


if __name__ == "__main__":
    main()

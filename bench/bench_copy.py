"""ecrctl copy beside skopeo copy: a 3-layer ~200 MB random image in two local registries.

    python bench/bench_copy.py [--mb 200]

Two plain-HTTP `docker-registry` (distribution) instances on 127.0.0.1, an OCI image of three
random (incompressible) layers pushed into the first. One run of each case (the machine is
shared; the load average is printed with the table):

- same registry, other repository: ecrctl mounts every blob (0 layer bytes moved);
- across registries: every byte streams through both tools;
- re-run of the completed cross-registry copy: ecrctl moves nothing.

Wall time of each whole command, and its CPU time (user + system: steadier than wall time on a
shared machine); peak memory of the ecrctl process (VmHWM, read as it exits). The ecrctl package
is byte-compiled first, as ``pip install`` does: with PYTHONDONTWRITEBYTECODE set (as in some
sandboxes) an editable install would otherwise recompile ~30 modules on every run (~0.15 s).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.oci_registries import push_image, start_registry, stop_registry

# ru_maxrss of a child counts what it inherited at fork, before exec; VmHWM is the peak of the
# process's own memory after exec, read by the process itself as it exits.
_PEAK = (
    "import atexit, re, runpy, sys\n"
    "def peak():\n"
    "    text = open('/proc/self/status').read()\n"
    "    sys.stderr.write('PEAK_KB ' + re.search(r'VmHWM:\\s+(\\d+)', text).group(1) + '\\n')\n"
    "atexit.register(peak)\n"
    "sys.argv = ['ecrctl', *sys.argv[1:]]\n"
    "runpy.run_module('ecrctl', run_name='__main__')\n"
)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str]) -> tuple[float, float, int, str]:
    """Wall and CPU seconds, peak memory (KiB, ecrctl only) and stdout of one command."""
    cpu, started = _cpu(), time.perf_counter()
    done = subprocess.run(argv, capture_output=True, check=False)
    elapsed, cpu = time.perf_counter() - started, _cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed: {done.stderr.decode()[-500:]}")
    peak = [line for line in done.stderr.decode().splitlines() if line.startswith("PEAK_KB ")]
    return elapsed, cpu, int(peak[-1].split()[1]) if peak else 0, done.stdout.decode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args()
    for tool in ("docker-registry", "skopeo"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt-get install docker-registry skopeo)")
    compileall.compile_dir(Path(__file__).resolve().parents[1] / "ecrctl", quiet=1)
    ecrctl = [sys.executable, "-c", _PEAK]
    skopeo = ["skopeo", "copy", "-q", "--src-tls-verify=false", "--dest-tls-verify=false"]
    base = Path(tempfile.mkdtemp(prefix="bench-copy-"))
    one, two = start_registry(base / "one"), start_registry(base / "two")
    try:
        third = args.mb * 1_000_000 // 3
        layers = [os.urandom(third) for _ in range(3)]
        digest, _ = push_image(one.host, "bench/src", "1", layers)
        del layers
        src = f"{one.host}/bench/src:1"
        rows = []

        def ecr_case(dst: str) -> tuple[float, float, int, int]:
            seconds, cpu, rss, out = timed([*ecrctl, "copy", src, dst, "-o", "json"])
            doc = json.loads(out)
            assert doc["verifiedDigest"] == digest
            return seconds, cpu, rss, int(doc["bytesMoved"])

        for name, ecr_dst, sko_dst in (
            ("same registry, other repo", f"{one.host}/bench/e", f"{one.host}/bench/s:1"),
            ("across registries", f"{two.host}/bench/e", f"{two.host}/bench/s:1"),
            ("re-run (across)", f"{two.host}/bench/e", f"{two.host}/bench/s:1"),
        ):
            e_sec, e_cpu, e_rss, moved = ecr_case(ecr_dst)
            s_sec, s_cpu, _, _ = timed([*skopeo, f"docker://{src}", f"docker://{sko_dst}"])
            rows.append((name, e_sec, s_sec, e_cpu, s_cpu, moved, e_rss))
        load = os.getloadavg()
        print(f"image: 3 layers, {args.mb} MB random; load average {load[0]:.2f} {load[1]:.2f}")
        print(
            "| case | ecrctl s | skopeo s | ratio | ecrctl CPU s | skopeo CPU s "
            "| ecrctl bytes moved | ecrctl peak RSS |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, e_sec, s_sec, e_cpu, s_cpu, moved, rss in rows:
            print(
                f"| {name} | {e_sec:.2f} | {s_sec:.2f} | {e_sec / s_sec:.2f}x | {e_cpu:.2f} | "
                f"{s_cpu:.2f} | {moved / 1e6:.1f} MB | {rss / 1024:.0f} MiB |"
            )
        first, again = rows[1], rows[2]
        print(
            f"ecrctl re-run / first run: {again[1] / first[1]:.2f}x wall, "
            f"{again[3] / first[3]:.2f}x CPU"
        )
    finally:
        stop_registry(one)
        stop_registry(two)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

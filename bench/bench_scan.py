"""`ecrctl scan --fail-on HIGH` on 5,000 findings, end to end against the local emulator.

    python bench/bench_scan.py [--runs N] [--findings N]

The findings are injected through moto's ``/moto-api/static/ecr/scan-finding-results``
endpoint, then each command runs as a subprocess. Two set-ups: the moto server directly (it
answers all findings in one page), and the faithful ECR proxy of tests/ecrproxy.py in front of
it (ECR's pages of at most 1,000 findings, 20 ms a call). The aws CLI counterpart is
`aws ecr describe-image-scan-findings` with a `--query` that counts HIGH-or-worse findings (what
CI scripts do by hand today). Each figure is the median of ``--runs`` runs after one warm-up.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_ecr import executable  # noqa: E402
from bench.common import Figure, command_runner, emulator_env, median_ms, print_table  # noqa: E402
from ecrctl.sandbox.findings import basic_findings, inject_scan_results, scan_response  # noqa: E402
from ecrctl.sandbox.images import seed_repository  # noqa: E402
from tests.ecrproxy import EcrProxy  # noqa: E402

REPO = "bench/scan"
TAG = "v1"
GATE_QUERY = "length(imageScanFindings.findings[?severity=='CRITICAL' || severity=='HIGH'])"


def expecting(run: Callable[[], object], code: int, what: str) -> Callable[[], object]:
    def checked() -> object:
        done = run()
        returncode = getattr(done, "returncode", None)
        if returncode != code:
            stderr = getattr(done, "stderr", "")
            raise SystemExit(f"{what}: exit {returncode}, expected {code}\n{stderr}")
        return done

    return checked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--findings", type=int, default=5000)
    args = parser.parse_args()
    ecrctl = executable("ecrctl")
    try:
        aws: list[str] | None = executable("aws")
    except SystemExit:
        aws = None
    figures: list[Figure] = []
    compare: dict[str, str] = {}
    with emulator_env() as (emulator, env):
        ecr = emulator.client("ecr")
        ecr.create_repository(repositoryName=REPO)
        seed_repository(ecr, REPO, [TAG])
        ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": TAG})
        findings = basic_findings(args.findings)
        inject_scan_results(
            emulator.endpoint,
            [scan_response(REPO, {"imageTag": TAG}, findings=findings)],
            region=emulator.region,
        )
        with EcrProxy(emulator.endpoint, latency=0.02) as proxy:
            for where, endpoint in (("emulator", emulator.endpoint), ("ECR proxy", proxy.url)):
                here = {**env, "AWS_ENDPOINT_URL": endpoint}
                cases = [
                    ("--fail-on HIGH", ["scan", REPO, TAG, "--fail-on", "HIGH"], 5),
                    ("-o json", ["-o", "json", "scan", REPO, TAG], 0),
                    ("-o sarif", ["-o", "sarif", "scan", REPO, TAG], 0),
                ]
                for label, argv, code in cases:
                    name = f"ecrctl scan {label} ({where})"
                    before = proxy.counts.get("DescribeImageScanFindings", 0)
                    run = expecting(command_runner([*ecrctl, *argv], here, check=False), code, name)
                    ms = median_ms(run, args.runs)
                    calls = proxy.counts.get("DescribeImageScanFindings", 0) - before
                    per_run = (
                        f"DescribeImageScanFindings {calls // (args.runs + 1)}" if calls else ""
                    )
                    figures.append(Figure(name, ms, args.runs, per_run))
                    if label == "--fail-on HIGH" and aws:
                        compare[name] = f"aws + --query gate ({where})"
                if aws:
                    argv = [
                        *aws,
                        "ecr",
                        "describe-image-scan-findings",
                        "--repository-name",
                        REPO,
                        "--image-id",
                        f"imageTag={TAG}",
                        "--query",
                        GATE_QUERY,
                        "--output",
                        "text",
                    ]
                    name = f"aws + --query gate ({where})"
                    before = proxy.counts.get("DescribeImageScanFindings", 0)
                    ms = median_ms(command_runner(argv, here), args.runs)
                    calls = proxy.counts.get("DescribeImageScanFindings", 0) - before
                    per_run = (
                        f"DescribeImageScanFindings {calls // (args.runs + 1)}" if calls else ""
                    )
                    figures.append(Figure(name, ms, args.runs, per_run))
    print_table(
        f"scan of {args.findings} findings, end to end (local emulator; proxy: ECR pages, 20 ms)",
        figures,
        compare,
    )


if __name__ == "__main__":
    main()

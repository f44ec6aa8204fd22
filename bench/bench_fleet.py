"""ecrctl over 3 profiles x 4 regions vs one profile and region, and vs the aws CLI in a loop.

Three accounts behind assume-role profiles (dev, stage, prod) on the embedded moto server,
behind tests/ecrproxy.py at 20 ms an ECR call (STS calls pass the proxy without the delay).
``repo list`` and ``where app:1.4.2`` over the 12 sources, side by side with the single-source
command and with a shell loop of the 12 equivalent ``aws ecr`` calls. One run each after a
warm-up (``--runs N`` for more); the machine is shared, so read the ratios, not the ms.

    python bench/bench_fleet.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, command_runner, ecrctl, emulator_env, median_ms, print_table
from ecrctl.sandbox.images import put_synthetic, synthetic_manifest
from tests.ecrproxy import EcrProxy
from tests.fleet_env import ACCOUNTS, ecr_of, write_profiles

REGIONS = ("eu-west-1", "us-east-1", "eu-central-1", "ap-southeast-2")
PROFILES = ",".join(ACCOUNTS)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1)
    runs = parser.parse_args().runs
    with emulator_env() as (emulator, base), tempfile.TemporaryDirectory() as home:
        config = Path(home) / "aws-config"
        write_profiles(config)
        env = {**base, "AWS_CONFIG_FILE": str(config), "HOME": home}
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"):
            env.pop(key, None)
        os.environ.update({"AWS_CONFIG_FILE": str(config), "AWS_ENDPOINT_URL": emulator.endpoint})
        image = synthetic_manifest("release")
        for profile in ACCOUNTS:
            for region in REGIONS:
                client = ecr_of(profile, region, emulator.endpoint)
                for n in range(5):
                    client.create_repository(repositoryName=f"svc-{n}")
                client.create_repository(repositoryName="app")
                if profile != "dev" or region == "eu-west-1":
                    put_synthetic(client, "app", image, tag="1.4.2")
        with EcrProxy(emulator.endpoint, latency=0.02) as proxy:
            env["AWS_ENDPOINT_URL"] = proxy.url
            fleet = ["--profiles", PROFILES, "--regions", ",".join(REGIONS)]
            one = ["--profile", "dev", "--region", "eu-west-1"]
            loop_list = "; ".join(
                f"aws ecr describe-repositories --profile {p} --region {r} --output text >/dev/null"
                for p in ACCOUNTS
                for r in REGIONS
            )
            loop_where = "; ".join(
                f"aws ecr describe-images --profile {p} --region {r} --repository-name app "
                "--image-ids imageTag=1.4.2 --output text >/dev/null 2>&1 || true"
                for p in ACCOUNTS
                for r in REGIONS
            )
            cases = [
                ("ecrctl repo list, 1 profile x 1 region", [*ecrctl(), "repo", "list", *one]),
                ("ecrctl repo list, 3 profiles x 4 regions", [*ecrctl(), "repo", "list", *fleet]),
                ("aws ecr describe-repositories, loop of 12", ["bash", "-c", loop_list]),
                ("ecrctl where app:1.4.2, 1 x 1", [*ecrctl(), "where", "app:1.4.2", *one]),
                ("ecrctl where app:1.4.2, 3 x 4", [*ecrctl(), "where", "app:1.4.2", *fleet]),
                ("aws ecr describe-images, loop of 12", ["bash", "-c", loop_where]),
            ]
            figures = []
            for name, argv in cases:
                ms = median_ms(command_runner(argv, env), runs)
                figures.append(Figure(name, ms, runs))
        baseline = {
            cases[1][0]: cases[0][0],
            cases[2][0]: cases[1][0],
            cases[4][0]: cases[3][0],
            cases[5][0]: cases[4][0],
        }
        print_table("fleet: 3 profiles x 4 regions, 20 ms an ECR call", figures, baseline)


if __name__ == "__main__":
    main()

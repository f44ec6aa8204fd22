"""Start-up and `repo list`: ecrctl beside the aws CLI on the same local emulator.

    python bench/bench_startup.py [--runs N] [--repos N]

Targets (issue 2): `ecrctl --help` <= 120 ms median; `repo list` faster than
`aws ecr describe-repositories`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, command_runner, ecrctl, emulator_env, median_ms, print_table, tool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--repos", type=int, default=50)
    args = parser.parse_args()
    aws = tool("aws")
    figures: list[Figure] = []
    compare: dict[str, str] = {}
    with emulator_env() as (emulator, env):
        ecr = emulator.client("ecr")
        for n in range(args.repos):
            ecr.create_repository(repositoryName=f"bench/repo-{n:03d}")
        cases = [
            ("ecrctl --version", [*ecrctl(), "--version"], "aws --version"),
            ("ecrctl --help", [*ecrctl(), "--help"], "aws --version"),
            ("ecrctl repo list", [*ecrctl(), "repo", "list"], "aws ecr describe-repositories"),
        ]
        for name, argv, other in cases:
            figures.append(Figure(name, median_ms(command_runner(argv, env), args.runs), args.runs))
            compare[name] = other
        if aws:
            figures.append(
                Figure(
                    "aws --version",
                    median_ms(command_runner([aws, "--version"], env), args.runs),
                    args.runs,
                )
            )
            argv = [
                aws,
                "ecr",
                "describe-repositories",
                "--output",
                "text",
                "--query",
                "repositories[].repositoryName",
            ]
            figures.append(
                Figure(
                    "aws ecr describe-repositories",
                    median_ms(command_runner(argv, env), args.runs),
                    args.runs,
                )
            )
    print_table(
        f"start-up and repo list ({args.repos} repositories, local emulator)", figures, compare
    )


if __name__ == "__main__":
    main()

"""Start-up and `repo list`: ecrctl beside the aws CLI on the same local emulator.

    python bench/bench_startup.py [--runs N] [--repos N]

Budgets (the options-anywhere issue), medians, with bytecode, side by side in one run:
`ecrctl --help` <= 120 ms and <= 0.3x `aws --version`; `ecrctl uri app:1` (no AWS call)
<= 0.4x `aws --version`; `ecrctl -o text repo list` and `ecrctl repo list -o text` each
<= 0.7x `aws ecr describe-repositories` against the same emulator.
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
        listing = "aws ecr describe-repositories"
        cases = [
            ("ecrctl --version", [*ecrctl(), "--version"], "aws --version"),
            ("ecrctl --help", [*ecrctl(), "--help"], "aws --version"),
            ("ecrctl tags --help", [*ecrctl(), "tags", "--help"], "aws --version"),
            (
                "ecrctl uri app:1 (no AWS call)",
                [*ecrctl(), "uri", "app:1", "--registry-id", "1" * 12],
                "aws --version",
            ),
            ("ecrctl -o text repo list", [*ecrctl(), "-o", "text", "repo", "list"], listing),
            ("ecrctl repo list -o text", [*ecrctl(), "repo", "list", "-o", "text"], listing),
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

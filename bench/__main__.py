"""`python -m bench [--scenario NAME] [--scale N] [--provider aws|gcp|both]`.

Each (provider, group of scenarios) runs in a child process of its own, with the emulators in yet another
process, so CPU time and peak RSS are the controller's. `startup` times an offline `lbctl validate` of one
file (provider-independent); `gateway` converges one Gateway with --routes HTTPRoutes, reconciles it again
with nothing changed, edits one route's path, and adds the cloud's policy for one route's Service. Prints a table, then one JSON line per scenario.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

from bench.gateway import GATEWAY_SCENARIOS, run_gateway
from bench.scenarios import L4, LARGE, SCENARIOS, SMALL, run_l4, run_large, run_small, sizes_for

STARTUP = "startup"

DEFAULT_AWS_LARGE_CAP = 300


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario", choices=(*SCENARIOS, *GATEWAY_SCENARIOS, "gateway", STARTUP, "all"), default="all"
    )
    parser.add_argument("--startup-runs", type=int, default=11, help="runs of the startup command (median)")
    parser.add_argument(
        "--scale", type=int, default=100, help="N Ingresses (restart/footprint: 10·N); default 100"
    )
    parser.add_argument("--provider", choices=("aws", "gcp", "both"), default="both")
    parser.add_argument("--foreign", type=int, default=None, help="foreign resources (default min(500, 5·N))")
    parser.add_argument(
        "--aws-large-cap",
        type=int,
        default=DEFAULT_AWS_LARGE_CAP,
        help="most Ingresses AWS restart/footprint run with (moto is slow); said in the output",
    )
    parser.add_argument(
        "--routes",
        type=int,
        default=50,
        help="HTTPRoutes of the gateway scenarios' Gateway; default 50",
    )
    parser.add_argument("--child", choices=("small", "large", "l4", "gateway"), help=argparse.SUPPRESS)
    return parser


def _emit(record: dict[str, Any]) -> None:
    print(json.dumps(record, sort_keys=False), flush=True)


def _wanted(scenario: str) -> tuple[str, ...]:
    if scenario == "all":
        return SCENARIOS + GATEWAY_SCENARIOS
    return GATEWAY_SCENARIOS if scenario == "gateway" else (scenario,)


def _child(args: argparse.Namespace) -> int:
    provider = args.provider
    sizes = sizes_for(provider, args.scale, args.foreign, args.aws_large_cap)
    wanted = _wanted(args.scenario)
    if args.child == "gateway":
        run_gateway(provider, args.routes, wanted, _emit)
    elif args.child == "small":
        run_small(provider, sizes, wanted, _emit)
    elif args.child == "l4":
        run_l4(provider, sizes, wanted, _emit)
    else:
        run_large(provider, sizes, wanted, _emit)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.child:
        return _child(args)
    providers = ("aws", "gcp") if args.provider == "both" else (args.provider,)
    wanted = _wanted(args.scenario)
    members = {"small": SMALL, "large": LARGE, "l4": L4, "gateway": GATEWAY_SCENARIOS}
    groups = [g for g, names in members.items() if set(names) & set(wanted)]
    records: list[dict[str, Any]] = []
    failed = False
    started = time.monotonic()
    if args.scenario in (STARTUP, "all"):
        from bench.startup import run_startup

        print(f"# running startup ({args.startup_runs} runs)", file=sys.stderr, flush=True)
        records.append(run_startup(args.startup_runs))
    for provider in providers:
        for group in groups:
            command = [
                sys.executable,
                "-m",
                "bench",
                "--child",
                group,
                "--provider",
                provider,
                "--scale",
                str(args.scale),
                "--scenario",
                args.scenario,
                "--aws-large-cap",
                str(args.aws_large_cap),
                "--routes",
                str(args.routes),
            ]
            if args.foreign is not None:
                command += ["--foreign", str(args.foreign)]
            print(
                f"# running {provider} {group} ({', '.join(s for s in wanted if s in members[group])})",
                file=sys.stderr,
                flush=True,
            )
            done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
            for line in done.stdout.splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict) and "scenario" in record:
                    records.append(record)
            if done.returncode != 0:
                failed = True
                print(f"# {provider} {group} failed (exit {done.returncode})", file=sys.stderr, flush=True)
    from bench.report import print_table

    print_table(records, time.monotonic() - started)
    for record in records:
        print(json.dumps(record))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

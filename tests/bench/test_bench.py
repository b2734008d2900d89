"""Smoke test of the benchmark: every scenario at a tiny scale, for both providers. Counts only, never time."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from bench.scenarios import Sizes, run_large, run_small

COMMON = {"scenario", "provider", "ingresses"}
FIELDS = {
    "converge": {"calls", "reads", "mutating", "resources_created", "calls_per_resource", "wall_s", "cpu_s"},
    "noop": {"foreign", "reads", "writes", "reads_per_group", "writes_per_group"},
    "churn": {
        "affected",
        "register",
        "deregister",
        "register_per_group",
        "deregister_per_group",
        "reads_per_group",
    },
    "restart": {"seconds_to_all_reconciled", "mutating", "reads", "note"},
    "footprint": {"endpoints", "peak_rss_mb", "cpu_ms_per_noop_reconcile"},
}


@pytest.mark.parametrize("provider", ["aws", "gcp"])
def test_every_scenario_reports_its_fields(provider: str) -> None:
    records: list[dict[str, Any]] = []
    sizes = Sizes(small=2, large=3, pods_small=10, pods_large=2, foreign=4)
    run_small(provider, sizes, ("converge", "noop", "churn"), records.append)
    run_large(provider, sizes, ("restart", "footprint"), records.append)
    by_name = {r["scenario"]: r for r in records}
    assert list(by_name) == ["converge", "noop", "churn", "restart", "footprint"]
    for name, record in by_name.items():
        missing = (COMMON | FIELDS[name]) - set(record)
        assert not missing, f"{name} lacks {missing}"
        json.dumps(record)  # one JSON line each
        print(provider, json.dumps(record))
    converge, noop, churn = by_name["converge"], by_name["noop"], by_name["churn"]
    assert converge["ingresses"] == 2 and converge["resources_created"] > 0 and converge["mutating"] > 0
    assert noop["writes"] == 0 and noop["foreign"] == 4
    # 10% of 10 pods = 1 pod replaced per Service: one registration and one deregistration per group.
    assert churn["affected"] > 0 and churn["register"] == churn["affected"] == churn["deregister"]
    assert by_name["restart"]["mutating"] == 0 and by_name["restart"]["ingresses"] == 3
    assert by_name["footprint"]["endpoints"] == 3 * 2 * 2 and by_name["footprint"]["writes"] == 0


def test_command_line_prints_a_table_and_json_lines() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--scenario",
            "noop",
            "--scale",
            "1",
            "--provider",
            "gcp",
            "--foreign",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [(r["scenario"], r["provider"]) for r in lines] == [("noop", "gcp")]
    assert "lbctl benchmark" in done.stdout and "noop" in done.stdout


def test_startup_scenario_reports_its_fields() -> None:
    """`python -m bench --scenario startup`: the figures of an offline validate (fields only, never time)."""
    from bench.startup import run_startup

    record = run_startup(runs=1)
    assert set(record) >= {
        "scenario",
        "command",
        "runs",
        "median_wall_s",
        "median_cpu_s",
        "modules",
        "target_s",
    }
    assert record["command"] == "lbctl validate -f docs/examples/two-services.yaml"
    assert record["modules"] > 50 and record["target_s"] == 0.4


def test_gcp_l4_scenarios_report_passthrough_load_balancers() -> None:
    from bench.scenarios import run_l4

    records: list[dict[str, Any]] = []
    run_l4("gcp", Sizes(small=2, large=2, pods_small=10, pods_large=2, foreign=0), L4_NAMES, records.append)
    by_name = {r["scenario"]: r for r in records}
    assert list(by_name) == list(L4_NAMES)
    converge, noop, churn = (by_name[n] for n in L4_NAMES)
    assert converge["services"] == 2 and converge["calls_by_operation"]["compute:forwardingRules.insert"] == 2
    assert noop["writes"] == 0
    assert churn["register"] == churn["deregister"] == churn["mutating"] == 0, (
        churn
    )  # pods are not its targets


L4_NAMES = ("l4-converge", "l4-noop", "l4-churn")

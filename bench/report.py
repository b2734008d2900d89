"""The table of figures, with each scenario's target and whether this run meets it."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def verdict(record: dict[str, Any]) -> tuple[str, str]:
    """(target, "met"/"NOT met"/"") for a scenario record."""
    scenario = record["scenario"].removeprefix("l4-")
    if scenario == "gateway-converge":
        ok = record["calls"] <= 1.2 * record["resources_created"]
        return "calls ≤ 1.2 × resources", "met" if ok else "NOT met"
    if scenario == "gateway-noop":
        return "0 writes", "met" if record["writes"] == 0 else "NOT met"
    if scenario == "gateway-edit":
        return "1 write (the route's rule)", "met" if record["mutating"] == 1 else "NOT met"
    if scenario == "gateway-policy":
        return "1 write (the Service's target group / backend service)", (
            "met" if record["mutating"] == 1 else "NOT met"
        )
    if scenario == "converge":
        ok = record["calls"] <= 1.2 * record["resources_created"]
        return "calls ≤ 1.2 × resources", "met" if ok else "NOT met"
    if scenario == "noop":
        ok = record["writes"] == 0 and record["reads_per_group"] <= 3
        return "0 writes, ≤ 3 reads/group", "met" if ok else "NOT met"
    if scenario == "churn":
        ok = (
            record["register_per_group"] <= 1
            and record["deregister_per_group"] <= 1
            and record["mutating"] == record["register"] + record["deregister"]
        )
        verb = "register + 1 deregister" if record["unit"] == "target group" else "attach + 1 detach"
        return f"1 {verb} per {record['unit']}", "met" if ok else "NOT met"
    if scenario == "restart":
        return "0 mutating calls", "met" if record["mutating"] == 0 else "NOT met"
    if scenario == "startup":
        ok = record["median_wall_s"] <= record["target_s"]
        return f"≤ {record['target_s']} s wall (median)", "met" if ok else "NOT met"
    return "", ""


def figures(record: dict[str, Any]) -> str:
    s = record["scenario"].removeprefix("l4-")
    if s.startswith("gateway-"):
        return (
            f"{record['routes']} HTTPRoutes: {record['calls']} calls ({record['mutating']} mutating, "
            f"{record['reads']} reads); {record['wall_s']} s wall, {record['cpu_s']} s CPU"
        )
    if s == "converge":
        return (
            f"{record['calls']} calls ({record['mutating']} mutating) for {record['resources_created']} resources "
            f"= {record['calls_per_resource']}/resource; {record['wall_s']} s wall, {record['cpu_s']} s CPU"
        )
    if s == "noop":
        return (
            f"{record['reads_per_group']} reads + {record['writes_per_group']} writes per group "
            f"({record['foreign']} foreign); {record['wall_s']} s wall, {record['cpu_s']} s CPU"
        )
    if s == "churn":
        return (
            f"{record['affected']} {record['unit']}s: {record['register_per_group']} reg + "
            f"{record['deregister_per_group']} dereg + {record['reads_per_group']} reads per {record['unit']}; "
            f"{record['mutating']} mutating"
        )
    if s == "restart":
        return (
            f"all reconciled after {record['seconds_to_all_reconciled']} s (synced {record['seconds_to_synced']} s); "
            f"{record['mutating']} mutating, {record['reads_per_group']} reads/group"
        )
    if s == "startup":
        return (
            f"{record['command']}: median {record['median_wall_s']} s wall, {record['median_cpu_s']} s CPU "
            f"over {record['runs']} runs (python alone {record['python_wall_s']} s); {record['modules']} modules"
        )
    if s == "footprint":
        return (
            f"{record['endpoints']} endpoints: peak RSS {record['peak_rss_mb']} MB; "
            f"{record['cpu_ms_per_noop_reconcile']} ms CPU per no-op reconcile"
        )
    return ""


def print_table(records: list[dict[str, Any]], elapsed: float) -> None:
    console = Console(width=200)
    table = Table(title=f"lbctl benchmark (embedded emulators, real controller; {elapsed:.0f} s)")
    for column in ("provider", "scenario", "Ingresses", "figures", "target", "verdict"):
        table.add_column(column, overflow="fold")
    for record in records:
        target, ok = verdict(record)
        style = {"met": "green", "NOT met": "red"}.get(ok, "")
        table.add_row(
            record["provider"],
            record["scenario"],
            str(record.get("ingresses", record.get("services", record.get("routes", "")))),
            figures(record),
            target,
            f"[{style}]{ok}[/]" if style else ok,
        )
    console.print(table)
    for record in records:
        if record.get("note"):
            console.print(f"[yellow]note[/] ({record['provider']} {record['scenario']}): {record['note']}")

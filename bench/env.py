"""One provider's benchmark environment: emulators (own process), the account/project set-up, the workload
in the Kubernetes emulator, and real ControllerProcesses observed through `on_converged`."""

from __future__ import annotations

import logging
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from bench.clouds import CloudHost, CloudUrls
from bench.workload import ClusterWriter, Workload
from emulators.aws import DEMO_KEYS, add_aws_instances, create_aws_account
from emulators.gce.project import create_gcp_project, create_subnetworks
from lbctl.cloudcalls import CallStats
from lbctl.kube.controller import ControllerConfig
from lbctl.kube.run import ControllerProcess, RunOptions, kube_client
from lbctl.provider import ConvergeResult, ProviderConfig

CLUSTER = "bench"
REGION = "us-east-1"
AWS_ZONES = ("us-east-1a", "us-east-1b")
GCP_PROJECT = "lbctl-bench"
GCP_ZONES = ("us-central1-a", "us-central1-b")
# Emulators answer at once: no client-side rate limit, short retry waits (real clouds: the defaults).
FAST_AWS = {
    "rate_limits": {"": 100000.0},
    "retry_initial_wait": 0.01,
    "retry_max_wait": 0.05,
    "delete_retry_seconds": 0.5,
    **DEMO_KEYS,
}
WORKERS = 4


@dataclass
class Counts:
    """Calls made between two marks of a CallStats."""

    calls: dict[str, int]

    def total(self, mutating: bool | None = None) -> int:
        from lbctl.cloudcalls import is_mutating

        return sum(
            n for k, n in self.calls.items() if mutating is None or is_mutating(k.split(":")[1]) == mutating
        )

    def of(self, *operations: str) -> int:
        return sum(n for k, n in self.calls.items() if k.split(":")[1] in operations)


@dataclass
class Mark:
    """A point in time to measure from: call counts, wall clock, CPU, converge results seen so far."""

    stats: dict[str, int]
    wall: float
    cpu: float
    seen: int


@dataclass
class Delta:
    counts: Counts
    wall: float
    cpu: float
    results: list[tuple[str, ConvergeResult]] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(1 for _, r in self.results for c in r.changes if c.action == "create")

    @property
    def stacks(self) -> set[str]:
        return {s for s, _ in self.results}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


class Env:
    """Context manager for one provider's environment."""

    def __init__(self, provider: str, ingresses: int, pods: int) -> None:
        self.provider = provider
        self.host = CloudHost(provider)
        self.urls: CloudUrls | None = None
        self.ingresses = ingresses
        self.pods = pods
        self.results: list[tuple[str, ConvergeResult]] = []
        self.arrivals: list[float] = []  # monotonic time of each result
        self.lock = threading.Lock()
        self.process: ControllerProcess | None = None
        self.provider_config: ProviderConfig | None = None
        self.aws_account: Any = None

    # ------------------------------------------------------------------ set-up

    def __enter__(self) -> Env:
        logging.getLogger("lbctl").setLevel(logging.ERROR)
        self.urls = self.host.__enter__()
        if self.provider == "aws":
            account = create_aws_account(self.urls.cloud, REGION, CLUSTER, AWS_ZONES)
            instances = add_aws_instances(account, {"node-a": AWS_ZONES[0], "node-b": AWS_ZONES[1]})
            nodes = {
                name: (f"aws:///{zone}/{instances[name]}", zone)
                for name, zone in zip(instances, AWS_ZONES, strict=True)
            }
            self.aws_account = account
            self.provider_config = ProviderConfig(
                cluster_name=CLUSTER,
                endpoint_url=self.urls.cloud,
                options={"region": REGION, "vpc_id": account.vpc_id, **FAST_AWS},
            )
        else:
            names = {"gke-node-a": GCP_ZONES[0], "gke-node-b": GCP_ZONES[1]}
            create_gcp_project(self.urls.cloud, GCP_PROJECT, names, "bench-ip")
            create_subnetworks(self.urls.cloud, GCP_PROJECT, GCP_ZONES[0].rsplit("-", 1)[0])  # internal L4s
            nodes = {name: (f"gce://{GCP_PROJECT}/{zone}/{name}", zone) for name, zone in names.items()}
            self.provider_config = ProviderConfig(
                cluster_name=CLUSTER,
                endpoint_url=self.urls.cloud,
                options={"project": GCP_PROJECT, "zones": list(GCP_ZONES)},
            )
        self.api = kube_client(self.urls.kube, token=self.urls.kube_token)
        self.workload = Workload(self.provider, self.ingresses, self.pods, nodes)
        self.writer = ClusterWriter(self.api, self.workload)
        self.writer.create_nodes()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_controller()
        self.host.__exit__(*exc)

    # ------------------------------------------------------------------ controller

    def start_controller(self) -> ControllerProcess:
        return self.new_controller().start()

    def new_controller(self) -> ControllerProcess:
        """A ControllerProcess observed by this env, not started yet (`self.process`)."""
        assert self.urls is not None and self.provider_config is not None
        process = ControllerProcess(
            RunOptions(
                controller=ControllerConfig(
                    provider=self.provider,
                    cluster_name=CLUSTER,
                    workers=WORKERS,
                    watch_timeout=60,
                    base_retry_delay=0.05,
                    max_retry_delay=2.0,
                    sync_period=3600,
                ),
                provider=self.provider_config,
                kube_api_url=self.urls.kube,
                kube_api_token=self.urls.kube_token,
                metrics_addr=None,
                health_addr=None,
                drain_seconds=30,
            )
        )
        process.controller.on_converged.append(self._observe)
        self.process = process
        return process

    def stop_controller(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def _observe(self, stack: str, result: ConvergeResult) -> None:
        with self.lock:
            self.results.append((stack, result))
            self.arrivals.append(time.monotonic())

    def first_pass_seconds(self, mark: Mark, stacks: set[str], start: float) -> float:
        """Seconds from `start` until every stack in `stacks` had been reconciled once after `mark`."""
        seen: set[str] = set()
        with self.lock:
            for (stack, _), at in zip(self.results[mark.seen :], self.arrivals[mark.seen :], strict=True):
                seen.add(stack)
                if stacks <= seen:
                    return at - start
        return float("nan")

    # ------------------------------------------------------------------ measuring

    @property
    def stats(self) -> CallStats:
        """The running controller's call counts (a restarted controller counts from zero)."""
        assert self.process is not None
        return self.process.stats

    def mark(self) -> Mark:
        with self.lock:
            seen = len(self.results)
        return Mark(self.stats.snapshot(), time.monotonic(), cpu_seconds(), seen)

    def since(self, mark: Mark) -> Delta:
        now = self.stats.snapshot()
        counts = Counts({k: n - mark.stats.get(k, 0) for k, n in now.items() if n - mark.stats.get(k, 0)})
        with self.lock:
            results = list(self.results[mark.seen :])
        return Delta(counts, time.monotonic() - mark.wall, cpu_seconds() - mark.cpu, results)

    def wait(
        self,
        mark: Mark,
        stacks: set[str],
        timeout: float,
        what: str,
        done: Callable[[list[tuple[str, ConvergeResult]]], bool] | None = None,
    ) -> None:
        """Until every stack in `stacks` converged (with an address) since `mark`, and the queue is idle."""
        deadline = time.monotonic() + timeout
        idle_since: float | None = None
        while time.monotonic() < deadline:
            with self.lock:
                results = self.results[mark.seen :]
                have = {s for s, r in results if r.address}
            complete = stacks <= have and (done is None or done(results))
            if complete and self._idle():
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since >= 0.3:
                    return
            else:
                idle_since = None
            time.sleep(0.02)
        missing = sorted(stacks - have)
        raise TimeoutError(
            f"{what}: {len(missing)} stack(s) not converged within {timeout:.0f}s, e.g. {missing[:3]}"
        )

    def _idle(self) -> bool:
        assert self.process is not None
        controller = self.process.controller
        return controller.queue.depth == 0 and controller._in_flight == 0

    def all_stacks(self, count: int | None = None) -> set[str]:
        return {self.workload.stack(i) for i in range(count if count is not None else self.ingresses)}

    # ------------------------------------------------------------------ foreign resources

    def create_foreign(self, count: int) -> int:
        """`count` load balancers / target groups (AWS) or backend services / URL maps (GCP) that are not
        ours: half tagged/named for another cluster, half untagged. Returns how many were made."""
        if count <= 0:
            return 0
        if self.provider == "aws":
            return self._foreign_aws(count)
        return self._foreign_gcp(count)

    def _foreign_aws(self, count: int) -> int:
        account = self.aws_account
        elbv2 = boto3.client("elbv2", endpoint_url=account.endpoint_url, region_name=REGION, **DEMO_KEYS)
        subnets = list(account.public_subnets.values())
        other = [
            {"Key": "lbctl.io/cluster", "Value": "another-cluster"},
            {"Key": "lbctl.io/stack", "Value": "default/theirs"},
        ]
        for k in range(count):
            tags = other if k % 2 == 0 else []
            if k % 4 < 2:
                elbv2.create_load_balancer(
                    Name=f"foreign-lb-{k}",
                    Subnets=subnets,
                    Type="application",
                    **({"Tags": tags} if tags else {}),
                )
            else:
                elbv2.create_target_group(
                    Name=f"foreign-tg-{k}",
                    Protocol="HTTP",
                    Port=80,
                    VpcId=account.vpc_id,
                    TargetType="ip",
                    **({"Tags": tags} if tags else {}),
                )
        return count

    def _foreign_gcp(self, count: int) -> int:
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import compute_v1

        from providers.gcp import naming

        assert self.urls is not None
        options: dict[str, Any] = {
            "client_options": {"api_endpoint": self.urls.cloud},
            "credentials": AnonymousCredentials(),
            "transport": "rest",
        }
        checks = compute_v1.HealthChecksClient(**options)
        services = compute_v1.BackendServicesClient(**options)
        maps = compute_v1.UrlMapsClient(**options)
        ref = f"projects/{GCP_PROJECT}/global"
        checks.insert(
            project=GCP_PROJECT,
            health_check_resource=compute_v1.HealthCheck(
                name="foreign-hc", type_="HTTP", http_health_check=compute_v1.HTTPHealthCheck(port=80)
            ),
        )
        made_services: list[str] = []
        for k in range(count):
            theirs = k % 2 == 0
            if k % 4 < 2 or not made_services:
                name = (
                    naming.resource_name(naming.BACKEND_SERVICE, "another-cluster", ["theirs", str(k)], k)
                    if theirs
                    else f"foreign-be-{k}"
                )
                description = (
                    naming.description("another-cluster", "default/theirs", "BackendService")
                    if theirs
                    else ""
                )
                services.insert(
                    project=GCP_PROJECT,
                    backend_service_resource=compute_v1.BackendService(
                        name=name, description=description, health_checks=[f"{ref}/healthChecks/foreign-hc"]
                    ),
                )
                made_services.append(name)
            else:
                name = (
                    naming.resource_name(naming.URL_MAP, "another-cluster", ["theirs", str(k)], k)
                    if theirs
                    else f"foreign-um-{k}"
                )
                description = (
                    naming.description("another-cluster", "default/theirs", "UrlMap") if theirs else ""
                )
                maps.insert(
                    project=GCP_PROJECT,
                    url_map_resource=compute_v1.UrlMap(
                        name=name,
                        description=description,
                        default_service=f"{ref}/backendServices/{made_services[-1]}",
                    ),
                )
        return count

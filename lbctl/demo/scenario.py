"""The demo scenario: the real controller (`lbctl run` code) against embedded local clouds.

Ingress seen → cloud resources created (each named) → status address set → console view →
scale a deployment (targets change) → delete the Ingress → nothing of ours left.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import kubernetes
from rich.console import Console
from rich.markup import escape

from lbctl.demo.workloads import NAMESPACE, App, Cluster
from lbctl.kube.controller import ControllerConfig
from lbctl.kube.events import FINALIZER
from lbctl.kube.run import ControllerProcess, RunOptions
from lbctl.model.annotations import GLOBAL_STATIC_IP, HEALTHCHECK_PATH, SCHEME, TARGET_TYPE
from lbctl.provider import ConvergeResult, ProviderConfig

if TYPE_CHECKING:
    from emulators.kube import KubeEmulator
    from lbctl.demo.clouds import LocalClouds

CLUSTER = "demo"
INGRESS = "shop"


@dataclass
class DemoTarget:
    """What one provider's part of the demo needs: account set-up done, how to reach it, the example."""

    provider: str
    provider_config: ProviderConfig
    nodes: dict[str, tuple[str, str]]  # node → (providerID, zone)
    apps: list[App]
    ingress: dict[str, Any]
    hints: list[str] = field(
        default_factory=list
    )  # how to point clients at the emulator with --keep; KUBECONFIG
    # in a hint stands for the path of the kubeconfig written then
    default_backend: str | None = None
    static_ip: tuple[str, str] | None = None  # (name, address) the Ingress must end up on
    pod_cidrs: dict[str, str] = field(
        default_factory=dict
    )  # node → pod range (in the VPC on AWS, as its CNI)


def _paths(apps: list[App]) -> list[dict[str, Any]]:
    return [
        {
            "path": f"/{app.name}",
            "pathType": "Prefix",
            "backend": {"service": {"name": app.name, "port": {"name": "http"}}},
        }
        for app in apps
    ]


KUBECONFIG = "<kubeconfig>"  # in hints: replaced by the path of the kubeconfig written for --keep


def aws_target(clouds: LocalClouds) -> DemoTarget:
    from emulators.aws import DEMO_KEYS, add_aws_instances, create_aws_account

    region, zones = "us-east-1", ("us-east-1a", "us-east-1b")
    assert clouds.aws_url is not None  # the moto server is started with the clouds
    account = create_aws_account(clouds.aws_url, region, CLUSTER, zones)
    instances = add_aws_instances(account, {"node-a": zones[0], "node-b": zones[1]})
    nodes = {
        name: (f"aws:///{zone}/{instances[name]}", zone) for name, zone in zip(instances, zones, strict=True)
    }
    apps = [App("users", 30080, 2), App("products", 30081, 2)]
    ingress = {
        "metadata": {
            "name": INGRESS,
            "namespace": NAMESPACE,
            "annotations": {
                SCHEME: "internet-facing",
                TARGET_TYPE: "ip",
                HEALTHCHECK_PATH: "/healthz",
            },
        },
        "spec": {"ingressClassName": "alb", "rules": [{"http": {"paths": _paths(apps)}}]},
    }
    config = ProviderConfig(
        cluster_name=CLUSTER,
        endpoint_url=clouds.aws_url,
        options={"region": region, "vpc_id": account.vpc_id, **DEMO_KEYS},
    )
    hints = [
        f"AWS (moto) endpoint: {clouds.aws_url} — e.g. AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
        f"aws --region {region} --endpoint-url {clouds.aws_url} elbv2 describe-load-balancers",
        f"lbctl describe ingress {NAMESPACE}/{INGRESS} --provider aws --cluster-name {CLUSTER} "
        f"--endpoint-url {clouds.aws_url} --kubeconfig {KUBECONFIG}  (with AWS_ACCESS_KEY_ID/SECRET set as above)",
    ]
    pod_cidrs = {"node-a": "10.0.0.128/25", "node-b": "10.0.1.128/25"}  # in the nodes' subnets
    return DemoTarget("aws", config, nodes, apps, ingress, hints, pod_cidrs=pod_cidrs)


def gcp_target(clouds: LocalClouds) -> DemoTarget:
    from emulators.gce.project import create_gcp_project

    project_id, zones = "lbctl-demo", ("us-central1-a", "us-central1-b")
    nodes = {"gke-node-a": zones[0], "gke-node-b": zones[1]}
    project = create_gcp_project(clouds.compute.url, project_id, nodes, "shop-ip")
    apps = [App("users", 30090, 2, neg=True), App("products", 30091, 2, neg=True)]
    ingress = {
        "metadata": {
            "name": INGRESS,
            "namespace": NAMESPACE,
            "annotations": {GLOBAL_STATIC_IP: project.static_ip_name},
        },
        "spec": {
            "ingressClassName": "gce",
            "defaultBackend": {"service": {"name": apps[0].name, "port": {"name": "http"}}},
            "rules": [{"http": {"paths": _paths(apps)}}],
        },
    }
    config = ProviderConfig(
        cluster_name=CLUSTER,
        endpoint_url=clouds.compute.url,
        options={"project": project_id, "zones": list(zones)},
    )
    hints = [
        f"Compute emulator: {clouds.compute.url} — e.g. curl {clouds.compute.url}/compute/v1/projects/{project_id}"
        "/global/urlMaps",
        f"lbctl describe ingress {NAMESPACE}/{INGRESS} --provider gcp --cluster-name {CLUSTER} "
        f"--gcp-project {project_id} --endpoint-url {clouds.compute.url} --kubeconfig {KUBECONFIG}",
    ]
    node_ids = {node: (f"gce://{project_id}/{zone}/{node}", zone) for node, zone in nodes.items()}
    assert project.static_ip_name is not None and project.static_ip is not None  # reserved above
    return DemoTarget(
        "gcp",
        config,
        node_ids,
        apps,
        ingress,
        hints,
        static_ip=(project.static_ip_name, project.static_ip),
        pod_cidrs={"gke-node-a": "10.8.0.0/24", "gke-node-b": "10.8.1.0/24"},
    )


SETUPS: dict[str, Callable[[LocalClouds], DemoTarget]] = {"aws": aws_target, "gcp": gcp_target}


def targets_for(clouds: LocalClouds, providers: tuple[str, ...]) -> list[DemoTarget]:
    """Set up each provider's local account/project and return what its part of the demo needs."""
    return [SETUPS[name](clouds) for name in providers]


@dataclass
class Step:
    console: Console
    started: float = field(default_factory=time.monotonic)

    def head(self, text: str) -> None:
        self.console.print(
            f"\n[bold cyan]==[/] [bold]{text}[/]  [dim]({time.monotonic() - self.started:.1f}s)[/]"
        )

    def ok(self, text: str) -> None:
        self.console.print(f"   [green]✓[/] {text}")

    def info(self, text: str, wrap: bool = True) -> None:
        """One detail line; commands are printed unwrapped so they can be copied whole."""
        self.console.print(f"   {text}", soft_wrap=not wrap)


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something truthy (returned); TimeoutError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def _ingress_or_none(cluster: Cluster) -> Any:
    try:
        return cluster.networking.read_namespaced_ingress(INGRESS, NAMESPACE)
    except kubernetes.client.ApiException as err:
        if err.status == 404:
            return None
        raise


def _targets(view: dict[str, Any], app: str) -> list[str]:
    for backend in view["backends"]:
        if app in backend["name"]:
            return sorted(f"{t['id']}:{t.get('port')}" for t in backend["targets"])
    return []


def demo_controller(
    kube: KubeEmulator,
    provider: str,
    config: ProviderConfig,
    default_backend: str | None,
    claim_unclassed_services: bool = False,
) -> ControllerProcess:
    """The real controller (`lbctl run` code) both demos run against the embedded cluster, not yet started."""
    return ControllerProcess(
        RunOptions(
            controller=ControllerConfig(
                provider=provider,
                cluster_name=CLUSTER,
                workers=2,
                watch_timeout=30,
                base_retry_delay=0.2,
                max_retry_delay=5.0,
                default_backend=default_backend,
                claim_unclassed_services=claim_unclassed_services,
            ),
            provider=config,
            kube_api_url=kube.url,
            kube_api_token=kube.token,
            metrics_addr=None,
            health_addr=None,
        )
    )


def run_target(clouds: LocalClouds, target: DemoTarget, step: Step, keep: bool) -> None:
    """The whole scenario for one provider."""
    from lbctl.cli.describe import print_view

    kube = clouds.kubes[target.provider]
    api = kube.api_client()
    cluster = Cluster(api, target.nodes, target.pod_cidrs)
    step.head(
        f"{target.provider.upper()}: Applying the example app: {len(target.nodes)} nodes, "
        + ", ".join(f"{a.name} ({a.replicas} pods)" for a in target.apps)
    )
    if not cluster.core.list_node().items:
        cluster.create_nodes()
    for app in target.apps:
        cluster.deploy(app)
    step.ok(
        "nodes, Services (NodePort) and Deployments created; the cluster placed the pods on the nodes and "
        "filled the EndpointSlices"
    )

    process = demo_controller(kube, target.provider, target.provider_config, target.default_backend)
    changes: list[tuple[str, ConvergeResult]] = []
    lock = threading.Lock()

    def observe(stack: str, result: ConvergeResult) -> None:
        with lock:
            changes.append((stack, result))
            for change in result.changes:
                step.info(
                    f"[green]{change.action:>7}[/] {escape(change.kind)} [bold]{escape(change.name)}[/]"
                    + (f" [dim]{escape(change.detail)}[/]" if change.detail else "")
                )

    process.controller.on_converged.append(observe)
    step.head(
        f"{target.provider.upper()}: Starting the controller (lbctl run --provider {target.provider} "
        f"--cluster-name {CLUSTER})"
    )
    process.start()
    step.ok("informer caches synced; this replica reconciles")
    try:
        step.head(
            f"{target.provider.upper()}: Creating Ingress {NAMESPACE}/{INGRESS}: "
            + ", ".join(f"/{a.name} → {a.name}" for a in target.apps)
        )
        # The client serializes a plain dict body as it is; its hint names only the model class.
        cluster.networking.create_namespaced_ingress(NAMESPACE, target.ingress)  # type: ignore[arg-type]
        wait_for(
            lambda: FINALIZER in (_ingress_or_none(cluster).metadata.finalizers or []), 30, "the finalizer"
        )
        step.ok(f"Ingress seen by the controller: finalizer {FINALIZER} added before any cloud write")
        address = wait_for(
            lambda: _ingress_or_none(cluster).status.load_balancer.ingress, 60, "the status address"
        )
        entry = address[0].hostname or address[0].ip
        step.ok(f"status.loadBalancer.ingress set: [bold]{escape(entry)}[/]")
        if target.static_ip is not None:
            name, reserved = target.static_ip
            if entry != reserved:
                raise RuntimeError(f"the Ingress got {entry}, not the reserved static IP {name} ({reserved})")
            step.ok(f"that is the reserved static IP {name}, which lbctl uses and never deletes")

        step.head(
            f"{target.provider.upper()}: Console view: lbctl describe ingress {NAMESPACE}/{INGRESS} "
            f"--provider {target.provider}"
        )
        view = process.provider.describe(f"{NAMESPACE}/{INGRESS}")
        view["drift"], view["note"] = [], "in sync with the Ingress (second reconcile made no change)"
        print_view(view)

        app = target.apps[0]
        before = _targets(view, app.name)
        step.head(
            f"{target.provider.upper()}: Scaling {app.name} from {app.replicas} to {app.replicas + 1} pods"
        )
        cluster.scale(app, app.replicas + 1)
        after = wait_for(
            lambda: (
                (t := _targets(process.provider.describe(f"{NAMESPACE}/{INGRESS}"), app.name)) != before and t
            ),
            30,
            "the new target",
        )
        step.ok(f"targets of {app.name}: {', '.join(before)} → {', '.join(after)}")

        if keep:
            return
        step.head(f"{target.provider.upper()}: Deleting Ingress {NAMESPACE}/{INGRESS}")
        cluster.networking.delete_namespaced_ingress(INGRESS, NAMESPACE)
        wait_for(lambda: _ingress_or_none(cluster) is None, 60, "the Ingress to go")
        step.ok("cloud resources deleted, then the finalizer removed; the Ingress is gone")
        left = process.provider.list_stacks()
        view = process.provider.describe(f"{NAMESPACE}/{INGRESS}")
        remaining = sum(len(view[k]) for k in ("load_balancers", "backends", "others"))
        if left or remaining:
            raise RuntimeError(f"resources of ours are left: stacks {left}, {remaining} resources")
        step.ok(
            f"nothing of ours is left in {target.provider} (0 stacks, 0 resources tagged for cluster {CLUSTER})"
        )
    finally:
        if not keep:
            process.stop()

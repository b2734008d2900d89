"""`lbctl demo -f FILES`: the user's own manifests on the embedded clouds and cluster.

Read the files (legacy Ingresses converted on the fly) → name what they reference but lack (or create
stand-ins) → start the clouds, the nodes and their VMs, GKE's default backend, reserved static IPs →
the real controller → the files applied as `kubectl apply` would → each Ingress converged, its console
view → delete → nothing of ours left (or, with --keep, how to reach everything).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shlex
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import kubernetes
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ResourceNotFoundError
from rich.markup import escape

from lbctl.cli.convert import TARGET_VERSION, convert_document, ingress_name, is_legacy_ingress
from lbctl.cli.manifests import LoadResult, _documents, _expand, _read
from lbctl.demo import gke
from lbctl.demo.clouds import LocalClouds
from lbctl.demo.crds import GATEWAY_API_CRDS, gateway_api_available
from lbctl.demo.missing import (
    Missing,
    find_missing,
    stand_in_app,
    stand_in_namespace,
    stand_in_secret,
)
from lbctl.demo.scenario import CLUSTER, Step, demo_controller, wait_for
from lbctl.demo.workloads import Cluster
from lbctl.model.annotations import AWS_SVC, GLOBAL_STATIC_IP, INGRESS_CLASS, MANAGED_CERTIFICATES, REGISTRY
from lbctl.model.builder import BuildConfig, build
from lbctl.model.gateway import Gateway, GatewayClass
from lbctl.model.gateway_build import build_gateways
from lbctl.model.kinds import MANAGED_CERTIFICATE
from lbctl.model.objects import Ingress, Service
from lbctl.model.problems import Problem, Severity, SpecError
from lbctl.model.services import build_service, is_served, l4_profile, service_stack
from lbctl.model.snapshot import GATEWAY_KINDS as GATEWAY_API_KINDS
from lbctl.model.snapshot import POLICY_KINDS, ClusterSnapshot
from lbctl.provider import spec_check

AWS_REGION, AWS_ZONES = "us-east-1", ("us-east-1a", "us-east-1b")
GCP_PROJECT, GCP_ZONES = "lbctl-demo", ("us-central1-a", "us-central1-b")
ALB_CONTROLLER = "ingress.k8s.aws/alb"
EXIT_FAILED, EXIT_INPUT = 1, 2


class DemoInputError(Exception):
    """The files cannot be tried as they are; the message lists each problem with its fix."""


@dataclass
class Manifest:
    """One object of the files, in file order, as it will be applied."""

    obj: dict[str, Any]
    source: str  # "app.yaml#2"

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind"))

    @property
    def name(self) -> str:
        return str((self.obj.get("metadata") or {}).get("name") or "")

    @property
    def namespace(self) -> str:
        return str((self.obj.get("metadata") or {}).get("namespace") or "default")

    def title(self, namespaced: bool = True) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if namespaced else f"{self.kind} {self.name}"


@dataclass
class Plan:
    """What the demo will do with the files, decided before any emulator starts."""

    manifests: list[Manifest]
    provider: str
    served: list[Ingress]  # the Ingresses the provider's controller serves
    stacks: dict[str, str]  # Ingress ns/name → its load balancer stack (Ingress group)
    notes: list[str] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    static_ips: dict[str, str] = field(default_factory=dict)  # name → Ingress that names it
    gateways: dict[str, str] = field(default_factory=dict)  # Gateway ns/name → its stack (Gateway:ns/name)
    attached: dict[str, dict[str, int]] = field(default_factory=dict)  # Gateway → listener → attachedRoutes
    services: dict[str, str] = field(default_factory=dict)  # Service (type LoadBalancer) ns/name → its stack


# --------------------------------------------------------------------------- reading the files


def read_files(files: tuple[str, ...]) -> tuple[list[Manifest], list[str]]:
    """Every object of the files in order, legacy Ingresses converted (one note each); DemoInputError naming
    the file and field when a file cannot be read, is not YAML, or holds something that is not an object."""
    problems = LoadResult()
    manifests: list[Manifest] = []
    notes: list[str] = []
    for name, path in _expand(files):
        text = _read(name, path, problems)
        if text is None:
            continue
        for index, doc in _documents(name, text, problems):
            _collect(doc, f"{name}#{index}", manifests, notes, problems.problems)
    if problems.problems:
        raise DemoInputError("\n".join(str(p) for p in problems.problems))
    if not manifests:
        raise DemoInputError(f"no Kubernetes object in {', '.join(files)}")
    return manifests, notes


def _collect(doc: Any, source: str, out: list[Manifest], notes: list[str], problems: list[Problem]) -> None:
    if doc is None:
        return
    if not isinstance(doc, dict):
        problems.append(
            Problem(
                Severity.ERROR,
                "document",
                "(root)",
                f"must be a Kubernetes object, got {type(doc).__name__}",
                source,
            )
        )
        return
    if isinstance(doc.get("items"), list) and str(doc.get("kind", "")).endswith("List"):
        for i, item in enumerate(doc["items"]):
            _collect(item, f"{source}.items[{i}]", out, notes, problems)
        return
    for required in ("apiVersion", "kind"):
        if not isinstance(doc.get(required), str) or not doc[required]:
            problems.append(Problem(Severity.ERROR, "object", required, "is required (a string)", source))
            return
    if not isinstance(doc.get("metadata"), dict) or not doc["metadata"].get("name"):
        problems.append(
            Problem(
                Severity.ERROR,
                doc["kind"],
                "metadata.name",
                "is required (kubectl apply needs a name)",
                source,
            )
        )
        return
    if is_legacy_ingress(doc):
        version = doc["apiVersion"]
        try:
            convert_document(doc, source, [])
        except SpecError as err:
            problems.append(err.problem)
            return
        notes.append(
            f"Ingress {ingress_name(doc)} ({source}) is {version}, which current clusters refuse: applied "
            f"as {TARGET_VERSION} (`lbctl convert -f FILE` prints the converted manifest)"
        )
    out.append(Manifest(doc, source))


def _class_of(ingress: Ingress) -> str:
    return ingress.class_name or ingress.annotations.get(INGRESS_CLASS) or ""


def pick_provider(ingresses: list[Ingress], classes: dict[str, str]) -> str:
    """alb (or a class of the ALB controller) → aws; gce or no class → gcp. DemoInputError when the files need
    both clouds (a cluster runs on one)."""
    wanted: dict[str, list[str]] = {}
    for ing in ingresses:
        cls = _class_of(ing)
        provider = "aws" if cls == "alb" or classes.get(cls) == ALB_CONTROLLER else "gcp"
        wanted.setdefault(provider, []).append(f"{ing.namespace}/{ing.name} ({cls or 'no class'})")
    if len(wanted) > 1:
        listed = "; ".join(f"{p}: {', '.join(names)}" for p, names in sorted(wanted.items()))
        raise DemoInputError(
            f"the files have Ingresses for both clouds ({listed}): choose one with --provider "
            "aws or --provider gcp"
        )
    return next(iter(wanted), "gcp")


def plan_files(files: tuple[str, ...], provider: str | None, create_missing: bool) -> Plan:
    """Read and check the files; DemoInputError lists what stops them (each with its fix)."""
    manifests, notes = read_files(files)
    snapshot = ClusterSnapshot()
    problems: list[str] = []
    ingresses: list[Ingress] = []
    classes: dict[str, str] = {}
    for m in manifests:
        try:
            if m.kind == "Ingress":
                snapshot.add(m.obj, m.source)
                ingresses.append(snapshot.ingresses[f"{m.namespace}/{m.name}"])
            elif m.kind == "IngressClass":
                classes[m.name] = str((m.obj.get("spec") or {}).get("controller") or "")
            elif m.kind in GATEWAY_API_KINDS + POLICY_KINDS or m.kind in ("Service", "Secret", "Namespace"):
                snapshot.add(m.obj, m.source)  # what the Gateways' routes reference, the L4 Services
        except SpecError as err:
            problems.append(str(err.problem))
    if problems:
        raise DemoInputError("\n".join(problems))
    gateways = snapshot.gateway_objects(Gateway)
    if gateways and not gateway_api_available():
        raise DemoInputError(
            "the files hold Gateway API objects, and the Gateway API CRDs the demo installs "
            f"({GATEWAY_API_CRDS}) are not beside this lbctl: run lbctl demo from a source checkout"
        )
    balanced = [s for s in snapshot.services.values() if s.type == "LoadBalancer"]
    if not ingresses and not gateways and not balanced:
        raise DemoInputError(
            f"no Ingress, no Gateway and no Service of type LoadBalancer in {', '.join(files)}: lbctl demo -f "
            "needs at least one"
        )
    if ingresses:
        chosen = provider or pick_provider(ingresses, classes)
    elif gateways:
        chosen = provider or _gateway_provider(snapshot)
    else:
        chosen = provider or _service_provider(balanced) or "gcp"
    services = _served_services(balanced, chosen, notes)
    config = {"cluster_default_backend": gke.DEFAULT_BACKEND} if chosen == "gcp" else {}
    build_config = BuildConfig.for_provider(chosen, **config)
    served_gateways, attached = _served_gateways(snapshot, build_config, notes) if gateways else ({}, {})
    if not ingresses:
        if not served_gateways and not services:
            raise DemoInputError(
                f"no Gateway in the files is served by lbctl --provider {chosen} (a GatewayClass with "
                f"controllerName {build_config.profile.gateway.controller_name}, in the files)"
            )
        return Plan(
            manifests, chosen, [], {}, notes, gateways=served_gateways, attached=attached, services=services
        )
    built = build(snapshot, build_config)
    members = {key for group in built.groups.values() for key in group.members}
    served = [i for i in ingresses if f"{i.namespace}/{i.name}" in members]
    for ing in ingresses:
        if ing not in served:
            notes.append(
                f"Ingress {ing.namespace}/{ing.name} has class {_class_of(ing) or '(none)'}, which lbctl "
                f"--provider {chosen} does not serve: it is applied and left alone"
            )
    if not served and not services:
        raise DemoInputError(
            f"no Ingress in the files is served by lbctl --provider {chosen} (classes: "
            f"{', '.join(sorted({_class_of(i) or '(none)' for i in ingresses}))})"
        )
    have = {(m.kind, m.namespace if m.kind != "Namespace" else "", m.name) for m in manifests}
    have |= {("Namespace", "", ns) for ns in ("default", "kube-system")}
    subnets = [f"public-{zone}" for zone in AWS_ZONES] + [f"private-{zone}" for zone in AWS_ZONES]
    missing = find_missing(served, have, chosen, subnets)
    blocking = [m for m in missing if not (create_missing and m.creatable)]
    if blocking:
        raise DemoInputError("\n".join(m.message() for m in blocking))
    static_ips = {}
    if chosen == "gcp":
        for ing in served:
            if ing.annotations.get(GLOBAL_STATIC_IP):
                static_ips[ing.annotations[GLOBAL_STATIC_IP]] = f"{ing.namespace}/{ing.name}"
    stacks = {member: key for key, group in built.groups.items() for member in group.members}
    return Plan(
        manifests, chosen, served, stacks, notes, missing, static_ips, served_gateways, attached, services
    )


def _service_provider(services: list[Service]) -> str | None:
    """The cloud the Services of type LoadBalancer ask for by class, else by annotations (None: none says)."""
    for cloud in ("aws", "gcp"):
        profile = l4_profile(cloud)
        if profile is not None and any(profile.claims(s, claim_unclassed=False) for s in services):
            return cloud
    for cloud, prefixes in (("aws", (AWS_SVC,)), ("gcp", ("networking.gke.io/", "cloud.google.com/"))):
        if any(key.startswith(prefixes) for s in services for key in s.annotations):
            return cloud
    return None


def _served_services(balanced: list[Service], provider: str, notes: list[str]) -> dict[str, str]:
    """The Services of type LoadBalancer lbctl serves on `provider` (ns/name → stack); one it refuses stops the
    demo (its problems named). Unclassed ones are served, as `lbctl run --claim-unclassed-services` would: the
    embedded cluster has no in-tree cloud provider to own them."""
    served: dict[str, str] = {}
    problems: list[str] = []
    for service in sorted(balanced, key=lambda s: (s.namespace, s.name)):
        key = f"{service.namespace}/{service.name}"
        if not is_served(service, provider, claim_unclassed=True):
            notes.append(
                f"Service {key} belongs to another controller (class {service.load_balancer_class}): it is "
                "applied and left alone"
            )
            continue
        outcome = build_service(service, provider)
        problems += [str(p) for p in outcome.problems if p.severity == Severity.ERROR]
        if not is_served(service, provider, claim_unclassed=False):
            notes.append(
                f"Service {key} has no class lbctl --provider {provider} claims by itself: served as with "
                "--claim-unclassed-services (the embedded cluster has no in-tree cloud provider)"
            )
        served[key] = service_stack(service.namespace, service.name)
    if problems:
        raise DemoInputError("\n".join(problems))
    return served


def _gateway_provider(snapshot: ClusterSnapshot) -> str:
    """The cloud whose controllerName the files' GatewayClasses carry (lbctl's, or the drop-in ones)."""
    from lbctl.model.builder import PROFILES

    for gateway_class in snapshot.gateway_objects(GatewayClass):
        for name, profile in sorted(PROFILES.items()):
            features = profile.gateway
            if gateway_class.controller_name == features.controller_name:
                return name
    shown = ", ".join(f"{p.gateway.controller_name} ({n})" for n, p in sorted(PROFILES.items()))
    raise DemoInputError(
        "no GatewayClass in the files has a controllerName lbctl serves; add one with controllerName "
        f"{shown}, or choose the cloud with --provider"
    )


def _served_gateways(
    snapshot: ClusterSnapshot, config: BuildConfig, notes: list[str]
) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """The Gateways lbctl builds a load balancer for (stack by Gateway ns/name) and the routes each listener
    takes (its attachedRoutes); each other Gateway is a note."""
    offline = dataclasses.replace(
        config, assume_missing=True
    )  # a Service the files lack: its routes answer 500
    built = build_gateways(snapshot, offline, offline.gateway_controller_names, spec_check(offline.provider))
    served, attached = {}, {}
    for stack, outcome in built.gateways.items():
        if outcome.spec is not None:
            served[outcome.gateway.key] = stack
            attached[outcome.gateway.key] = {e["name"]: e["attachedRoutes"] for e in outcome.listeners}
        else:
            notes.append(
                f"Gateway {outcome.gateway.key} is not accepted ({outcome.accepted.reason}: "
                f"{outcome.accepted.message}): it is applied and left alone"
            )
    return served, attached


# --------------------------------------------------------------------------- applying, as kubectl apply does


def _api_message(err: kubernetes.client.ApiException) -> str:
    try:
        return str(json.loads(err.body or "").get("message") or err.reason)
    except (TypeError, ValueError):
        return str(err.reason)


class Applier:
    """Create-or-update objects through the official client, as `kubectl apply` does on a fresh cluster."""

    def __init__(self, api: kubernetes.client.ApiClient) -> None:
        self.dynamic = DynamicClient(api)

    def resource(self, obj: dict[str, Any]) -> Any:
        return self.dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])

    def apply(self, manifest: Manifest) -> str:
        """'created' or 'configured'; DemoInputError with the API server's answer when it refuses the object."""
        try:
            resource = self.resource(manifest.obj)
        except ResourceNotFoundError:
            return "skipped"
        namespace = manifest.namespace if resource.namespaced else None
        try:
            resource.create(body=manifest.obj, namespace=namespace)
            return "created"
        except kubernetes.client.ApiException as err:
            if err.status != 409:
                raise DemoInputError(
                    f"{manifest.source}: {manifest.title(resource.namespaced)}: the API server "
                    f"refused it ({err.status}): {_api_message(err)}"
                ) from None
        resource.patch(
            body=manifest.obj,
            name=manifest.name,
            namespace=namespace,
            content_type="application/merge-patch+json",
        )
        return "configured"

    def delete(self, manifest: Manifest) -> Callable[[], bool] | None:
        """Delete the object; returns a check that it is gone (finalizers done), or None if it was not there."""
        try:
            resource = self.resource(manifest.obj)
        except ResourceNotFoundError:
            return None
        namespace = manifest.namespace if resource.namespaced else None
        try:
            resource.delete(name=manifest.name, namespace=namespace)
        except kubernetes.client.ApiException as err:
            if err.status == 404:
                return None
            raise

        def gone() -> bool:
            try:
                resource.get(name=manifest.name, namespace=namespace)
            except kubernetes.client.ApiException as err:
                if err.status == 404:
                    return True
                raise
            return False

        return gone


# --------------------------------------------------------------------------- the run


@dataclass
class Environment:
    """The cluster and cloud the files run on, and how to reach them."""

    provider: str
    kube_url: str
    provider_config: Any
    nodes: dict[str, tuple[str, str]]  # node → (providerID, zone)
    hints: list[str]
    reserved: dict[str, str] = field(default_factory=dict)  # static IP name → address
    default_backend: str | None = None
    pod_cidrs: dict[str, str] = field(
        default_factory=dict
    )  # node → pod range (in the VPC on AWS, as its CNI)


def _aws_environment(clouds: LocalClouds, plan: Plan, step: Step) -> Environment:
    from emulators.aws import DEMO_KEYS, add_aws_instances, create_aws_account
    from lbctl.provider import ProviderConfig

    assert clouds.aws_url is not None
    account = create_aws_account(clouds.aws_url, AWS_REGION, CLUSTER, AWS_ZONES)
    instances = add_aws_instances(account, {"node-a": AWS_ZONES[0], "node-b": AWS_ZONES[1]})
    nodes = {n: (f"aws:///{z}/{instances[n]}", z) for n, z in zip(instances, AWS_ZONES, strict=True)}
    step.ok(
        f"VPC {account.vpc_id} with public and internal subnets in {', '.join(AWS_ZONES)} (tagged for "
        f"discovery); EC2 instances {', '.join(instances.values())} for the nodes"
    )
    subnets = [entry for entry in plan.missing if entry.kind == "Subnet"]
    for index, entry in enumerate(subnets):
        zone = AWS_ZONES[index % len(AWS_ZONES)]  # in turn, so two named subnets span two AZs
        tags = [
            {"Key": "Name", "Value": entry.name},
            {"Key": f"kubernetes.io/cluster/{CLUSTER}", "Value": "owned"},
        ]
        subnet = account.client("ec2").create_subnet(
            VpcId=account.vpc_id,
            CidrBlock=f"10.0.{200 + index}.0/24",
            AvailabilityZone=zone,
            TagSpecifications=[{"ResourceType": "subnet", "Tags": tags}],
        )["Subnet"]
        step.ok(
            f"created subnet {escape(entry.name)} ({subnet['SubnetId']}, {zone}) named by "
            f"{escape(entry.referenced_by)}"
        )
    config = ProviderConfig(
        cluster_name=CLUSTER,
        endpoint_url=clouds.aws_url,
        options={"region": AWS_REGION, "vpc_id": account.vpc_id, **DEMO_KEYS},
    )
    aws = f"AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --region {AWS_REGION} --endpoint-url {clouds.aws_url}"
    hints = [f"{aws} elbv2 describe-load-balancers", f"{aws} elbv2 describe-target-groups"]
    pod_cidrs = {"node-a": "10.0.0.128/25", "node-b": "10.0.1.128/25"}  # in the nodes' subnets
    return Environment("aws", clouds.kubes["aws"].url, config, nodes, hints, pod_cidrs=pod_cidrs)


def _gcp_environment(clouds: LocalClouds, plan: Plan, step: Step) -> Environment:
    from emulators.gce.project import create_gcp_project, reserve_global_address
    from lbctl.provider import ProviderConfig

    url = clouds.compute.url
    vms = {"gke-node-a": GCP_ZONES[0], "gke-node-b": GCP_ZONES[1]}
    create_gcp_project(url, GCP_PROJECT, vms, static_ip_name=None)
    step.ok(
        f"project {GCP_PROJECT}: VM instances {', '.join(f'{n} ({z})' for n, z in vms.items())} for the nodes"
    )
    reserved = {}
    for name, ingress in plan.static_ips.items():
        reserved[name] = reserve_global_address(url, GCP_PROJECT, name)
        step.ok(
            f"reserved global static IP [bold]{escape(name)}[/] = {reserved[name]} for Ingress {ingress} "
            f"(as `gcloud compute addresses create {name} --global` would)"
        )
    config = ProviderConfig(
        cluster_name=CLUSTER,
        endpoint_url=url,
        # the demo issues managed certificates at once: look again soon
        options={"project": GCP_PROJECT, "zones": list(GCP_ZONES), "certificate_poll_seconds": 1.0},
    )
    gcloud = (
        f"CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE={url}/compute/v1/ CLOUDSDK_AUTH_ACCESS_TOKEN=emulator "
        f"CLOUDSDK_CORE_PROJECT={GCP_PROJECT} gcloud compute"
    )
    hints = [
        f"{gcloud} url-maps list",
        f"{gcloud} forwarding-rules list --global",
        f"{gcloud} backend-services list --global",
    ]
    nodes = {n: (f"gce://{GCP_PROJECT}/{z}/{n}", z) for n, z in vms.items()}
    pod_cidrs = {"gke-node-a": "10.8.0.0/24", "gke-node-b": "10.8.1.0/24"}
    return Environment(
        "gcp", clouds.kubes["gcp"].url, config, nodes, hints, reserved, gke.DEFAULT_BACKEND, pod_cidrs
    )


def _stand_ins(plan: Plan) -> list[tuple[Manifest, str]]:
    """(object, why) for every missing object --create-missing makes, Namespaces first."""
    out: list[tuple[Manifest, str]] = []
    for entry in sorted(plan.missing, key=lambda m: m.kind != "Namespace"):
        why = f"for {entry.referenced_by}"
        if entry.kind == "Namespace":
            out.append((Manifest(stand_in_namespace(entry), "--create-missing"), why))
        elif entry.kind == "Service":
            out.extend((Manifest(obj, "--create-missing"), why) for obj in stand_in_app(entry))
        elif entry.kind == "Secret":
            out.append((Manifest(stand_in_secret(entry), "--create-missing"), f"self-signed, {why}"))
    return out


def _ingress(networking: Any, key: str) -> Any:
    namespace, name = key.split("/", 1)
    try:
        return networking.read_namespaced_ingress(name, namespace)
    except kubernetes.client.ApiException as err:
        if err.status == 404:
            return None
        raise


def _warnings_of(core: Any, key: str) -> list[str]:
    namespace, name = key.split("/", 1)
    events = core.list_namespaced_event(namespace, field_selector=f"involvedObject.name={name}").items
    return [f"{e.reason}: {e.message}" for e in events if e.type == "Warning"]


class _EventEcho:
    """Prints each new Warning Event of an Ingress while the demo waits on it (at most one API read a second);
    calling it returns None, so it can lead a wait_for predicate."""

    def __init__(self, core: Any, key: str, step: Step) -> None:
        self.core, self.key, self.step = core, key, step
        self.seen: set[str] = set()
        self.next_read = 0.0

    def __call__(self) -> None:
        if time.monotonic() < self.next_read:
            return None
        self.next_read = time.monotonic() + 1.0
        for warning in _warnings_of(self.core, self.key):
            if warning not in self.seen:
                self.seen.add(warning)
                self.step.info(f"[yellow]Warning Event[/] {escape(warning)}", wrap=False)
        return None


def _report_pods(cluster: Cluster, deployments: list[Manifest], step: Step, timeout: float = 30.0) -> None:
    """One line per Deployment once its pods are Ready (or how many are after `timeout`: the load balancer
    is built anyway, as on a cluster, and its targets follow the pods)."""

    def ready() -> dict[str, tuple[int, int]]:
        out = {}
        for m in deployments:
            status = cluster.apps.read_namespaced_deployment(m.name, m.namespace)
            have = status.status.ready_replicas if status.status else None
            out[m.title()] = (have or 0, status.spec.replicas or 0)
        return out

    counts: dict[str, tuple[int, int]] = {}

    def all_ready() -> bool:
        counts.update(ready())
        return all(have >= want for have, want in counts.values())

    with contextlib.suppress(TimeoutError):  # reported per Deployment below
        wait_for(all_ready, timeout, "the pods")
    for title, (have, want) in counts.items():
        mark = "[green]✓[/]" if have >= want else "[yellow]…[/]"
        late = (
            "" if have >= want else f" after {timeout:.0f}s (their readinessProbe decides; the demo goes on)"
        )
        step.info(f"{mark} {escape(title)}: {have}/{want} pods Ready{late}")


def _wait_converged(cluster: Cluster, key: str, step: Step, timeout: float) -> str:
    """Wait for the controller's finalizer, then the status address (returned), echoing Warning Events as they
    come; RuntimeError with the Ingress's Warning Events when it does not converge in time."""
    from lbctl.kube.events import FINALIZER

    watch = _EventEcho(cluster.core, key, step)
    try:

        def taken() -> bool:
            watch()
            return FINALIZER in (_ingress(cluster.networking, key).metadata.finalizers or [])

        def address() -> str | None:
            watch()
            return _address(cluster.networking, key)

        wait_for(taken, timeout, f"the controller to take Ingress {key}")
        step.ok(f"finalizer {FINALIZER} added before any cloud write")
        return str(wait_for(address, timeout, f"Ingress {key}'s address"))
    except TimeoutError as err:
        warnings = _warnings_of(cluster.core, key)
        detail = "; ".join(warnings) if warnings else "no Warning Event"
        raise RuntimeError(f"{err} — the Ingress's Warning Events: {detail}") from None


def _rules_of(provider: Any, stack: str) -> Callable[[], Any]:
    return lambda: provider.describe(stack)["rules"]


def _wait_gateway(
    api: kubernetes.client.ApiClient, key: str, attached: dict[str, int], step: Step, timeout: float
) -> str:
    """Wait for the controller's finalizer on the Gateway, then its status address with Accepted and
    Programmed True and every listener's routes attached (`attached`: listener → attachedRoutes, written after
    the converge that serves them); the address is returned. RuntimeError with the Gateway's conditions when
    it does not converge in time."""
    from lbctl.kube.events import FINALIZER
    from lbctl.model.kinds import GATEWAY

    objects = kubernetes.client.CustomObjectsApi(api)
    namespace, _, name = key.partition("/")

    def read() -> dict[str, Any]:
        found: Any = objects.get_namespaced_custom_object(
            GATEWAY.group, GATEWAY.version, namespace, GATEWAY.plural, name
        )
        return dict(found)

    def taken() -> bool:
        return FINALIZER in (read().get("metadata", {}).get("finalizers") or [])

    def address() -> str | None:
        status = read().get("status") or {}
        ready = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        addresses = status.get("addresses") or []
        routes = {str(e.get("name")): e.get("attachedRoutes") for e in status.get("listeners") or []}
        done = all(routes.get(name) == count for name, count in attached.items())
        if ready.get("Accepted") == "True" and ready.get("Programmed") == "True" and addresses and done:
            return str(addresses[0].get("value"))
        return None

    try:
        wait_for(taken, timeout, f"the controller to take Gateway {key}")
        step.ok(f"finalizer {FINALIZER} added before any cloud write")
        return str(wait_for(address, timeout, f"Gateway {key}'s address"))
    except TimeoutError as err:
        conditions = "; ".join(
            f"{c.get('type')}={c.get('status')} {c.get('reason')}: {c.get('message')}"
            for c in (read().get("status") or {}).get("conditions") or []
        )
        raise RuntimeError(f"{err} — the Gateway's conditions: {conditions or 'none yet'}") from None


def _service_address(core: Any, key: str) -> str | None:
    namespace, name = key.split("/", 1)
    service = core.read_namespaced_service_status(name, namespace)
    entries = (service.status.load_balancer.ingress or []) if service.status.load_balancer else []
    return (entries[0].hostname or entries[0].ip) if entries else None


def _address(networking: Any, key: str) -> str | None:
    ingress = _ingress(networking, key)
    entries = (ingress.status.load_balancer.ingress or []) if ingress and ingress.status.load_balancer else []
    return (entries[0].hostname or entries[0].ip) if entries else None


def run_files(
    plan: Plan, step: Step, keep: bool, files: tuple[str, ...], timeout: float = 90.0
) -> Callable[[], None]:
    """The whole run on the embedded clouds; returns what to wait on with --keep (None-returning callable
    that blocks), raising RuntimeError when something did not converge."""
    from lbctl.cli.describe import print_view
    from lbctl.kube.run import ControllerProcess

    provider = plan.provider
    upper = provider.upper()
    step.head("Starting local clouds")
    clouds = LocalClouds(
        aws=provider == "aws", gcp=provider == "gcp", gateway_api=bool(plan.gateways)
    ).__enter__()
    process: ControllerProcess | None = None
    try:
        kube = clouds.kubes[provider]
        step.ok(f"Kubernetes API emulator ({provider} cluster): {kube.url}")
        step.ok(
            f"AWS (moto server): {clouds.aws_url}"
            if provider == "aws"
            else f"Google Compute API emulator: {clouds.compute.url}"
        )
        step.head(f"{upper}: Setting up the account and the cluster's nodes")
        env = (_aws_environment if provider == "aws" else _gcp_environment)(clouds, plan, step)
        api = kube.api_client()
        cluster = Cluster(api, env.nodes, env.pod_cidrs)
        cluster.create_nodes()
        step.ok(f"nodes {', '.join(env.nodes)} (Ready, providerID set)")
        applier = Applier(api)
        if env.default_backend:
            for obj in gke.default_http_backend():
                applier.apply(Manifest(obj, "GKE"))
            step.ok(
                "kube-system/default-http-backend (Deployment + NodePort Service), as GKE has: the default "
                "backend of Ingresses without spec.defaultBackend"
            )

        process = demo_controller(
            kube, provider, env.provider_config, env.default_backend, claim_unclassed_services=True
        )
        lock = threading.Lock()

        def observe(stack: str, result: Any) -> None:
            with lock:
                for change in result.changes:
                    step.info(
                        f"[green]{change.action:>7}[/] {escape(change.kind)} [bold]{escape(change.name)}[/]"
                        + (f" [dim]{escape(change.detail)}[/]" if change.detail else "")
                    )

        process.controller.on_converged.append(observe)
        step.head(
            f"{upper}: Starting the controller (lbctl run --provider {provider} --cluster-name {CLUSTER})"
        )
        process.start()
        step.ok("informer caches synced; this replica reconciles")

        stand_ins = _stand_ins(plan)
        if stand_ins:
            step.head(f"{upper}: Creating what the files reference but lack (--create-missing)")
            for manifest, why in stand_ins:
                applier.apply(manifest)
                step.ok(f"created {escape(manifest.title(manifest.kind != 'Namespace'))} ({escape(why)})")
        step.head(f"{upper}: Applying {', '.join(files)} (as kubectl apply -f)")
        for note in plan.notes:
            step.info(f"[yellow]note:[/] {escape(note)}", wrap=False)
        applied = []
        for manifest in plan.manifests:
            outcome = applier.apply(manifest)
            if outcome == "skipped":
                step.info(
                    f"[yellow]skipped[/] {escape(manifest.kind)} {escape(manifest.name)} ({manifest.source}): "
                    f"{escape(manifest.obj['apiVersion'])} {escape(manifest.kind)} is not served by the "
                    "embedded cluster"
                )
                continue
            applied.append(manifest)
            cluster_scoped = ("Namespace", "IngressClass", "GatewayClass")
            step.ok(f"{outcome} {escape(manifest.title(manifest.kind not in cluster_scoped))}")

        deployments = [m for m, _ in stand_ins if m.kind == "Deployment"]
        deployments += [m for m in applied if m.kind == "Deployment"]
        if deployments:
            step.head(
                f"{upper}: Pods (the embedded cluster schedules them on the nodes and keeps the EndpointSlices)"
            )
            _report_pods(cluster, deployments, step)

        for ing in plan.served:
            key = f"{ing.namespace}/{ing.name}"
            step.head(f"{upper}: Ingress {key} → load balancer")
            entry = _wait_converged(cluster, key, step, timeout)
            step.ok(f"status.loadBalancer.ingress set: [bold]{escape(entry)}[/]")
            name = ing.annotations.get(GLOBAL_STATIC_IP)
            if name and name in env.reserved:
                if entry != env.reserved[name]:
                    raise RuntimeError(
                        f"Ingress {key} got {entry}, not the reserved static IP {name} ({env.reserved[name]})"
                    )
                step.ok(f"that is the reserved static IP {escape(name)}, which lbctl uses and never deletes")
                rules = process.provider.describe(plan.stacks[key])["load_balancers"]
                for rule in rules:
                    if rule.get("address") != env.reserved[name]:
                        raise RuntimeError(
                            f"forwarding rule {rule['name']} has IP {rule.get('address')}, not the "
                            f"reserved static IP {name} ({env.reserved[name]})"
                        )
                    step.ok(
                        f"forwarding rule {escape(rule['name'])} IP {rule['address']} (the reserved address)"
                    )

            if clouds.compute is not None:
                _issue_certificates(clouds.compute, api, ing, entry, step, timeout)

        running = process
        for key in plan.gateways:
            step.head(f"{upper}: Gateway {key} → load balancer")
            entry = _wait_gateway(api, key, plan.attached.get(key, {}), step, timeout)
            step.ok(f"status.addresses set, Accepted and Programmed: [bold]{escape(entry)}[/]")
            if any(plan.attached.get(key, {}).values()):  # the routes' rules may take one more converge
                wait_for(_rules_of(running.provider, plan.gateways[key]), timeout, f"Gateway {key}'s rules")

        for key in plan.services:
            step.head(f"{upper}: Service {key} (type LoadBalancer) → load balancer")
            found = wait_for(
                partial(_service_address, cluster.core, key), timeout, f"Service {key}'s address"
            )
            step.ok(f"status.loadBalancer.ingress set: [bold]{escape(str(found))}[/]")

        for stack in dict.fromkeys(plan.stacks.values()):
            step.head(f"{upper}: Console view: lbctl describe ingress {stack} --provider {provider}")
            view = process.provider.describe(stack)
            view["drift"], view["note"] = [], "in sync with the Ingress"
            print_view(view)
        for key, stack in plan.gateways.items():
            step.head(f"{upper}: Console view: lbctl describe gateway {key} --provider {provider}")
            view = process.provider.describe(stack)
            view["drift"], view["note"] = [], "in sync with the Gateway"
            print_view(view)
        for key, stack in plan.services.items():
            step.head(f"{upper}: Console view: lbctl describe service {key} --provider {provider}")
            view = process.provider.describe(stack)
            view["drift"], view["note"] = [], "in sync with the Service"
            print_view(view)

        if keep:
            return _keeper(clouds, process, env, plan, files, step)
        step.head(f"{upper}: Deleting what was applied (Ingresses first), waiting for finalizers")

        def front(m: Manifest) -> bool:  # what holds a load balancer: deleted first, waited for
            return m.kind in ("Ingress", "Gateway") or (
                m.kind == "Service" and f"{m.namespace}/{m.name}" in plan.services
            )

        ordered = [m for m in applied if front(m)] + [m for m in reversed(applied) if not front(m)]
        for manifest in ordered:
            gone = applier.delete(manifest)
            if gone is not None and front(manifest):
                wait_for(gone, timeout, f"{manifest.title()} to go")
                step.ok(
                    f"{escape(manifest.title())}: cloud resources deleted, then the finalizer removed; it is gone"
                )
        step.ok("every other object of the files deleted")
        left = process.provider.list_stacks()
        remaining = 0
        for stack in dict.fromkeys([*plan.stacks.values(), *plan.gateways.values(), *plan.services.values()]):
            view = process.provider.describe(stack)
            remaining += sum(len(view[k]) for k in ("load_balancers", "backends", "others"))
        if left or remaining:
            raise RuntimeError(f"resources of ours are left: stacks {left}, {remaining} resources")
        kept = f"; the static IP(s) you reserved stay: {', '.join(env.reserved)}" if env.reserved else ""
        step.ok(
            f"nothing of ours is left in {provider} (0 stacks, 0 resources tagged for cluster {CLUSTER}){kept}"
        )
        process.stop()
        process = None
        clouds.__exit__(None, None, None)
        return lambda: None
    except BaseException:
        if process is not None:
            process.stop()
        clouds.__exit__(None, None, None)
        raise


def _issue_certificates(
    compute: Any, api: kubernetes.client.ApiClient, ing: Ingress, address: str, step: Step, timeout: float
) -> None:
    """The demo plays Google's issuer for the ManagedCertificates the Ingress names: their status Provisioning,
    their domains pointed at the load balancer's address (as the user's DNS records would be), one issuing
    pass of the Compute emulator, then each status Active."""
    names = REGISTRY.parse(ing.annotations, "Ingress", ing.name).get(MANAGED_CERTIFICATES) or []
    objects = kubernetes.client.CustomObjectsApi(api)
    kind = MANAGED_CERTIFICATE

    def status(name: str) -> dict[str, Any]:
        found: Any = objects.get_namespaced_custom_object(
            kind.group, kind.version, ing.namespace, kind.plural, name
        )
        return dict(found.get("status") or {})

    def reported(name: str) -> Callable[[], Any]:
        return lambda: status(name).get("certificateStatus")

    def active(name: str) -> Callable[[], bool]:
        return lambda: status(name).get("certificateStatus") == "Active"

    for name in names:
        title = f"ManagedCertificate {ing.namespace}/{name}"
        wait_for(reported(name), timeout, f"{title} status")
        now = status(name)
        step.ok(f"{escape(title)}: {now['certificateStatus']} (SSL certificate {now.get('certificateName')})")
        domains = [d["domain"] for d in now.get("domainStatus") or []]
        compute.set_dns({d: address for d in domains})
        step.ok(f"DNS: {escape(', '.join(domains))} → {address} (as your DNS records would point)")
    if not names:
        return
    compute.provision_certificates()
    for name in names:
        title = f"ManagedCertificate {ing.namespace}/{name}"
        wait_for(active(name), timeout, f"{title} Active")
        step.ok(f"{escape(title)}: Active, expires {status(name).get('expireTime')}")


def _keeper(
    clouds: LocalClouds, process: Any, env: Environment, plan: Plan, files: tuple[str, ...], step: Step
) -> Callable[[], None]:
    """Print how to reach everything; the returned callable blocks until Ctrl-C, then stops it all."""
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="lbctl-demo-"))
    kubeconfig = clouds.kubes[env.provider].write_kubeconfig(folder / f"kubeconfig-{env.provider}")
    step.head("Everything keeps running (Ctrl-C to stop)")
    step.info(f"KUBECONFIG={kubeconfig} kubectl get ingress,svc,pods -A", wrap=False)
    for hint in env.hints:
        step.info(escape(hint), wrap=False)
    if plan.served:
        first = plan.served[0]
        host = next((r.host for r in first.rules if r.host), None) or "example.com"
        path = next((p.path for r in first.rules for p in r.paths if p.path), None) or "/"
        path = path.rstrip("*").rstrip("/") + "/hello"  # a request under the first rule's path
        sources = " ".join(f"-f {shlex.quote(f)}" for f in files)
        route = (
            f"lbctl route {sources} --provider {env.provider} --host {shlex.quote(host)} "
            f"--path {shlex.quote(path)}"
        )
        if env.default_backend:
            route += f" --default-backend-service {env.default_backend}"
        step.info(escape(route), wrap=False)
    endpoint = env.provider_config.endpoint_url
    project = f" --gcp-project {GCP_PROJECT}" if env.provider == "gcp" else ""
    if env.default_backend:
        project += f" --default-backend-service {env.default_backend}"
    keys = "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing " if env.provider == "aws" else ""
    described = [f"ingress {stack}" for stack in dict.fromkeys(plan.stacks.values())]
    for what in described + [f"service {key}" for key in plan.services]:
        step.info(
            escape(
                f"{keys}lbctl describe {what} --provider {env.provider} --cluster-name {CLUSTER}{project} "
                f"--endpoint-url {endpoint} --kubeconfig {kubeconfig}"
            ),
            wrap=False,
        )

    def wait() -> None:
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
        process.stop()
        clouds.__exit__(None, None, None)

    return wait

"""Shared pieces of the fault tests: one emulated cluster per cloud, full cloud inventories (to find leaks and
duplicates and to compare two runs), and fault injectors that act on the SDK or the emulator, never on our code."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kubernetes
import requests
import yaml
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from emulators.aws import AwsAccount, add_aws_instances, create_aws_account
from emulators.gce import ComputeEmulator
from emulators.gce.project import GcpProject, create_gcp_project
from emulators.kube import KubeEmulator
from emulators.testing.controller import controller
from emulators.testing.objects import node, service
from lbctl.cloudcalls import is_mutating
from lbctl.kube.run import ControllerProcess

CLUSTER = "faults"
AWS_ZONES = ("us-east-1a", "us-east-1b")
GCP_NODES = {"gke-a": "us-central1-a", "gke-b": "us-central1-b"}
GCP_PROJECT = "faults-project"
SERVICES = {"users": 30080, "products": 30081, "orders": 30082}
OWN_TAG = "lbctl.io/cluster"
STACK_TAG = "lbctl.io/stack"
RESOURCE_TAG = "lbctl.io/resource"


# --------------------------------------------------------------------------- worlds


@dataclass
class World:
    """One emulated cluster on one cloud, and the controller(s) run against it."""

    provider: str
    kube: KubeEmulator
    api: kubernetes.client.ApiClient
    cloud_url: str
    aws: AwsAccount | None = None
    gcp: GcpProject | None = None
    compute: ComputeEmulator | None = None
    processes: list[ControllerProcess] = field(default_factory=list)

    @property
    def net(self) -> kubernetes.client.NetworkingV1Api:
        return kubernetes.client.NetworkingV1Api(self.api)

    def start(
        self,
        cluster: str = CLUSTER,
        *,
        start: bool = True,
        workers: int = 2,
        leader_elect: bool = False,
        kube_url: str | None = None,
        leader_lease_seconds: float | None = None,
        **options: Any,
    ) -> ControllerProcess:
        """A ControllerProcess on this world (started unless start=False); stopped at teardown. `kube_url`: reach
        the API through it instead (a proxy in front of the emulator, whose Host the emulator then accepts)."""
        if kube_url is not None:
            self.kube.allow_host(kube_url.split("://", 1)[1])
        if self.provider == "aws":
            assert self.aws is not None
            made = controller(
                self.kube,
                "aws",
                self.cloud_url,
                cluster,
                vpc_id=self.aws.vpc_id,
                kube_url=kube_url,
                leader_elect=leader_elect,
                **options,
            )
        else:
            made = controller(
                self.kube,
                "gcp",
                self.cloud_url,
                cluster,
                project=GCP_PROJECT,
                kube_url=kube_url,
                zones=list(GCP_NODES.values()),
                retry_initial_wait=0.01,
                retry_max_wait=0.05,
                leader_elect=leader_elect,
                **options,
            )
        opts = made.options
        opts = dataclasses.replace(opts, controller=dataclasses.replace(opts.controller, workers=workers))
        if leader_lease_seconds is not None:
            opts = dataclasses.replace(opts, leader_lease_seconds=leader_lease_seconds)
        process = ControllerProcess(opts)
        self.processes.append(process)
        return process.start() if start else process

    def stop_all(self) -> None:
        for process in self.processes:
            process.stop()

    def ingress(
        self, name: str, paths: dict[str, str], annotations: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """An Ingress of this world's class; GCP ones get a default backend (the URL map needs one)."""
        body = {
            "metadata": {"name": name, "namespace": "default", "annotations": dict(annotations or {})},
            "spec": {
                "ingressClassName": "alb" if self.provider == "aws" else "gce",
                "rules": [
                    {
                        "http": {
                            "paths": [
                                {
                                    "path": path,
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": svc, "port": {"name": "http"}}},
                                }
                                for path, svc in paths.items()
                            ]
                        }
                    }
                ],
            },
        }
        if self.provider == "gcp":
            body["spec"]["defaultBackend"] = {"service": {"name": "users", "port": {"name": "http"}}}
        return body

    def inventory(self) -> Inventory:
        if self.provider == "aws":
            assert self.aws is not None
            for _ in range(4):  # a resource deleted between its listing and its describe: read them all again
                try:
                    return aws_inventory(self.aws)
                except ClientError as err:
                    if not str(err.response.get("Error", {}).get("Code", "")).endswith("NotFound"):
                        raise
            return aws_inventory(self.aws)
        assert self.compute is not None
        return gcp_inventory(self.compute)


def aws_world(kube: KubeEmulator, moto_url: str, services: bool = True) -> World:
    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    account = create_aws_account(moto_url, "us-east-1", CLUSTER, AWS_ZONES)
    add_aws_instances(account, {"node-a": AWS_ZONES[0], "node-b": AWS_ZONES[1]})
    api = kube.api_client()
    core = kubernetes.client.CoreV1Api(api)
    for name, instance in account.instances.items():
        zone = AWS_ZONES[0] if name == "node-a" else AWS_ZONES[1]
        core.create_node(node(name, f"aws:///{zone}/{instance}", zone))
    _cluster_objects(core, services)
    return World("aws", kube, api, moto_url, aws=account)


def gcp_world(kube: KubeEmulator, compute: ComputeEmulator, services: bool = True) -> World:
    compute.reset()
    project = create_gcp_project(compute.url, GCP_PROJECT, GCP_NODES, "shop-ip")
    compute.clear_requests()
    api = kube.api_client()
    core = kubernetes.client.CoreV1Api(api)
    for name, zone in GCP_NODES.items():
        core.create_node(node(name, f"gce://{GCP_PROJECT}/{zone}/{name}", zone))
    _cluster_objects(core, services)
    return World("gcp", kube, api, compute.url, gcp=project, compute=compute)


def _cluster_objects(core: kubernetes.client.CoreV1Api, services: bool) -> None:
    for name, port in SERVICES.items() if services else ():
        core.create_namespaced_service("default", service(name, port))
    core.create_namespace({"metadata": {"name": "lbctl-system"}})


# --------------------------------------------------------------------------- inventories


@dataclass(frozen=True)
class Record:
    """One resource (or one member of a group: a registered target, a security group rule, an instance in an
    instance group, an endpoint in a NEG, a web ACL association) as plain data. `owner` is (cluster, stack)
    from our markers, None for foreign ones; `role` is what it is for inside its stack — our role marker
    (plus the zone for zonal ones), the content for rules, the group's role plus the member's identity for
    members — so two records of ours with the same cluster, stack, kind and role are duplicates."""

    key: str
    kind: str
    body: Any
    owner: tuple[str, str] | None = None
    role: str = ""


@dataclass
class Inventory:
    """Every resource of the account/project as comparable plain data: `items` maps a readable key
    ("kind:name", "#2" appended when the name repeats) to its description with generated IDs replaced by names;
    `owner` maps a key to (cluster, stack) when the resource is ours; `identity` maps a key of ours to
    (cluster, stack, kind, role), which must be unique."""

    items: dict[str, Any]
    owner: dict[str, tuple[str, str]]
    identity: dict[str, tuple[str, str, str, str]]

    def duplicates(self) -> list[str]:
        """Resources of ours sharing cluster, stack, kind and role (whatever their names), one line per set."""
        groups: dict[tuple[str, str, str, str], list[str]] = {}
        for key, ident in self.identity.items():
            groups.setdefault(ident, []).append(key)
        return sorted(
            f"{kind} {role!r} of {cluster}/{stack}: {sorted(keys)}"
            for (cluster, stack, kind, role), keys in groups.items()
            if len(keys) > 1
        )

    def leaks(self, reference: Inventory, cluster: str = CLUSTER) -> list[str]:
        """Resources of ours (this cluster) that the reference inventory (the end state of an uninterrupted
        run, or the state before anything was made) does not have, by key or by ownership identity."""
        ours = self.owned(cluster)
        known = set(reference.identity.values())
        return sorted(k for k in ours if k not in reference.items or self.identity[k] not in known)

    def owned(self, cluster: str = CLUSTER, stack: str | None = None) -> dict[str, Any]:
        return {
            k: v
            for k, v in self.items.items()
            if k in self.owner
            and self.owner[k][0] == cluster
            and (stack is None or self.owner[k][1] == stack)
        }

    def stacks(self, cluster: str = CLUSTER) -> set[str]:
        """The stacks (Ingress groups) with resources of ours; cluster-wide ones such as the shared
        backend security group belong to no stack and are counted by `owned`, not here."""
        return {s for c, s in self.owner.values() if c == cluster and s}

    def foreign(self, cluster: str = CLUSTER) -> dict[str, Any]:
        return {k: v for k, v in self.items.items() if k not in self.owner or self.owner[k][0] != cluster}


def _tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in items or []}


def _pages(
    call: Callable[..., dict[str, Any]], key: str, token_in: str, token_out: str, **kwargs: Any
) -> list[Any]:
    out: list[Any] = []
    while True:
        page = call(**kwargs)
        out += page.get(key, [])
        if not page.get(token_out):
            return out
        kwargs[token_in] = page[token_out]


def _aws_owner(tags: dict[str, str]) -> tuple[str, str] | None:
    return (tags[OWN_TAG], tags.get(STACK_TAG, "")) if OWN_TAG in tags else None


def aws_inventory(account: AwsAccount) -> Inventory:
    """Every load balancer, listener, rule, target group, registered target, security group, security group
    rule, ACM certificate and web ACL association of the account, listed with boto3 outside the controller.
    ARNs and IDs are replaced by names."""
    elb, ec2, acm, waf = (account.client(s) for s in ("elbv2", "ec2", "acm", "wafv2"))
    lbs = _pages(elb.describe_load_balancers, "LoadBalancers", "Marker", "NextMarker")
    tgs = _pages(elb.describe_target_groups, "TargetGroups", "Marker", "NextMarker")
    sgs = [g for g in ec2.describe_security_groups()["SecurityGroups"] if g["GroupName"] != "default"]
    certs = _pages(acm.list_certificates, "CertificateSummaryList", "NextToken", "NextToken")
    names: dict[str, str] = {account.vpc_id: "vpc"}
    names.update({i: f"instance:{n}" for n, i in account.instances.items()})
    for subnet in ec2.describe_subnets()["Subnets"]:
        names[subnet["SubnetId"]] = "subnet:" + (_tags(subnet.get("Tags")).get("Name") or subnet["CidrBlock"])
    names.update({lb["LoadBalancerArn"]: "lb:" + lb["LoadBalancerName"] for lb in lbs})
    names.update({tg["TargetGroupArn"]: "tg:" + tg["TargetGroupName"] for tg in tgs})
    names.update({g["GroupId"]: "sg:" + g["GroupName"] for g in sgs})
    for g in ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])[
        "SecurityGroups"
    ]:
        names[g["GroupId"]] = "sg:default"
    for acl in waf.list_web_acls(Scope="REGIONAL").get("WebACLs", []):
        names[acl["ARN"]] = "acl:" + acl["Name"]
    records: list[Record] = []

    def tags_of(arns: list[str]) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for start in range(0, len(arns), 20):
            for d in elb.describe_tags(ResourceArns=arns[start : start + 20])["TagDescriptions"]:
                out[d["ResourceArn"]] = _tags(d["Tags"])
        return out

    cert_details = []
    for summary in certs:
        arn = summary["CertificateArn"]
        detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        tags = _tags(acm.list_tags_for_certificate(CertificateArn=arn).get("Tags"))
        names[arn] = f"cert:{detail.get('DomainName')}:{detail.get('Serial')}"
        cert_details.append((arn, detail, tags))
    lb_tags = tags_of([lb["LoadBalancerArn"] for lb in lbs])
    for lb in lbs:
        arn = lb["LoadBalancerArn"]
        tags = lb_tags.get(arn, {})
        owner, role = _aws_owner(tags), tags.get(RESOURCE_TAG, "")
        listeners = elb.describe_listeners(LoadBalancerArn=arn)["Listeners"]
        listener_tags = tags_of([x["ListenerArn"] for x in listeners])
        for listener in listeners:
            key = f"listener:{lb['LoadBalancerName']}:{listener['Protocol']}:{listener['Port']}"
            lt = listener_tags.get(listener["ListenerArn"]) or tags
            records.append(
                Record(
                    key,
                    "listener",
                    {k: v for k, v in listener.items() if k != "ListenerArn"},
                    _aws_owner(lt),
                    lt.get(RESOURCE_TAG, ""),
                )
            )
            rules = [
                r
                for r in _pages(
                    elb.describe_rules, "Rules", "Marker", "NextMarker", ListenerArn=listener["ListenerArn"]
                )
                if not r["IsDefault"]
            ]
            rule_tags = tags_of([r["RuleArn"] for r in rules])
            for rule in rules:
                rt = rule_tags.get(rule["RuleArn"], {})
                body = {"Conditions": rule["Conditions"], "Actions": rule["Actions"], "Tags": rt}
                # rules are told apart by what they do, not by priority: the same match and actions twice on
                # one listener is a duplicate whatever the priorities
                content = json.dumps(
                    [key, _canonical(rule["Conditions"]), _canonical(rule["Actions"])], sort_keys=True
                )
                records.append(
                    Record(f"{key}:rule:{rule['Priority']}", "rule", body, _aws_owner(rt or tags), content)
                )
        lb_body = {
            k: v
            for k, v in lb.items()
            if k not in ("LoadBalancerArn", "DNSName", "CanonicalHostedZoneId", "CreatedTime", "State")
        }
        lb_body["Tags"] = tags
        lb_body["Attributes"] = elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
        records.append(Record("lb:" + lb["LoadBalancerName"], "lb", lb_body, owner, role))
        acl = waf.get_web_acl_for_resource(ResourceArn=arn).get("WebACL")
        if acl:
            records.append(
                Record(
                    f"waf-association:{lb['LoadBalancerName']}",
                    "waf-association",
                    {"LoadBalancer": arn, "WebACL": acl["ARN"]},
                    owner,
                    role,
                )
            )
    tg_tags = tags_of([tg["TargetGroupArn"] for tg in tgs])
    for tg in tgs:
        arn = tg["TargetGroupArn"]
        tags = tg_tags.get(arn, {})
        owner, role = _aws_owner(tags), tags.get(RESOURCE_TAG, "")
        health = elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        body = {k: v for k, v in tg.items() if k not in ("TargetGroupArn", "LoadBalancerArns")}
        # moto keeps deleted load balancers in LoadBalancerArns: list existing ones only
        body["LoadBalancerArns"] = sorted(a for a in tg.get("LoadBalancerArns", []) if a in names)
        body["Tags"] = tags
        records.append(Record("tg:" + tg["TargetGroupName"], "tg", body, owner, role))
        for h in health:
            target = h["Target"]
            # one target per instance (or IP) in a group: the same one on a second port is a duplicate
            records.append(
                Record(
                    f"target:{tg['TargetGroupName']}:{target['Id']}:{target.get('Port')}",
                    "target",
                    {"TargetGroup": arn, **target},
                    owner,
                    f"{role}|{target['Id']}",
                )
            )
    for sg in sgs:
        tags = _tags(sg.get("Tags"))
        owner, role = _aws_owner(tags), tags.get(RESOURCE_TAG, "")
        body = {"Description": sg.get("Description"), "VpcId": sg.get("VpcId"), "Tags": tags}
        records.append(Record("sg:" + sg["GroupName"], "sg", body, owner, role))
        for perm in sg.get("IpPermissions", []):
            ports = f"{perm.get('IpProtocol')}:{perm.get('FromPort')}-{perm.get('ToPort')}"
            sources = [("cidr", r["CidrIp"]) for r in perm.get("IpRanges", [])]
            sources += [("cidr6", r["CidrIpv6"]) for r in perm.get("Ipv6Ranges", [])]
            sources += [("group", r["GroupId"]) for r in perm.get("UserIdGroupPairs", [])]
            sources += [("prefix-list", r["PrefixListId"]) for r in perm.get("PrefixListIds", [])]
            for source in sources:
                rule = f"{ports}:{source[0]}={source[1]}"
                records.append(
                    Record(
                        f"sg-rule:{sg['GroupName']}:{rule}",
                        "sg-rule",
                        {"GroupId": sg["GroupId"], "Rule": rule},
                        owner,
                        f"{role}|{rule}",
                    )
                )
    for arn, detail, tags in cert_details:
        body = {
            "DomainName": detail.get("DomainName"),
            "Serial": detail.get("Serial"),
            "Type": detail.get("Type"),
            "InUseBy": sorted(detail.get("InUseBy", [])),
            "Tags": tags,
        }
        records.append(Record(names[arn], "cert", body, _aws_owner(tags), tags.get(RESOURCE_TAG, "")))
    return _inventory(records, names)


def _inventory(records: list[Record], names: dict[str, str]) -> Inventory:
    items: dict[str, Any] = {}
    owner: dict[str, tuple[str, str]] = {}
    identity: dict[str, tuple[str, str, str, str]] = {}
    ordered = sorted(names.items(), key=lambda kv: -len(kv[0]))

    def named(value: Any) -> Any:
        text = json.dumps(value, sort_keys=True, default=str)
        for generated, name in ordered:
            text = text.replace(generated, name)
        return json.loads(text)

    for record in records:
        base = named(record.key)
        key, n = base, 1
        while key in items:  # a name that repeats (moto allows some): both kept
            n += 1
            key = f"{base}#{n}"
        items[key] = _canonical(named(record.body))
        if record.owner is not None:
            owner[key] = record.owner
            identity[key] = (*record.owner, record.kind, named(record.role))
    return Inventory(items, owner, identity)


GCP_GENERATED = ("id", "creationTimestamp", "fingerprint", "selfLinkWithId")


def _gcp_owner(resource: dict[str, Any]) -> tuple[tuple[str, str] | None, str]:
    """(cluster, stack) and role from the JSON ownership record lbctl writes into `description`."""
    try:
        described = json.loads(resource.get("description") or "")
    except ValueError:
        return None, ""
    record = described.get("lbctl") if isinstance(described, dict) else None
    if not isinstance(record, dict) or "cluster" not in record:
        return None, ""
    return (str(record["cluster"]), str(record.get("stack", ""))), str(record.get("role", ""))


def gcp_inventory(compute: ComputeEmulator) -> Inventory:
    """`ComputeEmulator.inventory()` with IDs, timestamps and fingerprints dropped; ownership read from the
    JSON description lbctl writes. Instances of an instance group and endpoints of a NEG are records of their
    own, owned as their group. A zonal resource's role carries its zone (one instance group per zone is not a
    duplicate)."""
    records: list[Record] = []
    for path, resource in compute.inventory().items():
        collection, name = path.rsplit("/", 2)[-2:]
        zone = path.split("/")[-3] if "/zones/" in path else ""
        body = {
            k: v
            for k, v in resource.items()
            if k not in GCP_GENERATED
            and not k.endswith("Fingerprint")
            and k not in ("_instances", "_endpoints")
        }
        owner, role = _gcp_owner(resource)
        scoped = f"{role}@{zone}" if zone else role
        key = f"{collection}:{zone}:{name}" if zone else f"{collection}:{name}"
        records.append(Record(key, collection, body, owner, scoped))
        for link in resource.get("_instances") or []:
            instance = str(link).rsplit("/", 1)[-1]
            # an instance belongs in one of our groups only: the same one in a second group is a duplicate
            records.append(
                Record(
                    f"instance-in-group:{zone}:{name}:{instance}",
                    "instance-in-group",
                    {"group": path, "instance": link},
                    owner,
                    f"{role}|{instance}",
                )
            )
        for endpoint in resource.get("_endpoints") or []:
            ident = f"{endpoint.get('instance')}/{endpoint.get('ipAddress')}"
            records.append(
                Record(
                    f"endpoint:{zone}:{name}:{ident}:{endpoint.get('port')}",
                    "endpoint",
                    {"group": path, **endpoint},
                    owner,
                    f"{role}@{zone}|{ident}",
                )
            )
    return _inventory(records, {})


def _canonical(value: Any) -> Any:
    """Lists sorted (their order comes from generated IDs or the emulator, not from meaning)."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def diff(a: Any, b: Any, where: str = "") -> list[str]:
    """Paths where two inventories differ, for readable failures."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str) for d in diff(a.get(k), b.get(k), f"{where}/{k}")]
    return [] if a == b else [f"{where}: {str(a)[:300]} != {str(b)[:300]}"]


# --------------------------------------------------------------------------- fault injection


@dataclass
class AwsFaults:
    """botocore event hooks on a provider's boto3 clients: with `rate` probability (seeded) a call is
    throttled, gets a 500/503, cannot connect, or (mutating calls) is applied but its response is lost
    (read timeout). Counts what it injected."""

    rate: float
    seed: int
    lose_first: set[str] = field(default_factory=set)  # these operations' first call: applied, response lost
    # operation → [(error code, HTTP status), ...]: its next calls fail with these, in order
    scripted: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    injected: Counter[str] = field(default_factory=Counter)
    calls: int = 0
    enabled: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)
    _pending_loss: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)

    def install(self, process: ControllerProcess) -> AwsFaults:
        for client in process.provider.clients.clients.values():  # type: ignore[attr-defined]
            client.meta.events.register("before-call", self._before)
            client.meta.events.register("after-call", self._after)
        return self

    def _draw(self) -> float:
        with self.lock:
            self.calls += 1
            return self.random.random() if self.enabled else 1.0

    def _before(self, model: Any, **_: Any) -> None:
        with self.lock:
            script = self.scripted.get(model.name)
            if script:
                code, status = script.pop(0)
                self.injected[f"{model.name}:{code}"] += 1
                raise ClientError(
                    {
                        "Error": {"Code": code, "Message": f"injected {code}"},
                        "ResponseMetadata": {"HTTPStatusCode": status},
                    },
                    model.name,
                )
            if model.name in self.lose_first:
                self.lose_first.discard(model.name)
                self._pending_loss.add(threading.get_ident())
                return
        draw = self._draw()
        if draw >= self.rate:
            return
        kind = ("throttled", "500", "503", "connect", "lost-response")[int(draw / self.rate * 5)]
        if kind == "lost-response":
            if is_mutating(model.name):
                with self.lock:
                    self._pending_loss.add(threading.get_ident())
                return
            kind = "500"
        with self.lock:
            self.injected[kind] += 1
        if kind == "throttled":
            raise ClientError(
                {
                    "Error": {"Code": "Throttling", "Message": "Rate exceeded (injected)"},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                model.name,
            )
        if kind == "connect":
            raise EndpointConnectionError(endpoint_url="injected")
        status = int(kind)
        raise ClientError(
            {
                "Error": {
                    "Code": "InternalFailure" if status == 500 else "ServiceUnavailable",
                    "Message": "injected",
                },
                "ResponseMetadata": {"HTTPStatusCode": status},
            },
            model.name,
        )

    def _after(self, model: Any, http_response: Any = None, **_: Any) -> None:
        with self.lock:
            lost = threading.get_ident() in self._pending_loss
            self._pending_loss.discard(threading.get_ident())
            if lost and http_response is not None and http_response.status_code < 300:
                self.injected["lost-response"] += 1
                self.injected[f"lost-response:{model.name}"] += 1
            else:
                lost = False
        if lost:
            raise ReadTimeoutError(endpoint_url=f"injected ({model.name} applied, response lost)")


def gcp_faults(compute: ComputeEmulator, rate: float, seed: int) -> list[Any]:
    """Emulator rules firing on about `rate` of all requests: 429/403 rate limits, 500/503, dropped
    connections, and mutations applied with the response lost."""
    compute.faults.seed(seed)
    share = rate / 5
    return [
        compute.add_fault(status=429, reason="rateLimitExceeded", probability=share),
        compute.add_fault(status=503, probability=share),
        compute.add_fault(status=500, probability=share),
        compute.add_fault(drop=True, probability=share),
        *(
            compute.add_fault(method=method, status=503, phase="after", probability=share)
            for method in ("POST", "PATCH", "DELETE")
        ),
        # and for sure once each: an insert applied whose response is lost
        *(
            compute.add_fault(method="POST", path=f"/{collection}$", drop=True, phase="after", times=1)
            for collection in (
                "urlMaps",
                "backendServices",
                "healthChecks",
                "forwardingRules",
                "targetHttpProxies",
            )
        ),
    ]


def fired(rules: list[Any]) -> dict[str, int]:
    out: Counter[str] = Counter()
    for rule in rules:
        what = "dropped" if rule.drop else str(rule.status)
        if rule.operation_error is not None:
            what = f"operation error {rule.operation_error.get('reason')}"
        out[f"{rule.method} {what}{' after applying' if rule.phase == 'after' else ''}"] += rule.hits
    return dict(out)


# --------------------------------------------------------------------------- Kubernetes objects

PLURALS = {
    "Ingress": "ingresses",
    "Service": "services",
    "Secret": "secrets",
    "Pod": "pods",
    "EndpointSlice": "endpointslices",
    "IngressClass": "ingressclasses",
    "Node": "nodes",
    "ConfigMap": "configmaps",
}
CLUSTER_SCOPED = {"IngressClass", "Node"}


def object_path(obj: dict[str, Any]) -> str:
    """The collection path of an object, from its apiVersion and kind."""
    api_version = str(obj.get("apiVersion") or "v1")
    kind = str(obj.get("kind"))
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    if kind in CLUSTER_SCOPED:
        return f"{base}/{PLURALS[kind]}"
    namespace = (obj.get("metadata") or {}).get("namespace") or "default"
    return f"{base}/namespaces/{namespace}/{PLURALS.get(kind, kind.lower() + 's')}"


def create_raw(
    api: kubernetes.client.ApiClient, obj: dict[str, Any] | bytes, path: str | None = None, check: bool = True
) -> requests.Response:
    """POST an object as it is (a dict, or raw bytes to `path`), with no client-side validation — what kubectl
    sends for a bad file; raises for an error status when `check`."""
    if isinstance(obj, bytes):
        assert path is not None
        data = obj
    else:
        data, path = json.dumps(obj).encode(), path or object_path(obj)
    headers = {
        "Content-Type": "application/json",
        "Authorization": api.configuration.get_api_key_with_prefix("authorization") or "",
    }
    response = requests.post(api.configuration.host + path, data=data, headers=headers, timeout=30)
    if check:
        response.raise_for_status()
    return response


def twin(world: World, kube: KubeEmulator) -> World:
    """Another cluster on the same cloud account/project: the same Nodes and Services in its own API."""
    core = kubernetes.client.CoreV1Api(world.api)
    api = kube.api_client()
    for item in [*core.list_node().items, *core.list_namespaced_service("default").items]:
        body = world.api.sanitize_for_serialization(item)
        body["metadata"] = {k: v for k, v in body["metadata"].items() if k in ("name", "namespace", "labels")}
        body.pop("status", None) if body.get("kind") == "Service" else None
        body.setdefault("apiVersion", "v1")
        body.setdefault("kind", "Node" if "providerID" in body.get("spec", {}) else "Service")
        create_raw(api, body)
    kubernetes.client.CoreV1Api(api).create_namespace({"metadata": {"name": "lbctl-system"}})
    return dataclasses.replace(world, kube=kube, api=api, processes=[])


class CuttableProxy:
    """A TCP forwarder in front of the Kubernetes API emulator: `cut()` severs every connection through it and
    refuses new ones — a replica partitioned from the API server while it still reaches the cloud."""

    def __init__(self, target_port: int) -> None:
        import socket

        self.target_port = target_port
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.cut_off = threading.Event()
        self.sockets: list[Any] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket

        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if self.cut_off.is_set():
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: Any, sink: Any) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.close()

    def cut(self) -> None:
        import socket

        self.cut_off.set()
        with self.lock:
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass

    def close(self) -> None:
        self.cut()
        self.server.close()


EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def example_objects(provider: str) -> list[dict[str, Any]]:
    """The documented two-service example without its Nodes (the world has its own)."""
    name = "two-services.yaml" if provider == "aws" else "two-services-gce.yaml"
    return [d for d in yaml.safe_load_all((EXAMPLES / name).read_text()) if d and d["kind"] != "Node"]

"""The cost cuts the benchmark drove, by call counts: a kept discovery (GCP) that reads nothing on a no-op,
never hides a needed write (a fresh provider finds nothing to do after every step), and re-discovers on
doubt or after its TTL; creates are not retried blindly when they may have been applied."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from google.cloud import compute_v1

from bench.workload import Workload
from emulators.gce import ComputeEmulator
from emulators.testing.gce import Clients, make_clients
from emulators.testing.gcp_stacks import NODES, PROJECT, example_objects, find, stack_from
from lbctl.cloudcalls import CloudCaller, is_mutating
from lbctl.model.builder import BuildConfig, build, empty_spec
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import ProviderConfig, StackInput
from providers.aws.clients import classify_aws_error
from providers.gcp.provider import GcpProvider


@pytest.fixture
def emulator() -> Iterator[ComputeEmulator]:
    with ComputeEmulator(port=0, operation_polls_to_done=1) as emulator:
        clients = make_clients(emulator.url)
        for name, zone in NODES.items():
            _wait(
                clients,
                clients.instances.insert(
                    project=PROJECT, zone=zone, instance_resource=compute_v1.Instance(name=name)
                ),
            )
        _wait(
            clients,
            clients.addresses.insert(project=PROJECT, address_resource=compute_v1.Address(name="shop-ip")),
        )
        yield emulator


def _wait(clients: Clients, op: Any) -> None:
    from providers.gcp.operations import wait_for_operation

    wait_for_operation(
        op,
        project=PROJECT,
        global_ops_client=clients.global_ops,
        zone_ops_client=clients.zone_ops,
        timeout=10,
    )


def _provider(emulator: ComputeEmulator, **options: Any) -> GcpProvider:
    config = ProviderConfig(
        cluster_name="eco",
        endpoint_url=emulator.url,
        options={
            "project": PROJECT,
            "retry_initial_wait": 0.01,
            "retry_max_wait": 0.05,
            "zones": sorted(set(NODES.values())),
            **options,
        },
    )
    return GcpProvider(config)


def _fresh_changes(emulator: ComputeEmulator, stack: StackInput) -> list[Any]:
    """What a provider that keeps nothing would still change: must be nothing after every cached step."""
    return _provider(emulator).plan(stack).changes


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _bench_stack(
    provider: str, pods: int, generation: int = 0, nodes: dict[str, tuple[str, str]] | None = None
) -> StackInput:
    """The benchmark's Ingress (5 paths over 2 Services of its own, pods as targets) as a StackInput."""
    nodes = nodes or {
        name: (f"gce://{PROJECT}/{zone}/{name}", zone) for name, zone in list(NODES.items())[:2]
    }
    workload = Workload(provider, 1, pods, nodes)
    objects: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": n, "labels": {"topology.kubernetes.io/zone": z}},
            "spec": {"providerID": p},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        }
        for n, (p, z) in nodes.items()
    ]
    for s, name in enumerate(workload.services_of(0)):
        workload.generation[name] = generation
        objects.append({"apiVersion": "v1", "kind": "Service", **workload.service(name)})
        objects.append(
            {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", **workload.endpoint_slice(s, name)}
        )
    objects.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", **workload.ingress(0)})
    snapshot = ClusterSnapshot.from_objects(objects)
    (spec,) = build(snapshot, BuildConfig.for_provider(provider)).specs
    return StackInput.from_snapshot(spec, snapshot)


def _neg_stack(pods: int, generation: int = 0) -> StackInput:
    return _bench_stack("gcp", pods, generation)


def test_kept_discovery_reads_nothing_on_a_noop_and_never_hides_a_write(emulator: ComputeEmulator) -> None:
    clock = Clock()
    provider = _provider(emulator, discovery_ttl=300)
    provider.cache.clock = clock
    first = provider.converge(_neg_stack(pods=4))
    assert first.address and first.changes
    assert _fresh_changes(emulator, _neg_stack(pods=4)) == []

    provider.stats.reset()
    again = provider.converge(_neg_stack(pods=4))
    assert again.changes == [] and again.address == first.address
    assert provider.stats.total() == 0, provider.stats.snapshot()

    # endpoint churn: only the NEG membership changes, each NEG read at most by its operation waits
    provider.stats.reset()
    churned = provider.converge(_neg_stack(pods=4, generation=1))
    kinds = sorted({(c.kind, c.detail) for c in churned.changes})
    assert kinds == [
        ("NetworkEndpointGroup", "attach 1 endpoint(s)"),
        ("NetworkEndpointGroup", "detach 1 endpoint(s)"),
    ]
    mutating = provider.stats.total(mutating=True)
    assert mutating == len(churned.changes)
    reads = {op: n for (_, op, _), n in provider.stats.counts.items() if not is_mutating(op)}
    health = reads.pop("backendServices.getHealth", 0)  # the backends status annotation, after a write
    assert sum(reads.values()) == mutating, reads  # one operation wait each, no discovery
    assert health <= 2, health  # one per backend service and group
    assert _fresh_changes(emulator, _neg_stack(pods=4, generation=1)) == []

    # the stack goes away: nothing is left, and a later converge (still kept) recreates everything
    provider.converge(StackInput(empty_spec("gcp", "default/ing-0000")))
    assert not [k for k in emulator.inventory() if k.rsplit("/", 1)[-1].startswith("k8s2-")]
    provider.converge(_neg_stack(pods=4))
    assert _fresh_changes(emulator, _neg_stack(pods=4)) == []
    assert provider.cache.discoveries == 1


def test_drift_heals_after_the_ttl_and_at_once_on_doubt(emulator: ComputeEmulator) -> None:
    clock = Clock()
    provider = _provider(emulator, discovery_ttl=300)
    provider.cache.clock = clock
    provider.converge(stack_from(example_objects()))  # instance groups, TLS Secret, static IP
    clients = make_clients(emulator.url)
    (firewall,) = [k.rsplit("/", 1)[-1] for k in emulator.inventory() if "/firewalls/k8s2-" in k]
    _wait(clients, clients.firewalls.delete(project=PROJECT, firewall=firewall))  # out of band

    provider.stats.reset()
    assert provider.converge(stack_from(example_objects())).changes == []  # within the TTL: not seen yet
    assert provider.stats.total() == 0
    clock.now += 301
    healed = provider.converge(stack_from(example_objects()))
    assert [(c.action, c.kind) for c in healed.changes] == [("create", "Firewall")]
    assert provider.cache.discoveries == 2
    assert _fresh_changes(emulator, stack_from(example_objects())) == []

    # doubt: the firewall vanishes again, then a spec change makes us update it: the update fails (404),
    # what was kept is dropped, and the next converge re-discovers and creates it instead of updating
    _wait(clients, clients.firewalls.delete(project=PROJECT, firewall=firewall))
    changed = example_objects()
    find(changed, "Service", "users")["spec"]["ports"][0]["nodePort"] = 30099
    with pytest.raises(Exception):  # noqa: B017 - whichever error the update reports
        provider.converge(stack_from(changed))
    assert provider.cache.inventory is None
    provider.converge(stack_from(copy.deepcopy(changed)))
    assert provider.cache.discoveries == 3
    assert _fresh_changes(emulator, stack_from(changed)) == []


def test_without_a_ttl_every_converge_discovers(emulator: ComputeEmulator) -> None:
    provider = _provider(emulator)
    provider.converge(stack_from(example_objects()))
    provider.stats.reset()
    provider.converge(stack_from(example_objects()))
    lists = sum(n for k, n in provider.stats.snapshot().items() if ".list:" in k)
    assert lists >= 10 and provider.cache.discoveries == 2


def test_a_create_that_may_have_been_applied_is_not_repeated() -> None:
    caller = CloudCaller(classify_aws_error, attempts=4, initial_wait=0.0, max_wait=0.0)
    attempts: list[str] = []

    def lost_response(operation: str) -> Any:
        attempts.append(operation)
        raise ReadTimeoutError(endpoint_url="http://elb")

    with pytest.raises(ReadTimeoutError):
        caller.call("elbv2", "CreateLoadBalancer", lost_response, "CreateLoadBalancer")
    assert attempts == ["CreateLoadBalancer"]  # the next reconcile re-discovers instead
    with pytest.raises(ReadTimeoutError):
        caller.call("elbv2", "RegisterTargets", lost_response, "RegisterTargets")
    assert attempts.count("RegisterTargets") == 4  # idempotent: repeated

    def unreachable(operation: str) -> Any:
        attempts.append(operation)
        raise EndpointConnectionError(endpoint_url="http://elb")

    with pytest.raises(EndpointConnectionError):
        caller.call("elbv2", "CreateRule", unreachable, "CreateRule")
    assert attempts.count("CreateRule") == 4  # never sent: safe to repeat


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _aws_stack(account: Any, pods: int, generation: int = 0) -> StackInput:
    zones = sorted(account.subnets)[:2]
    nodes = {f"node-{z[-1]}": (f"aws:///{z}/{i}", z) for z, i in zip(zones, account.instances, strict=True)}
    return _bench_stack("aws", pods, generation, nodes)


def test_aws_kept_converge_checks_existence_with_one_read(moto_url: str) -> None:
    from emulators.testing.aws_stacks import fresh_account

    account = fresh_account(moto_url)
    clock = Clock()
    provider = account.provider(discovery_ttl=300)
    provider.clock = clock
    first = provider.converge(_aws_stack(account, pods=4))
    assert first.address and first.changes
    assert account.provider().plan(_aws_stack(account, pods=4)).changes == []

    provider.stats.reset()
    again = provider.converge(_aws_stack(account, pods=4))
    assert again.changes == [] and again.address == first.address
    assert provider.stats.snapshot() == {"resourcegroupstaggingapi:GetResources:ok": 1}

    # endpoint churn: one register and one deregister per target group, no target-group describe; the
    # new pod IPs are looked up once (one DescribeNetworkInterfaces for all of them) so the backend
    # security group rules cover the pods' own security groups
    provider.stats.reset()
    churned = provider.converge(_aws_stack(account, pods=4, generation=1))
    calls = provider.stats.snapshot()
    assert calls == {
        "resourcegroupstaggingapi:GetResources:ok": 1,
        "ec2:DescribeNetworkInterfaces:ok": 1,
        "elbv2:RegisterTargets:ok": 2,
        "elbv2:DeregisterTargets:ok": 2,
    }, calls
    assert len(churned.changes) == 4
    assert account.provider().plan(_aws_stack(account, pods=4, generation=1)).changes == []

    # one of our target groups deleted out of band: the existence check sees it, a full converge heals
    elbv2 = account.client("elbv2")
    group = next(
        g for g in elbv2.describe_target_groups()["TargetGroups"] if g["TargetGroupName"].startswith("k8s-")
    )
    rules = [
        r
        for lst in elbv2.describe_listeners(LoadBalancerArn=group["LoadBalancerArns"][0])["Listeners"]
        for r in elbv2.describe_rules(ListenerArn=lst["ListenerArn"])["Rules"]
        if not r["IsDefault"]
    ]
    for rule in rules:
        elbv2.delete_rule(RuleArn=rule["RuleArn"])
    elbv2.delete_target_group(TargetGroupArn=group["TargetGroupArn"])
    healed = provider.converge(_aws_stack(account, pods=4, generation=1))
    assert ("create", "TargetGroup") in {(c.action, c.kind) for c in healed.changes}
    assert account.provider().plan(_aws_stack(account, pods=4, generation=1)).changes == []

    # a rule edited out of band (invisible to the existence check) is healed once the TTL has passed
    listener = elbv2.describe_listeners(LoadBalancerArn=group["LoadBalancerArns"][0])["Listeners"][0]
    rule = next(
        r for r in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"] if not r["IsDefault"]
    )
    elbv2.modify_rule(RuleArn=rule["RuleArn"], Conditions=[{"Field": "path-pattern", "Values": ["/drifted"]}])
    assert provider.converge(_aws_stack(account, pods=4, generation=1)).changes == []
    clock.now += 301
    assert [c.kind for c in provider.converge(_aws_stack(account, pods=4, generation=1)).changes] == ["Rule"]
    assert account.provider().plan(_aws_stack(account, pods=4, generation=1)).changes == []

"""What the Google Cloud provider declares to lbctl's core (the `lbctl.providers` entry point): its
command-line options, the kinds it watches beyond the core's (Pods, whose readiness probes its health checks
follow, and GKE's BackendConfig, FrontendConfig and ManagedCertificate), its offline project, its offline validation and its
factory. Importing this module imports no SDK."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lbctl.model.gce import CLUSTER_DEFAULT_BACKEND, parse_backend_ref
from lbctl.model.kinds import BACKEND_CONFIG, FRONTEND_CONFIG, MANAGED_CERTIFICATE, POD
from lbctl.model.problems import Problem, SpecError
from lbctl.model.spec import LoadBalancerSpec
from lbctl.provider import (
    CLOUD_COMMANDS,
    CONTROLLER_COMMANDS,
    FILE_COMMANDS,
    OfflineRequest,
    Provider,
    ProviderConfig,
    ProviderError,
    ProviderOption,
    ProviderPlugin,
)

DEMO_PROJECT = "lbctl-demo"
DEFAULT_ZONE = "us-central1-a"
# The commands that build specs for a cloud (doctor builds none).
BUILDING_COMMANDS = FILE_COMMANDS | (CLOUD_COMMANDS - {"doctor"})
OPTIONS = (
    ProviderOption(
        "--gcp-project",
        "project",
        CLOUD_COMMANDS,
        envvar="LBCTL_GCP_PROJECT",
        default=DEMO_PROJECT,
        help="Google Cloud project.",
    ),
    # The controller has no default project: a Pod started without one must say so, not use the demo's.
    ProviderOption(
        "--gcp-project",
        "project",
        CONTROLLER_COMMANDS,
        envvar="LBCTL_GCP_PROJECT",
        help="Google Cloud project.",
    ),
    ProviderOption(
        "--gcp-zone",
        "zones",
        CLOUD_COMMANDS | CONTROLLER_COMMANDS,
        envvar="LBCTL_GCP_ZONES",
        multiple=True,
        metavar="ZONE",
        help="GCP: a zone of the cluster's nodes (repeatable; env: space-separated) [default: every "
        "zone of the project].",
    ),
    ProviderOption(
        "--gcp-network-project",
        "network_project",
        CLOUD_COMMANDS | CONTROLLER_COMMANDS,
        envvar="LBCTL_GCP_NETWORK_PROJECT",
        metavar="PROJECT",
        help="GCP Shared VPC: the host project of the cluster's network, where its firewall rules live "
        "[default: --gcp-project].",
    ),
    ProviderOption(
        "--default-backend-service",
        "cluster_default_backend",
        BUILDING_COMMANDS,
        model=True,
        metavar="NS/NAME:PORT",
        check=parse_backend_ref,
        help=f"GCP: the cluster default backend, for Ingresses without spec.defaultBackend "
        f"[default: {CLUSTER_DEFAULT_BACKEND}].",
    ),
    ProviderOption(
        "--default-backend-service",
        "cluster_default_backend",
        CONTROLLER_COMMANDS,
        model=True,
        envvar="LBCTL_DEFAULT_BACKEND",
        metavar="NS/NAME:PORT",
        check=parse_backend_ref,
        help=f"GCP: URL map default service for Ingresses without spec.defaultBackend [default: "
        f"{CLUSTER_DEFAULT_BACKEND}, GKE's].",
    ),
    ProviderOption(
        "--gateway-drop-in",
        "gateway_drop_in",
        FILE_COMMANDS | CLOUD_COMMANDS | CONTROLLER_COMMANDS,
        envvar="LBCTL_GATEWAY_DROP_IN",
        model=True,
        is_flag=True,
        help="Gateway API: also serve the GatewayClasses of the cloud's own Gateway controller "
        "(aws-load-balancer-controller's gateway.k8s.aws/alb, GKE's networking.gke.io/gateway), as a drop-in.",
    ),
)


def make_provider(config: ProviderConfig) -> Provider:
    """The GCP provider for `config` (options: project, zones, network and those of GcpProvider)."""
    from .provider import GcpProvider

    return GcpProvider(config)


def validate(spec: LoadBalancerSpec) -> list[Problem]:
    """What the URL map of a spec cannot express, found by translating it with no cloud call."""
    from .translate import spec_url_map

    try:
        spec_url_map(spec, "lbctl")
    except SpecError as err:
        return [err.problem]
    except ProviderError as err:
        return [err.problem(spec.stack)]
    return []


@contextmanager
def offline_project(request: OfflineRequest) -> Iterator[ProviderConfig]:
    """An embedded, empty project: the nodes' VMs and the static IPs the Ingresses name (those must exist
    beforehand)."""
    from emulators.gce import ComputeEmulator
    from emulators.gce.project import create_gcp_project, create_subnetworks, reserve_regional_address

    project = str(request.options.get("project") or DEMO_PROJECT)
    nodes = {n.instance_id or n.name: n.zone or DEFAULT_ZONE for n in request.snapshot.nodes.values()}
    with ComputeEmulator(port=0) as compute:
        named = [s for s in request.specs if s.frontend.static_ip_name]
        static_ips = sorted({str(s.frontend.static_ip_name) for s in named if not s.frontend.regional})
        create_gcp_project(compute.url, project, nodes, static_ips[0] if static_ips else None)
        for name in static_ips[1:]:
            create_gcp_project(compute.url, project, {}, name)
        zones = list(request.options.get("zones") or ()) or sorted(set(nodes.values())) or [DEFAULT_ZONE]
        services = _served_services(request)
        if services or any(
            s.frontend.regional for s in request.specs
        ):  # the region's subnets, the VIPs named
            region = zones[0].rsplit("-", 1)[0]
            create_subnetworks(compute.url, project, region)
            for i, (ip, internal) in enumerate(sorted(services.items())):  # each Service's loadBalancerIP
                if ip:
                    reserve_regional_address(
                        compute.url, project, region, f"service-ip-{i}", internal=internal, address_ip=ip
                    )
            regional = {str(s.frontend.static_ip_name): s.frontend.scheme == "internal" for s in named}
            for name, internal in sorted(regional.items()):
                if any(s.frontend.regional and s.frontend.static_ip_name == name for s in named):
                    reserve_regional_address(compute.url, project, region, name, internal=internal)
        yield ProviderConfig(request.cluster_name, compute.url, {"project": project, "zones": zones})


def _served_services(request: OfflineRequest) -> dict[str, bool]:
    """The Services of the files this provider serves, as loadBalancerIP ("" for none) → internal."""
    from lbctl.model.services import build_services

    from .l4_translate import settings_of

    outcomes = build_services(request.snapshot, "gcp").values()
    specs = [o.spec for o in outcomes if o.spec is not None and o.spec.load_balancer]
    return {s.load_balancer_ip or "": settings_of(s).internal for s in specs}


plugin = ProviderPlugin(
    name="gcp",
    title="Google Cloud",
    factory=make_provider,
    options=OPTIONS,
    watched=(POD, BACKEND_CONFIG, FRONTEND_CONFIG, MANAGED_CERTIFICATE),
    # the certificates' provisioning state, written back as gke-managed-certs does
    access=((MANAGED_CERTIFICATE.group, f"{MANAGED_CERTIFICATE.plural}/status", "patch"),),
    offline=offline_project,
    validate=validate,
)

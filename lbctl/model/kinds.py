"""The Kubernetes kinds lbctl reads, defined once: what the controller lists and watches (kube/resources.py),
the RBAC it needs for them (kube/access.py) and what manifest files may hold (model/snapshot.py) all derive
from this table. Every controller watches `CORE_WATCHED`; a provider adds the kinds its cloud needs in its
declaration (`lbctl.provider.ProviderPlugin.watched`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """One Kubernetes kind: its name, apiVersion and resource (plural) name, scope, and whether it is a
    custom resource (listed through the custom objects API; a CRD not installed means "none yet")."""

    kind: str
    api_version: str
    plural: str
    namespaced: bool = True
    custom: bool = False

    @property
    def group(self) -> str:
        """The API group ("" for the core group)."""
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]


INGRESS = Kind("Ingress", "networking.k8s.io/v1", "ingresses")
INGRESS_CLASS = Kind("IngressClass", "networking.k8s.io/v1", "ingressclasses", namespaced=False)
SERVICE = Kind("Service", "v1", "services")
ENDPOINT_SLICE = Kind("EndpointSlice", "discovery.k8s.io/v1", "endpointslices")
NODE = Kind("Node", "v1", "nodes", namespaced=False)
SECRET = Kind("Secret", "v1", "secrets")
POD = Kind("Pod", "v1", "pods")
# Namespace labels, for the namespaceSelector of an IngressClassParams (model/alb_params.py).
NAMESPACE = Kind("Namespace", "v1", "namespaces", namespaced=False)
# GKE's custom resources, read by the GCE annotation semantics (model/gce.py).
BACKEND_CONFIG = Kind("BackendConfig", "cloud.google.com/v1", "backendconfigs", custom=True)
FRONTEND_CONFIG = Kind("FrontendConfig", "networking.gke.io/v1beta1", "frontendconfigs", custom=True)
# gke-managed-certs' ManagedCertificate: the domains of a Google-managed certificate; lbctl writes its status.
MANAGED_CERTIFICATE = Kind("ManagedCertificate", "networking.gke.io/v1", "managedcertificates", custom=True)
# aws-load-balancer-controller's TargetGroupBinding: targets registered into a target group made elsewhere.
TARGET_GROUP_BINDING = Kind("TargetGroupBinding", "elbv2.k8s.aws/v1beta1", "targetgroupbindings", custom=True)
# aws-load-balancer-controller's class parameters (cluster-scoped), read by the ALB profile (model/alb_params.py).
INGRESS_CLASS_PARAMS = Kind(
    "IngressClassParams", "elbv2.k8s.aws/v1beta1", "ingressclassparams", namespaced=False, custom=True
)

# Gateway API (standard channel, CRDs users install; model/gateway.py). Not in KNOWN_KINDS: the controller
# watches them only when their CRDs exist, and the snapshot keeps them parsed (ClusterSnapshot.gateway_api).
GATEWAY_CLASS = Kind(
    "GatewayClass", "gateway.networking.k8s.io/v1", "gatewayclasses", namespaced=False, custom=True
)
GATEWAY = Kind("Gateway", "gateway.networking.k8s.io/v1", "gateways", custom=True)
HTTP_ROUTE = Kind("HTTPRoute", "gateway.networking.k8s.io/v1", "httproutes", custom=True)
GRPC_ROUTE = Kind("GRPCRoute", "gateway.networking.k8s.io/v1", "grpcroutes", custom=True)
REFERENCE_GRANT = Kind("ReferenceGrant", "gateway.networking.k8s.io/v1", "referencegrants", custom=True)
GATEWAY_KINDS: tuple[Kind, ...] = (GATEWAY_CLASS, GATEWAY, HTTP_ROUTE, GRPC_ROUTE, REFERENCE_GRANT)
# The anchors' policy kinds for Gateway API load balancers (model/gateway_policies.py), watched like the Gateway
# API kinds (only while their CRDs exist) by the provider whose profile reads them; kept as CustomObjects.
LOAD_BALANCER_CONFIGURATION = Kind(
    "LoadBalancerConfiguration", "gateway.k8s.aws/v1", "loadbalancerconfigurations", custom=True
)
TARGET_GROUP_CONFIGURATION = Kind(
    "TargetGroupConfiguration", "gateway.k8s.aws/v1", "targetgroupconfigurations", custom=True
)
LISTENER_RULE_CONFIGURATION = Kind(
    "ListenerRuleConfiguration", "gateway.k8s.aws/v1", "listenerruleconfigurations", custom=True
)
HEALTH_CHECK_POLICY = Kind("HealthCheckPolicy", "networking.gke.io/v1", "healthcheckpolicies", custom=True)
GCP_BACKEND_POLICY = Kind("GCPBackendPolicy", "networking.gke.io/v1", "gcpbackendpolicies", custom=True)
GCP_GATEWAY_POLICY = Kind("GCPGatewayPolicy", "networking.gke.io/v1", "gcpgatewaypolicies", custom=True)
POLICY_KINDS: tuple[Kind, ...] = (
    LOAD_BALANCER_CONFIGURATION,
    TARGET_GROUP_CONFIGURATION,
    LISTENER_RULE_CONFIGURATION,
    HEALTH_CHECK_POLICY,
    GCP_BACKEND_POLICY,
    GCP_GATEWAY_POLICY,
)

# What every controller lists and watches, whatever its cloud.
CORE_WATCHED: tuple[Kind, ...] = (INGRESS, INGRESS_CLASS, SERVICE, ENDPOINT_SLICE, NODE, SECRET)
# Kinds the model can read that only some providers watch (they name them in their declaration).
OPTIONAL_KINDS: tuple[Kind, ...] = (
    POD,
    NAMESPACE,
    BACKEND_CONFIG,
    FRONTEND_CONFIG,
    MANAGED_CERTIFICATE,
    TARGET_GROUP_BINDING,
    INGRESS_CLASS_PARAMS,
)
KNOWN_KINDS: tuple[Kind, ...] = CORE_WATCHED + OPTIONAL_KINDS
CUSTOM_KINDS: tuple[Kind, ...] = tuple(k for k in KNOWN_KINDS if k.custom)


def kinds_named(names: Iterable[str]) -> tuple[Kind, ...]:
    """The known kinds of these names (unknown names left out)."""
    return tuple(k for k in (kind_named(n) for n in names) if k is not None)


def kind_named(kind: str) -> Kind | None:
    """The known kind called `kind` (e.g. "IngressClassParams", "Gateway"), if lbctl reads it."""
    return next((k for k in KNOWN_KINDS + GATEWAY_KINDS + POLICY_KINDS if k.kind == kind), None)

"""ingress-gce's regional classes in the model: `gce-internal` (internal Application Load Balancer) and
`gce-regional-external` (regional external Application Load Balancer), chosen by the class annotation
(`a.INGRESS_CLASS`), as ingress-gce chooses them (pkg/utils IsGCEL7ILBIngress). What
ingress-gce requires of them, and what lbctl does not build for them, is refused here naming the field."""

from __future__ import annotations

from collections.abc import Callable

from lbctl.model import annotations as a
from lbctl.model.classes import GCE_INTERNAL_CLASS, GCE_REGIONAL_CLASSES
from lbctl.model.objects import Ingress, Service
from lbctl.model.problems import SpecError
from lbctl.model.registry import ParsedAnnotations, annotation_field
from lbctl.model.spec import Backend, Listener

Fail = Callable[[str, str], SpecError]

# ingress-gce's event when a gce-internal Ingress serves HTTP and HTTPS without a static IP (pkg/loadbalancers)
SHARED_VIP_NEEDED = (
    "gce-internal Ingress class must be configured with a static-ip to use both HTTP and HTTPS served on the "
    "same IP. Please configure a static-ip with Purpose=SHARED_LOADBALANCER_VIP and attach it to the ingress "
    f"with the {a.REGIONAL_STATIC_IP} annotation (gcloud compute addresses create NAME --region=REGION "
    f"--subnet=SUBNET --purpose=SHARED_LOADBALANCER_VIP), or set {a.ALLOW_HTTP}: 'false'"
)


def regional_class(ingress: Ingress, parsed: ParsedAnnotations, fail: Fail) -> str | None:
    """`gce-internal` or `gce-regional-external` when the class annotation names one, else None. ingress-gce
    reads these classes from the annotation only: `spec.ingressClassName` naming one is refused, not served
    as a global load balancer."""
    annotated = str(parsed.get(a.INGRESS_CLASS) or "").strip()
    if annotated in GCE_REGIONAL_CLASSES:
        return annotated
    if not annotated and ingress.class_name in GCE_REGIONAL_CLASSES:
        raise fail(
            "spec.ingressClassName",
            f"ingress-gce serves {ingress.class_name} only through the {a.INGRESS_CLASS} annotation: set "
            f"{a.INGRESS_CLASS}: {ingress.class_name} instead of spec.ingressClassName",
        )
    return None


def static_ip(cls: str | None, parsed: ParsedAnnotations, fail: Fail) -> str | None:
    """The address the forwarding rules use: the regional one for a regional class, the global one else."""
    global_ip, regional_ip = parsed.get(a.GLOBAL_STATIC_IP), parsed.get(a.REGIONAL_STATIC_IP)
    if global_ip and regional_ip:
        raise fail(
            annotation_field(a.REGIONAL_STATIC_IP),
            f"both global-static-ip and regional-static-ip cannot be specified: keep {a.GLOBAL_STATIC_IP} "
            f"for class gce, {a.REGIONAL_STATIC_IP} for {' and '.join(GCE_REGIONAL_CLASSES)}",
        )
    if cls is None and regional_ip:
        raise fail(
            annotation_field(a.REGIONAL_STATIC_IP),
            f"is for the {' and '.join(GCE_REGIONAL_CLASSES)} classes; this Ingress is a global load balancer "
            f"(class gce): name a global address in {a.GLOBAL_STATIC_IP}",
        )
    if cls is not None and global_ip:
        raise fail(
            annotation_field(a.GLOBAL_STATIC_IP),
            f"names a global address, which a regional load balancer ({cls}) cannot use: reserve a regional "
            f"address and name it in {a.REGIONAL_STATIC_IP}",
        )
    chosen = regional_ip if cls else global_ip
    return str(chosen) if chosen else None


def check_frontend(
    cls: str, listeners: list[Listener], address: str | None, fail: Fail, ssl_field: str
) -> None:
    """ingress-gce's rule for HTTP and HTTPS on one internal IP; regional SSL policies are not built."""
    protocols = {listener.protocol for listener in listeners}
    if cls == GCE_INTERNAL_CLASS and protocols == {"HTTP", "HTTPS"} and not address:
        raise fail(annotation_field(a.REGIONAL_STATIC_IP), SHARED_VIP_NEEDED)
    if any(cert.kind == "managed" for listener in listeners for cert in listener.certificates):
        raise fail(
            annotation_field(a.MANAGED_CERTIFICATES),
            f"Google-managed certificates (ManagedCertificate) serve global load balancers only, not {cls}: "
            "use spec.tls Secrets or regional pre-shared certificates",
        )
    if any(listener.ssl_policy for listener in listeners):
        raise fail(
            ssl_field,
            f"lbctl does not attach SSL policies to regional load balancers ({cls}) yet: remove sslPolicy "
            "from the FrontendConfig",
        )


def check_backend(cls: str, backend: Backend, service: Service, fail: Fail) -> None:
    """Regional Application Load Balancers take NEG backends only, as ingress-gce requires; Cloud CDN and
    Cloud Armor policies are for global load balancers."""
    if backend.target_type != "ip":
        raise fail(
            f"Service {service.ref.key} {annotation_field(a.NEG)}",
            f"Service {service.ref.key} is a backend of a {cls} Ingress, which needs container-native load "
            f"balancing: annotate the Service with {a.NEG}: '{{\"ingress\": true}}'",
        )
    config = backend.backend_config
    if "backend_config" not in backend.fields:
        return  # no BackendConfig: the model's defaults (no CDN, no Cloud Armor) fit a regional backend
    where = backend.field_of("backend_config")
    if config["cdn"]["enabled"]:
        raise fail(f"{where}.cdn", f"Cloud CDN serves global load balancers only, not {cls}: disable cdn")
    if config.get("securityPolicy"):
        raise fail(
            f"{where}.securityPolicy",
            f"lbctl does not attach Cloud Armor policies to regional load balancers ({cls}): remove it",
        )

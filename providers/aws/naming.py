"""Deterministic names and ownership tags of the AWS resources lbctl creates.

Names are readable in the console (`k8s-<ns>-<name>-<hash>`) and stay within ELB's 32 characters;
the hash covers the inputs AWS cannot change in place, so a change of those yields a new name.
Ownership is carried by tags under one prefix; discovery reads only these tags, never names.
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Any

from lbctl.provider import Secret

TAG_PREFIX = "lbctl.io/"
CLUSTER_TAG = TAG_PREFIX + "cluster"
STACK_TAG = TAG_PREFIX + "stack"
RESOURCE_TAG = TAG_PREFIX + "resource"
CONTENT_HASH_TAG = TAG_PREFIX + "content-hash"
# Bookkeeping of what we set, so that removing an annotation can undo it:
ATTRIBUTES_TAG = TAG_PREFIX + "attributes"  # comma-joined attribute keys we set, "*" when too long for a tag
WAF_TAG = TAG_PREFIX + "wafv2-acl"  # the web ACL we associated
CLIENT_SECRET_TAG = TAG_PREFIX + "client-secret"  # a salted, slow fingerprint of the OIDC client credentials
MANAGED_TAGS = (ATTRIBUTES_TAG, WAF_TAG, CLIENT_SECRET_TAG)  # our tags that come and go with the spec
# On a target group: `node-sg/<security group ID>` = "<from>-<to>", the ports its targets need opened there
# to the shared backend security group (any converge reads the cluster's needs from these tags).
NODE_SG_TAG = TAG_PREFIX + "node-sg/"
MAX_TAG_VALUE = 256
WAF_CLASSIC_KIND = "WAFClassic"  # the kind of waf-regional steps (its operations are named as WAFv2's)
# Shield Advanced protections are ours by name (as the anchor's are): we create them under the first name and
# delete only those carrying one of these names, never a protection somebody else made.
SHIELD_PROTECTION_NAME = "managed by lbctl"
SHIELD_PROTECTION_NAMES = (SHIELD_PROTECTION_NAME, "managed by aws-load-balancer-controller")

ROLE_LOAD_BALANCER = "LoadBalancer"
ROLE_SECURITY_GROUP = "SecurityGroup"
ROLE_TARGET_GROUP = "TargetGroup:"  # + backend key
ROLE_LISTENER = "Listener:"  # + port
ROLE_RULE = "Rule"
ROLE_CERTIFICATE = "Certificate:"  # + "ns/secret"
ROLE_REQUESTED_CERTIFICATE = "RequestedCertificate:"  # + "ns/name" of the Ingress (create-acm-cert)
ROLE_FRONTEND_NLB = "FrontendNlb"  # the NLB in front of the stack's ALB (enable-frontend-nlb)
ROLE_FRONTEND_TARGET_GROUP = "FrontendNlbTargetGroup:"  # + NLB port
ROLE_FRONTEND_LISTENER = "FrontendNlbListener:"  # + NLB port
ROLE_BACKEND_SG = "backend-sg"  # the cluster's one shared backend security group (no stack)

# The shared backend security group is named and tagged as aws-load-balancer-controller does, so that a cluster
# moving over keeps using the same group and the same node security group rules.
LBC_CLUSTER_TAG = "elbv2.k8s.aws/cluster"
LBC_RESOURCE_TAG = "elbv2.k8s.aws/resource"
BACKEND_SG_DESCRIPTION = "[k8s] Shared Backend SecurityGroup for LoadBalancer"
BACKEND_RULE_DESCRIPTION = "elbv2.k8s.aws/targetGroupBinding=shared"  # on each node/pod SG rule we manage
NODE_CLUSTER_TAG = "kubernetes.io/cluster/"  # + cluster: marks the node SG when an ENI has several

_INVALID = re.compile(r"[^a-zA-Z0-9]+")


def short_hash(*parts: object, length: int = 10) -> str:
    """A stable hex digest of the parts."""
    digest = hashlib.sha256("\0".join(str(p) for p in parts).encode()).hexdigest()
    return digest[:length]


def _clean(text: str, limit: int) -> str:
    return _INVALID.sub("", text)[:limit].lower()


def _readable(stack: str) -> tuple[str, str]:
    namespace, _, name = stack.partition("/")
    return (namespace, name) if name else (stack, "")


def _join(*parts: str) -> str:
    return "-".join(p for p in parts if p)


def load_balancer_name(cluster: str, stack: str, scheme: str, explicit: str | None = None) -> str:
    """`k8s-<ns>-<name>-<hash>` (≤ 32 chars) unless the Ingress names the load balancer."""
    if explicit:
        return explicit
    namespace, name = _readable(stack)
    return _join("k8s", _clean(namespace, 8), _clean(name, 8), short_hash(cluster, stack, scheme))


def target_group_name(
    cluster: str, stack: str, backend_key: str, namespace: str, service: str, immutable: tuple[object, ...]
) -> str:
    """`k8s-<ns>-<svc>-<hash>` (≤ 32 chars); `immutable` = settings that force a replacement."""
    return _join(
        "k8s", _clean(namespace, 8), _clean(service, 8), short_hash(cluster, stack, backend_key, *immutable)
    )


def security_group_name(cluster: str, stack: str) -> str:
    namespace, name = _readable(stack)
    return _join("k8s", _clean(namespace, 8), _clean(name, 8), short_hash(cluster, stack, "sg"))


def ownership_tags(cluster: str, stack: str, role: str) -> dict[str, str]:
    """The tags that mark a resource as ours: cluster, stack and role inside the stack."""
    return {CLUSTER_TAG: cluster, STACK_TAG: stack, RESOURCE_TAG: role}


def attributes_tag(attributes: dict[str, str]) -> dict[str, str]:
    """The bookkeeping tag listing the attribute keys we set (none when we set none)."""
    if not attributes:
        return {}
    value = ",".join(sorted(attributes))
    return {ATTRIBUTES_TAG: value if len(value) <= MAX_TAG_VALUE else "*"}


def user_tags(tags: dict[str, str]) -> dict[str, str]:
    """The tags that are not ours (from the `tags` annotation)."""
    return {k: v for k, v in tags.items() if not is_our_tag(k)}


@functools.lru_cache(maxsize=256)
def _fingerprint(salt: str, client_id: str, client_secret: str) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", f"{client_id}\0{client_secret}".encode(), salt.encode(), 100_000)
    return digest.hex()[:24]


def client_secret_tag(cluster: str, stack: str, actions: list[dict[str, Any]]) -> dict[str, str]:
    """A tag that changes when a rule's OIDC client credentials change (AWS never returns ClientSecret, so this
    is how a rotated Secret is noticed). PBKDF2 salted by cluster and stack: the tag does not reveal the secret."""
    for action in actions:
        config = action.get("AuthenticateOidcConfig") or {}
        secret = config.get("ClientSecret")
        value = secret.value if isinstance(secret, Secret) else secret
        if value:
            return {
                CLIENT_SECRET_TAG: _fingerprint(
                    f"{cluster}\0{stack}", str(config.get("ClientId", "")), str(value)
                )
            }
    return {}


def is_frontend_nlb(tags: dict[str, str]) -> bool:
    """A resource of the stack's frontend NLB (not of its ALB)."""
    return tags.get(RESOURCE_TAG, "").startswith(ROLE_FRONTEND_NLB)


def is_our_tag(key: str) -> bool:
    return key.startswith(TAG_PREFIX)


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def tag_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in tags or []}


def backend_security_group_name(cluster: str) -> str:
    """`k8s-traffic-<cluster>-<hash>`, the anchor's name for the shared backend security group."""
    digest = hashlib.sha256(cluster.encode()).hexdigest()
    return f"k8s-traffic-{_INVALID.sub('', cluster)[:232]}-{digest[:10]}"


def backend_security_group_tags(cluster: str) -> dict[str, str]:
    """The anchor's tags (how the group is found) and ours (what the IAM policy lets us delete)."""
    return {
        LBC_CLUSTER_TAG: cluster,
        LBC_RESOURCE_TAG: ROLE_BACKEND_SG,
        CLUSTER_TAG: cluster,
        RESOURCE_TAG: ROLE_BACKEND_SG,
    }


def node_sg_tags(ranges: dict[str, tuple[int, int]]) -> dict[str, str]:
    """A target group's record of the port range it needs on each node/pod security group."""
    return {NODE_SG_TAG + sg: f"{low}-{high}" for sg, (low, high) in sorted(ranges.items())}


def parse_node_sg_tags(tags: dict[str, str]) -> dict[str, tuple[int, int]]:
    """The ranges a target group's tags record (malformed values, someone else's edit, are skipped)."""
    out: dict[str, tuple[int, int]] = {}
    for key, value in tags.items():
        if not key.startswith(NODE_SG_TAG):
            continue
        low, _, high = value.partition("-")
        if low.isdigit() and high.isdigit():
            out[key[len(NODE_SG_TAG) :]] = (int(low), int(high))
    return out

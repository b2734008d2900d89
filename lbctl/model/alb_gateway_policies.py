"""aws-load-balancer-controller's Gateway configuration kinds (`gateway.k8s.aws/v1`), read as the ALB annotations
they stand for. Pure.

- LoadBalancerConfiguration, from a Gateway's `spec.infrastructure.parametersRef` (same namespace) and from its
  GatewayClass's `spec.parametersRef` (with a namespace): scheme, name, address type, subnets, security groups,
  source ranges, attributes, tags, WAFv2, Shield, capacity, listeners' SSL policy. On a field both set, the
  GatewayClass's wins unless its `mergingMode` is `prefer-gateway`. A field the Gateway's own annotations also set
  is refused: one of the two would be silently ignored.
- TargetGroupConfiguration: the one naming a Service (`targetReference`, in the Service's namespace) over the
  `defaultTargetGroupConfiguration` of those LoadBalancerConfigurations (merged the same way), field by field
  (`healthCheckConfig` as a whole; `targetGroupAttributes` and `tags` key by key). It wins over the Service's
  own annotations.

Every value is parsed by the annotation registry, so it is checked as the annotation would be; the error names
the policy field. Fields with no ALB annotation lbctl applies to a Gateway are refused by name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from lbctl.model import annotations as a
from lbctl.model.gateway import Gateway, GatewayClass
from lbctl.model.gateway_attach import Condition
from lbctl.model.gateway_policies import (
    ACCEPTED,
    ExtensionError,
    Fail,
    GatewayPolicyView,
    PolicyFieldError,
    RuleExtension,
    conflicted,
    of_kind,
    policy_name,
    targeting,
)
from lbctl.model.objects import CustomObject, Service
from lbctl.model.registry import ParsedAnnotations
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.spec import Condition as SpecCondition
from lbctl.model.spec import FixedResponse, Stickiness, TLSCertificate

GROUP = "gateway.k8s.aws"
LOAD_BALANCER_CONFIGURATION = "LoadBalancerConfiguration"
TARGET_GROUP_CONFIGURATION = "TargetGroupConfiguration"
LISTENER_RULE_CONFIGURATION = "ListenerRuleConfiguration"

_LB_STRINGS = {
    "loadBalancerName": a.LOAD_BALANCER_NAME,
    "scheme": a.SCHEME,
    "ipAddressType": a.IP_ADDRESS_TYPE,
    "customerOwnedIpv4Pool": a.CUSTOMER_OWNED_IPV4_POOL,
    "ipv4IPAMPoolId": a.IPAM_IPV4_POOL_ID,
}
_LB_LISTS = {
    "securityGroups": a.SECURITY_GROUPS,
    "securityGroupPrefixes": a.SECURITY_GROUP_PREFIX_LISTS,
    "sourceRanges": a.INBOUND_CIDRS,
}
# LoadBalancerConfiguration fields with no ALB setting lbctl applies to a Gateway (most are NLB ones).
_LB_REFUSED = {
    "enforceSecurityGroupInboundRulesOnPrivateLinkTraffic": "an NLB setting; a Gateway here is an ALB",
    "enableICMP": "an NLB setting; a Gateway here is an ALB",
    "loadBalancerSubnetsSelector": "not supported; name the subnets in loadBalancerSubnets",
    "disableSecurityGroup": "not supported: an ALB always has security groups",
}
_SUBNET_REFUSED = ("eipAllocation", "privateIPv4Allocation", "ipv6Allocation", "sourceNatIPv6Prefix")
_LISTENER_REFUSED = (
    "alpnPolicy",
    "targetGroupStickiness",
    "mutualAuthentication",
    "listenerAttributes",
    "quicEnabled",
)
_HEALTH = {
    "healthCheckPath": a.HEALTHCHECK_PATH,
    "healthCheckPort": a.HEALTHCHECK_PORT,
    "healthCheckProtocol": a.HEALTHCHECK_PROTOCOL,
    "healthCheckInterval": a.HEALTHCHECK_INTERVAL,
    "healthCheckTimeout": a.HEALTHCHECK_TIMEOUT,
    "healthyThresholdCount": a.HEALTHY_THRESHOLD,
    "unhealthyThresholdCount": a.UNHEALTHY_THRESHOLD,
}
_TG_STRINGS = {
    "targetType": a.TARGET_TYPE,
    "protocol": a.BACKEND_PROTOCOL,
    "protocolVersion": a.BACKEND_PROTOCOL_VERSION,
}
_TG_REFUSED = {
    "targetGroupName": "not supported: lbctl names its target groups",
    "enableMultiCluster": "not supported on Gateway backends",
    "targetControlPort": "not supported on Gateway backends",
    "tags": "not supported: target groups carry the Gateway's tags",
}


def _pairs(values: Mapping[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in values.items())


def _key_values(raw: Any, where: str) -> dict[str, str]:
    """`[{key, value}]` as a dict."""
    if not isinstance(raw, list):
        raise PolicyFieldError(where, "expected a list of {key, value}")
    out = {}
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping) or "key" not in item or "value" not in item:
            raise PolicyFieldError(f"{where}[{i}]", "expected {key, value}")
        out[str(item["key"])] = str(item["value"])
    return out


# --------------------------------------------------------------------------- LoadBalancerConfiguration


def _lb_annotations(spec: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """annotation → (value, the spec field it came from); PolicyFieldError for a field lbctl does not apply."""
    out: dict[str, tuple[str, str]] = {}
    for name, why in _LB_REFUSED.items():
        if spec.get(name) not in (None, False):
            raise PolicyFieldError(f"spec.{name}", why)
    for name, annotation in _LB_STRINGS.items():
        if spec.get(name) is not None:
            out[annotation] = (str(spec[name]), f"spec.{name}")
    for name, annotation in _LB_LISTS.items():
        if spec.get(name) is not None:
            if not isinstance(spec[name], list):
                raise PolicyFieldError(f"spec.{name}", "expected a list of strings")
            out[annotation] = (",".join(str(v) for v in spec[name]), f"spec.{name}")
    subnets = spec.get("loadBalancerSubnets")
    if subnets is not None:
        ids = []
        for i, subnet in enumerate(subnets if isinstance(subnets, list) else [None]):
            where = f"spec.loadBalancerSubnets[{i}]"
            if not isinstance(subnet, Mapping) or not subnet.get("identifier"):
                raise PolicyFieldError(f"{where}.identifier", "Required value")
            for name in _SUBNET_REFUSED:
                if subnet.get(name) is not None:
                    raise PolicyFieldError(f"{where}.{name}", "an NLB setting; a Gateway here is an ALB")
            ids.append(str(subnet["identifier"]))
        out[a.SUBNETS] = (",".join(ids), "spec.loadBalancerSubnets")
    if spec.get("loadBalancerAttributes") is not None:
        values = _key_values(spec["loadBalancerAttributes"], "spec.loadBalancerAttributes")
        out[a.LOAD_BALANCER_ATTRIBUTES] = (_pairs(values), "spec.loadBalancerAttributes")
    if isinstance(spec.get("tags"), Mapping):
        out[a.TAGS] = (_pairs(spec["tags"]), "spec.tags")
    if spec.get("manageBackendSecurityGroupRules") is not None:
        value = "true" if spec["manageBackendSecurityGroupRules"] else "false"
        out[a.MANAGE_BACKEND_SG_RULES] = (value, "spec.manageBackendSecurityGroupRules")
    capacity = spec.get("minimumLoadBalancerCapacity")
    if isinstance(capacity, Mapping):
        units = capacity.get("capacityUnits")
        out[a.MINIMUM_LB_CAPACITY] = (
            f"CapacityUnits={units}",
            "spec.minimumLoadBalancerCapacity.capacityUnits",
        )
    waf = spec.get("wafV2")
    if isinstance(waf, Mapping) and waf.get("webACL"):
        acl = str(waf["webACL"])
        annotation = a.WAFV2_ACL_ARN if acl.startswith("arn:") else a.WAFV2_ACL_NAME
        out[annotation] = (acl, "spec.wafV2.webACL")
    shield = spec.get("shieldConfiguration")
    if isinstance(shield, Mapping):
        value = "true" if shield.get("enabled") else "false"
        out[a.SHIELD_ADVANCED_PROTECTION] = (value, "spec.shieldConfiguration.enabled")
    policies = set()
    for i, listener in enumerate(spec.get("listenerConfigurations") or []):
        where = f"spec.listenerConfigurations[{i}]"
        if not isinstance(listener, Mapping):
            raise PolicyFieldError(where, "expected an object")
        for name in _LISTENER_REFUSED:
            if listener.get(name) not in (None, False, []):
                raise PolicyFieldError(f"{where}.{name}", "not supported on Gateway listeners here")
        if listener.get("sslPolicy") is not None:
            if not str(listener.get("protocolPort", "")).startswith("HTTPS:"):
                raise PolicyFieldError(f"{where}.protocolPort", "an sslPolicy needs an HTTPS:<port> listener")
            policies.add(str(listener["sslPolicy"]))
    if len(policies) > 1:
        raise PolicyFieldError(
            "spec.listenerConfigurations", "one sslPolicy for every HTTPS listener of the Gateway"
        )
    if policies:
        out[a.SSL_POLICY] = (policies.pop(), "spec.listenerConfigurations[].sslPolicy")
    return out


def _lb_certificates(spec: Mapping[str, Any]) -> dict[int, list[TLSCertificate]]:
    """ACM certificates of the HTTPS listeners by port: `defaultCertificate` first, then `certificates`."""
    out: dict[int, list[TLSCertificate]] = {}
    for i, listener in enumerate(spec.get("listenerConfigurations") or []):
        if not isinstance(listener, Mapping):
            continue
        where = f"spec.listenerConfigurations[{i}]"
        arns = [listener["defaultCertificate"]] if listener.get("defaultCertificate") else []
        arns += [arn for arn in listener.get("certificates") or [] if arn and arn not in arns]
        if not arns:
            continue
        protocol, _, port = str(listener.get("protocolPort", "")).partition(":")
        if protocol != "HTTPS" or not port.isdigit():
            raise PolicyFieldError(f"{where}.protocolPort", "certificates need an HTTPS:<port> listener")
        checked = a.REGISTRY.parse({a.CERTIFICATE_ARN: ",".join(str(x) for x in arns)}, "Ingress", where)
        if checked.errors:  # held to what the certificate-arn annotation takes
            raise PolicyFieldError(f"{where}.certificates", checked.errors[0].message)
        out[int(port)] = [TLSCertificate("arn", str(arn)) for arn in arns]
    return out


# --------------------------------------------------------------------------- TargetGroupConfiguration


def _tg_annotations(props: Mapping[str, Any], where: str) -> dict[str, tuple[str, str]]:
    """The annotation values of one TargetGroupProps (merged), each with its field under `where`."""
    out: dict[str, tuple[str, str]] = {}
    for name, why in _TG_REFUSED.items():
        if props.get(name) not in (None, False, {}):
            raise PolicyFieldError(f"{where}.{name}", why)
    if props.get("ipAddressType") not in (None, "ipv4"):
        raise PolicyFieldError(
            f"{where}.ipAddressType", "only ipv4 target groups are supported on Gateway backends"
        )
    for name, annotation in _TG_STRINGS.items():
        if props.get(name) is not None:
            out[annotation] = (str(props[name]), f"{where}.{name}")
    health = props.get("healthCheckConfig")
    if isinstance(health, Mapping):
        for name, annotation in _HEALTH.items():
            if health.get(name) is not None:
                out[annotation] = (str(health[name]), f"{where}.healthCheckConfig.{name}")
        matcher = health.get("matcher")
        if isinstance(matcher, Mapping):
            if matcher.get("httpCode") and matcher.get("grpcCode"):
                raise PolicyFieldError(
                    f"{where}.healthCheckConfig.matcher", "set httpCode or grpcCode, not both"
                )
            for name in ("httpCode", "grpcCode"):
                if matcher.get(name):
                    out[a.SUCCESS_CODES] = (str(matcher[name]), f"{where}.healthCheckConfig.matcher.{name}")
    if props.get("targetGroupAttributes"):
        values = _key_values(props["targetGroupAttributes"], f"{where}.targetGroupAttributes")
        out[a.TARGET_GROUP_ATTRIBUTES] = (_pairs(values), f"{where}.targetGroupAttributes")
    selector = props.get("nodeSelector")
    if isinstance(selector, Mapping):
        if selector.get("matchExpressions"):
            raise PolicyFieldError(f"{where}.nodeSelector.matchExpressions", "not supported; use matchLabels")
        labels = selector.get("matchLabels") or {}
        out[a.TARGET_NODE_LABELS] = (_pairs(labels), f"{where}.nodeSelector.matchLabels")
    return out


def _merge_props(high: Mapping[str, Any], low: Mapping[str, Any]) -> dict[str, Any]:
    """TargetGroupProps field by field (`high` wins); attributes and tags merged key by key."""
    out = {**low, **high}
    attributes = "targetGroupAttributes"
    if isinstance(high.get(attributes), list) and isinstance(low.get(attributes), list):
        keys = {str(i.get("key")) for i in high[attributes] if isinstance(i, Mapping)}
        out[attributes] = [*high[attributes], *(i for i in low[attributes] if str(i.get("key")) not in keys)]
    if isinstance(high.get("tags"), Mapping) and isinstance(low.get("tags"), Mapping):
        out["tags"] = {**low["tags"], **high["tags"]}
    return out


def _prop(field: str) -> str:
    """The TargetGroupProps field a "spec.defaultConfiguration.<prop>…" path is under."""
    return field.split(".")[2].split("[")[0]


@dataclasses.dataclass
class _TargetGroups:
    """The ServicePolicies of one Gateway: TargetGroupConfigurations over the Gateway's default ones."""

    snapshot: ClusterSnapshot
    view: GatewayPolicyView
    default: Mapping[str, Any]  # the merged defaultConfiguration of the default TGCs
    default_origin: Mapping[str, str]  # each of its fields → the policy it came from

    def annotations(self, service: Service, parsed: ParsedAnnotations, fail: Fail) -> ParsedAnnotations:
        found = targeting(
            of_kind(self.snapshot, TARGET_GROUP_CONFIGURATION, service.namespace),
            "targetReference",
            "Service",
            service.name,
            ("",),
            default_kind="Service",
        )
        own = found[0] if found else None
        for other in found[1:]:
            self.view.report(other, conflicted(found[0]))
        props: Mapping[str, Any] = self.default
        origin = dict(self.default_origin)
        if own is not None:
            if own.spec.get("routeConfigurations"):
                message = "route-specific target group settings are not supported; use defaultConfiguration"
                self.view.report(own, Condition("Accepted", "False", "Invalid", message))
                raise fail(f"{policy_name(own)} spec.routeConfigurations", message)
            mine = own.spec.get("defaultConfiguration") or {}
            props = _merge_props(mine, self.default)
            origin.update({k: policy_name(own) for k in mine})
        if not props:
            return parsed
        try:
            wanted = _tg_annotations(props, "spec.defaultConfiguration")
        except PolicyFieldError as err:
            who = origin.get(_prop(err.field), "TargetGroupConfiguration")
            if own is not None and who == policy_name(own):
                self.view.report(
                    own, Condition("Accepted", "False", "Invalid", f"{err.field}: {err.message}")
                )
            raise fail(f"{who} {err.field}", err.message) from None
        values = {k: v for k, (v, _) in wanted.items()}
        fields = {k: f"{origin.get(_prop(f), '')} {f}" for k, (_, f) in wanted.items()}
        out = _parsed(values, fields, f"Service {service.ref.key}", fail, parsed)
        if own is not None:
            self.view.report(own, ACCEPTED)
        return out

    def backend_config(self, service: Service, fail: Fail) -> None:
        return None


def _parsed(
    values: Mapping[str, str],
    fields: Mapping[str, str],
    subject: str,
    fail: Fail,
    base: ParsedAnnotations,
) -> ParsedAnnotations:
    """`base` with the policy values on top, parsed by the registry (an error names the policy field); each
    pinned with its field, so Sources name the policy."""
    parsed = base.registry.parse(values, "Service", subject)
    for problem in parsed.errors:
        name = problem.field.removeprefix("metadata.annotations[").removesuffix("]")
        raise fail(fields.get(name, problem.field), problem.message)
    out = dataclasses.replace(
        base,
        values={**base.values, **parsed.values},
        pinned={**base.pinned, **{k: fields[k] for k in parsed.values}},
        pinned_kind=TARGET_GROUP_CONFIGURATION,
    )
    return out


# --------------------------------------------------------------------------- ListenerRuleConfiguration

_RULE_ACTIONS_REFUSED = {
    "authenticate-cognito": "not supported on Gateway routes here",
    "authenticate-oidc": "not supported on Gateway routes here",
    "jwt-validation": "not supported on Gateway routes here",
}


def rule_extension(spec: Mapping[str, Any]) -> RuleExtension:
    """A ListenerRuleConfiguration's spec as what it adds to a rule; PolicyFieldError naming a field lbctl does not
    apply."""
    out = RuleExtension()
    if spec.get("tags"):
        raise PolicyFieldError("spec.tags", "not supported: listener rules carry the Gateway's tags")
    indexes: set[int] | None = None
    for i, condition in enumerate(spec.get("conditions") or []):
        where = f"spec.conditions[{i}]"
        if not isinstance(condition, Mapping) or condition.get("field") != "source-ip":
            raise PolicyFieldError(f"{where}.field", "expected source-ip")
        values = (condition.get("sourceIPConfig") or {}).get("values") or []
        if not values:
            raise PolicyFieldError(f"{where}.sourceIPConfig.values", "Required value")
        checked = a.REGISTRY.parse({a.INBOUND_CIDRS: ",".join(str(v) for v in values)}, "Ingress", where)
        if checked.errors:  # CIDRs, as inbound-cidrs takes them
            raise PolicyFieldError(f"{where}.sourceIPConfig.values", checked.errors[0].message)
        out.conditions.append(SpecCondition("source-ip", [str(v) for v in values]))
        if condition.get("matchIndexes") is not None:
            indexes = (indexes or set()) | {int(x) for x in condition["matchIndexes"]}
    out.match_indexes = frozenset(indexes) if indexes is not None else None
    for i, action in enumerate(spec.get("actions") or []):
        where = f"spec.actions[{i}]"
        kind = action.get("type") if isinstance(action, Mapping) else None
        if kind in _RULE_ACTIONS_REFUSED:
            raise PolicyFieldError(f"{where}.type", f"{kind}: {_RULE_ACTIONS_REFUSED[kind]}")
        if kind == "fixed-response":
            config = action.get("fixedResponseConfig") or {}
            if "statusCode" not in config:
                raise PolicyFieldError(f"{where}.fixedResponseConfig.statusCode", "Required value")
            out.fixed_response = FixedResponse(
                str(config["statusCode"]), config.get("contentType"), config.get("messageBody")
            )
        elif kind == "forward":
            sticky = (action.get("forwardConfig") or {}).get("targetGroupStickinessConfig") or {}
            out.stickiness = Stickiness(bool(sticky.get("enabled")), sticky.get("durationSeconds"))
        elif kind == "redirect":
            out.redirect_query = (action.get("redirectConfig") or {}).get("query")
        else:
            raise PolicyFieldError(f"{where}.type", "expected forward, redirect or fixed-response")
    return out


# --------------------------------------------------------------------------- the reader


def _lb_configuration(
    snapshot: ClusterSnapshot, ref: Mapping[str, Any] | None, namespace: str | None, where: str
) -> CustomObject | None:
    """The LoadBalancerConfiguration a parametersRef names; PolicyFieldError when it names another kind or is missing."""
    if not ref:
        return None
    if ref.get("group") != GROUP or ref.get("kind") != LOAD_BALANCER_CONFIGURATION:
        raise PolicyFieldError(where, f"expected group {GROUP}, kind {LOAD_BALANCER_CONFIGURATION}")
    if not namespace:
        raise PolicyFieldError(
            f"{where}.namespace", "Required value: a LoadBalancerConfiguration is namespaced"
        )
    found = snapshot.custom_object(LOAD_BALANCER_CONFIGURATION, namespace, str(ref.get("name")))
    if found is None:
        raise PolicyFieldError(
            where, f"{LOAD_BALANCER_CONFIGURATION} {namespace}/{ref.get('name')} not found"
        )
    return found


class AlbGatewayPolicies:
    """The GatewayPolicyReader of the ALB profile."""

    kinds: tuple[str, ...] = (
        LOAD_BALANCER_CONFIGURATION,
        TARGET_GROUP_CONFIGURATION,
        LISTENER_RULE_CONFIGURATION,
    )
    status_kinds: tuple[str, ...] = ()  # their schemas have no conditions
    class_parameters: tuple[tuple[str, str], ...] = ((GROUP, LOAD_BALANCER_CONFIGURATION),)

    def read(
        self, gateway: Gateway, gateway_class: GatewayClass, snapshot: ClusterSnapshot
    ) -> GatewayPolicyView:
        view = GatewayPolicyView()
        try:
            own = _lb_configuration(
                snapshot,
                gateway.infrastructure.parameters_ref,
                gateway.namespace,
                "spec.infrastructure.parametersRef",
            )
            class_ref = gateway_class.parameters_ref or {}
            of_class = _lb_configuration(
                snapshot, class_ref or None, class_ref.get("namespace"), "spec.parametersRef"
            )
        except PolicyFieldError as err:
            where = err.field
            if not where.startswith("spec.infrastructure"):
                where = f"GatewayClass {gateway_class.name} {where}"
            view.refusal = ("InvalidParameters", where, err.message)
            return view
        prefer_gateway = of_class is not None and of_class.spec.get("mergingMode") == "prefer-gateway"
        order = [c for c in ((own, of_class) if prefer_gateway else (of_class, own)) if c is not None]
        defaults: dict[str, Any] = {}
        default_origin: dict[str, str] = {}
        for config in reversed(order):  # the lower one first: the higher overwrites
            try:
                for annotation, (value, field) in _lb_annotations(config.spec).items():
                    view.annotations[annotation] = value
                    view.fields[annotation] = f"{policy_name(config)} {field}"
                view.certificates.update(_lb_certificates(config.spec))
                tgc = self._default_tgc(snapshot, config)
            except PolicyFieldError as err:
                view.refusal = ("InvalidParameters", f"{policy_name(config)} {err.field}", err.message)
                return view
            if tgc is not None:
                props = tgc.spec.get("defaultConfiguration") or {}
                defaults = _merge_props(props, defaults)
                default_origin.update({k: policy_name(tgc) for k in props})
        for name in view.annotations:
            if name in gateway.annotations:
                view.refusal = (
                    "InvalidParameters",
                    f"metadata.annotations[{name}]",
                    f"also set by {view.fields[name]}; remove one of the two",
                )
                return view
        view.services = _TargetGroups(snapshot, view, defaults, default_origin)
        return view

    def rule_extension(
        self, namespace: str, ref: Mapping[str, Any], snapshot: ClusterSnapshot
    ) -> RuleExtension:
        if ref.get("group") != GROUP or ref.get("kind") != LISTENER_RULE_CONFIGURATION:
            raise ExtensionError(
                "extensionRef", f"expected group {GROUP}, kind {LISTENER_RULE_CONFIGURATION}", missing=True
            )
        found = snapshot.custom_object(LISTENER_RULE_CONFIGURATION, namespace, str(ref.get("name")))
        if found is None:
            raise ExtensionError(
                "extensionRef", f"{LISTENER_RULE_CONFIGURATION} {namespace}/{ref.get('name')} not found", True
            )
        try:
            return rule_extension(found.spec)
        except PolicyFieldError as err:
            raise ExtensionError(f"{policy_name(found)} {err.field}", err.message) from None

    @staticmethod
    def _default_tgc(snapshot: ClusterSnapshot, config: CustomObject) -> CustomObject | None:
        ref = config.spec.get("defaultTargetGroupConfiguration")
        if not isinstance(ref, Mapping):
            return None
        found = snapshot.custom_object(TARGET_GROUP_CONFIGURATION, config.namespace, str(ref.get("name")))
        if found is None:
            raise PolicyFieldError(
                "spec.defaultTargetGroupConfiguration",
                f"{TARGET_GROUP_CONFIGURATION} {config.namespace}/{ref.get('name')} not found",
            )
        if found.spec.get("targetReference"):
            raise PolicyFieldError(
                "spec.defaultTargetGroupConfiguration",
                f"{policy_name(found)} has a targetReference; a default one must not",
            )
        return found


__all__ = ["AlbGatewayPolicies"]

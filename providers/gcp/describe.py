"""What a user checks in the Google Cloud console for one stack, read from Compute (ours only)."""

from __future__ import annotations

from typing import Any

from google.api_core import exceptions
from google.cloud import compute_v1

from .clients import Compute, scope_args, to_dict
from .discover import Inventory

CONSOLE = "https://console.cloud.google.com"


def _last(url: str | None) -> str:
    return (url or "").rstrip("/").rsplit("/", 1)[-1]


def _record(owner: dict[str, Any]) -> dict[str, str]:
    return {f"description.{k}": str(v) for k, v in sorted(owner.items())}


def _match_text(match: dict[str, Any]) -> str:
    """One matchRule as its conditions: the path match, then each header and query parameter match."""
    parts = []
    for key, label in (
        ("fullPathMatch", "path"),
        ("prefixMatch", "path prefix"),
        ("regexMatch", "path regex"),
    ):
        if match.get(key):
            parts.append(f"{label} {match[key]}")
    for header in match.get("headerMatches") or []:
        kind = next(
            (k for k in ("exactMatch", "regexMatch", "prefixMatch", "suffixMatch") if k in header), ""
        )
        name = "method" if header.get("headerName") == ":method" else f"header {header.get('headerName')}"
        parts.append(f"{name} {'~ ' if kind == 'regexMatch' else ''}{header.get(kind, 'present')}")
    for query in match.get("queryParameterMatches") or []:
        value = query.get("exactMatch") or (
            f"~ {query['regexMatch']}" if "regexMatch" in query else "present"
        )
        parts.append(f"query {query.get('name')}={value}")
    return " and ".join(parts) or "any path"


def _action_text(rule: dict[str, Any], service_key: str = "service", action_key: str = "routeAction") -> str:
    """What a routeRule (or a matcher's default) does: redirect, fault-injected answer or backends."""
    redirect = rule.get("urlRedirect") or rule.get("defaultUrlRedirect")
    if redirect:
        target = redirect.get("pathRedirect") or redirect.get("prefixRedirect") or "the same path"
        scheme = " over HTTPS" if redirect.get("httpsRedirect") else ""
        host = f" on {redirect['hostRedirect']}" if redirect.get("hostRedirect") else ""
        return f"redirect {redirect.get('redirectResponseCode', '')} to {target}{host}{scheme}"
    action = rule.get(action_key) or {}
    abort = (action.get("faultInjectionPolicy") or {}).get("abort") or {}
    if abort.get("percentage") == 100:
        return f"answer {abort.get('httpStatus')}"
    weighted = action.get("weightedBackendServices") or []
    text = "→ " + (
        ", ".join(f"{_last(w.get('backendService'))} (weight {w.get('weight', 0)})" for w in weighted)
        if weighted
        else _last(rule.get(service_key))
    )
    rewrite = action.get("urlRewrite") or {}
    if rewrite.get("pathPrefixRewrite"):
        text += f" (rewrite prefix to {rewrite['pathPrefixRewrite']})"
    if rewrite.get("hostRewrite"):
        text += f" (host {rewrite['hostRewrite']})"
    if action.get("timeout"):
        text += f" (timeout {action['timeout'].get('seconds', 0)}s)"
    return text


def _route_rules(matcher: dict[str, Any], hosts: str, first: int) -> list[dict[str, Any]]:
    """A path matcher's routeRules in priority order, then its default."""
    rules: list[dict[str, Any]] = []
    for rule in sorted(matcher.get("routeRules") or [], key=lambda r: int(r.get("priority", 0))):
        matches = [_match_text(m) for m in rule.get("matchRules") or []] or ["any path"]
        rules.append(
            {
                "listener": matcher.get("name", ""),
                "priority": first + len(rules),
                "conditions": [f"host {hosts}", " or ".join(matches)],
                "action": _action_text(rule),
            }
        )
    rules.append(
        {
            "listener": matcher.get("name", ""),
            "priority": first + len(rules),
            "conditions": [f"host {hosts}", "anything else"],
            "action": _action_text(matcher, "defaultService", "defaultRouteAction"),
        }
    )
    return rules


def _url_map_rules(url_map: dict[str, Any]) -> list[dict[str, Any]]:
    """Rules in GCLB's order: each host rule's path matcher, its path rules (or routeRules by priority), then
    its default service."""
    rules: list[dict[str, Any]] = []
    matchers = {m["name"]: m for m in url_map.get("pathMatchers", [])}
    for host_rule in url_map.get("hostRules", []):
        matcher = matchers.get(host_rule.get("pathMatcher", ""), {})
        hosts = ", ".join(host_rule.get("hosts", []))
        if matcher.get("routeRules"):
            rules.extend(_route_rules(matcher, hosts, len(rules) + 1))
            continue
        for path_rule in matcher.get("pathRules", []):
            rewrite = (path_rule.get("routeAction") or {}).get("urlRewrite", {}).get("pathPrefixRewrite")
            action = f"→ {_last(path_rule.get('service'))}" + (
                f" (rewrite prefix to {rewrite})" if rewrite else ""
            )
            rules.append(
                {
                    "listener": matcher.get("name", ""),
                    "priority": len(rules) + 1,
                    "conditions": [f"host {hosts}", f"path {', '.join(path_rule.get('paths', []))}"],
                    "action": action,
                }
            )
        if matcher.get("defaultService"):
            rules.append(
                {
                    "listener": matcher.get("name", ""),
                    "priority": len(rules) + 1,
                    "conditions": [f"host {hosts}", "any other path"],
                    "action": f"→ {_last(matcher['defaultService'])}",
                }
            )
    if url_map.get("defaultUrlRedirect"):
        redirect = url_map["defaultUrlRedirect"]
        rules.append(
            {
                "listener": url_map["name"],
                "priority": len(rules) + 1,
                "conditions": ["any request"],
                "action": f"redirect {redirect.get('redirectResponseCode', '')} to HTTPS",
            }
        )
    elif url_map.get("defaultService") or url_map.get("defaultRouteAction"):
        rules.append(
            {
                "listener": url_map["name"],
                "priority": len(rules) + 1,
                "conditions": ["any other host"],
                "action": _action_text(url_map, "defaultService", "defaultRouteAction"),
            }
        )
    return rules


def _health(compute: Compute, service: str, groups: list[str], where: str | None) -> list[dict[str, Any]]:
    targets = []
    for group in groups:
        try:
            reply = compute.call(
                "backendServices",
                "getHealth",
                backend_service=service,
                **scope_args(where),
                resource_group_reference_resource=compute_v1.ResourceGroupReference(group=group),
            )
        except exceptions.GoogleAPICallError:
            continue
        neg = "networkEndpointGroups" in group
        for status in to_dict(reply).get("healthStatus", []):
            # NEG endpoints are pod IPs; instance-group members are VMs, best known by name
            target = (
                status.get("ipAddress", "")
                if neg
                else _last(status.get("instance")) or status.get("ipAddress", "")
            )
            targets.append({"id": target, "port": status.get("port"), "health": status.get("healthState")})
    return targets


def _rule_console(rule: dict[str, Any], project: str) -> str:
    """The console page of a global or regional (`zone` `regions/R`) forwarding rule."""
    where = str(rule.get("zone") or "")
    if where.startswith("regions/"):
        return (
            f"{CONSOLE}/net-services/loadbalancing/advanced/forwardingRules/details/{where}/forwardingRules/"
            f"{rule['name']}?project={project}"
        )
    return f"{CONSOLE}/net-services/loadbalancing/advanced/globalForwardingRules/details/{rule['name']}?project={project}"


def describe_stack(compute: Compute, inventory: Inventory, stack: str) -> dict[str, Any]:
    """Forwarding rules, proxies, URL map rules, backend services with health checks and target health."""
    project = compute.project
    ours = inventory.of_stack(stack)
    by_collection: dict[str, list[dict[str, Any]]] = {}
    owners: dict[str, dict[str, Any]] = {}
    for (collection, zone, name), existing in sorted(ours.items()):
        body = dict(existing.body, zone=zone) if zone else existing.body
        by_collection.setdefault(collection, []).append(body)
        owners[name] = existing.owner
    view: dict[str, Any] = {
        "provider": "gcp",
        "stack": stack,
        "load_balancers": [],
        "listeners": [],
        "rules": [],
        "backends": [],
        "others": [],
    }
    url_maps = {m["name"]: m for m in by_collection.get("urlMaps", [])}
    for rule in by_collection.get("forwardingRules", []):
        view["load_balancers"].append(
            {
                "name": rule["name"],
                "address": rule.get("IPAddress"),
                "scheme": f"{rule.get('loadBalancingScheme', 'EXTERNAL')} {rule.get('portRange', '')}".strip(),
                "state": "serving",
                "tags": _record(owners[rule["name"]]) | rule.get("labels", {}),
                "console": _rule_console(rule, project),
            }
        )
    for kind, protocol in (("targetHttpProxies", "HTTP"), ("targetHttpsProxies", "HTTPS")):
        for proxy in by_collection.get(kind, []):
            view["listeners"].append(
                {
                    "listener": f"{protocol} ({proxy['name']})",
                    "certificates": [_last(c) for c in proxy.get("sslCertificates", [])],
                    "ssl_policy": _last(proxy.get("sslPolicy")) or None,
                    "default_action": f"URL map {_last(proxy.get('urlMap'))}",
                    "console": f"{CONSOLE}/net-services/loadbalancing/advanced/targetProxies/details/{proxy['name']}"
                    f"?project={project}",
                }
            )
    for url_map in url_maps.values():
        view["rules"].extend(_url_map_rules(url_map))
    checks = {c["name"]: c for c in by_collection.get("healthChecks", [])}
    for service in by_collection.get("backendServices", []):
        check = checks.get(_last((service.get("healthChecks") or [""])[0]), {})
        details: dict[str, Any] = next(
            (check[k] for k in ("httpHealthCheck", "httpsHealthCheck", "http2HealthCheck") if k in check), {}
        )
        groups = [b["group"] for b in service.get("backends", [])]
        view["backends"].append(
            {
                "name": service["name"],
                "protocol": service.get("protocol"),
                "port": service.get("portName"),
                "target_type": "NEG"
                if any("networkEndpointGroups" in g for g in groups)
                else "instance group",
                "health_check": {
                    "name": check.get("name"),
                    "type": check.get("type"),
                    "port": details.get("port") or details.get("portSpecification"),
                    "path": details.get("requestPath"),
                    "host": details.get("host"),
                    "interval": check.get("checkIntervalSec"),
                    "timeout": check.get("timeoutSec"),
                    "healthy": check.get("healthyThreshold"),
                    "unhealthy": check.get("unhealthyThreshold"),
                },
                "targets": _health(compute, service["name"], groups, service.get("zone")),
                "tags": _record(owners[service["name"]]),
                "console": f"{CONSOLE}/net-services/loadbalancing/backends/details/backendService/{service['name']}"
                f"?project={project}",
            }
        )
    for collection, label in (
        ("urlMaps", "URL map"),
        ("healthChecks", "Health check"),
        ("sslCertificates", "SSL certificate"),
        ("networkEndpointGroups", "NEG"),
        ("firewalls", "Firewall rule"),
    ):
        for body in by_collection.get(collection, []):
            where = f"{body['zone']}/" if body.get("zone") else ""
            view["others"].append(
                {
                    "kind": label,
                    "name": f"{where}{body['name']}",
                    "tags": _record(owners[body["name"]]),
                    "console": f"{CONSOLE}/compute/{collection}?project={project}",
                }
            )
    for existing in inventory.shared().values():
        if existing.key[0] == "instanceGroups":
            view["others"].append(
                {
                    "kind": "Instance group (shared)",
                    "name": f"{existing.key[1]}/{existing.key[2]}",
                    "tags": _record(existing.owner),
                    "console": f"{CONSOLE}/compute/instanceGroups/"
                    f"details/{existing.key[1]}/{existing.key[2]}?project={project}",
                }
            )
    return view

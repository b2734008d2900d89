"""Regenerate the corpus files and expected.yaml: python tests/faults/corpus/generate.py (the files are committed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

OUT = Path(__file__).resolve().parent
A = "alb.ingress.kubernetes.io/"

SERVICES = """---
apiVersion: v1
kind: Service
metadata: {name: users, namespace: default}
spec:
  type: NodePort
  selector: {app: users}
  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30080}]
---
apiVersion: v1
kind: Service
metadata: {name: products, namespace: default}
spec:
  type: NodePort
  selector: {app: products}
  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30081}]
"""


def q(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)


def ingress(
    name: str,
    annotations: dict[str, str] | None = None,
    paths: list[tuple[str, str, str]] | None = None,
    cls: str = "alb",
    host: str | None = None,
    extra_spec: str = "",
    path_type: str = "Prefix",
    tls: str = "",
    default_backend: str = "",
) -> str:
    ann = "".join(f"    {q(k)}: {q(v)}\n" for k, v in (annotations or {}).items())
    paths = paths if paths is not None else [("/users", "users", "number: 80")]
    lines = "".join(
        f"          - path: {q(p)}\n            pathType: {path_type}\n            backend:\n"
        f"              service:\n                name: {svc}\n                port: {{{port}}}\n"
        for p, svc, port in paths
    )
    host_line = f"    - host: {q(host)}\n      http:\n" if host is not None else "    - http:\n"
    ann_block = f"  annotations:\n{ann}" if ann else "  annotations: {}\n"
    return (
        f"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: default\n"
        + ann_block
        + f"spec:\n  ingressClassName: {cls}\n{default_backend}{tls}{extra_spec}  rules:\n{host_line}        paths:\n{lines}"
    )


def one(name: str, annotations: dict[str, str] | None = None, **kw: Any) -> str:
    return ingress(name, annotations, **kw) + SERVICES


files: dict[str, str | None] = {}
E: dict[str, dict[str, Any]] = {}  # file → expectation


# Files a real API server rejects but lbctl's Kubernetes API emulator accepts (a gap in the emulator). None
# left: it validates annotation types and size, Ingress hosts and Service port ranges as a real server does.
EMULATOR_ACCEPTS: set[str] = set()


def case(
    fname: str,
    text: str | None,
    messages: list[str],
    exit: int = 2,
    provider: str = "aws",  # noqa: A002
    api: str = "accepted",
    note: str = "",
) -> None:
    files[fname] = text
    E[fname] = {"exit": exit, "messages": messages, "provider": provider, "api": api}
    if fname in EMULATOR_ACCEPTS:
        E[fname]["emulator"] = "accepted"
    if note:
        E[fname]["note"] = note


# --- actions / conditions (JSON annotations)
case(
    "actions-bad-json.yaml",
    one("shop", {A + "actions.blue": '{"type": "forward",'}, paths=[("/", "blue", "name: use-annotation")]),
    [A + "actions.blue", "JSON"],
)
case(
    "actions-unknown-type.yaml",
    one("shop", {A + "actions.blue": '{"type": "explode"}'}, paths=[("/", "blue", "name: use-annotation")]),
    [A + "actions.blue", "type"],
)
case(
    "actions-not-object.yaml",
    one("shop", {A + "actions.blue": '["forward"]'}, paths=[("/", "blue", "name: use-annotation")]),
    [A + "actions.blue"],
)
case(
    "actions-forward-empty.yaml",
    one(
        "shop",
        {A + "actions.blue": '{"type": "forward", "forwardConfig": {"targetGroups": []}}'},
        paths=[("/", "blue", "name: use-annotation")],
    ),
    [A + "actions.blue", "targetGroups"],
)
case(
    "actions-missing-for-use-annotation.yaml",
    one("shop", {}, paths=[("/", "blue", "name: use-annotation")]),
    ["actions.blue"],
)
case(
    "actions-fixed-response-bad-status.yaml",
    one(
        "shop",
        {A + "actions.teapot": '{"type": "fixed-response", "fixedResponseConfig": {"statusCode": "999"}}'},
        paths=[("/", "teapot", "name: use-annotation")],
    ),
    [A + "actions.teapot", "statusCode"],
)
case(
    "conditions-bad-json.yaml",
    one("shop", {A + "conditions.users": '[{"field": "host-header"'}),
    [A + "conditions.users", "JSON"],
)
case(
    "conditions-unknown-field.yaml",
    one("shop", {A + "conditions.users": '[{"field": "moon-phase", "values": ["full"]}]'}),
    [A + "conditions.users", "field"],
)
# --- group
case(
    "group-order-too-high.yaml",
    one("shop", {A + "group.name": "corpus-order-high", A + "group.order": "1001"}),
    [A + "group.order", "1000"],
)
case(
    "group-order-too-low.yaml",
    one("shop", {A + "group.name": "corpus-order-low", A + "group.order": "-1001"}),
    [A + "group.order", "-1000"],
)
case(
    "group-order-not-a-number.yaml",
    one("shop", {A + "group.name": "corpus-order-nan", A + "group.order": "first"}),
    [A + "group.order", "integer"],
)
case(
    "group-name-invalid.yaml", one("shop", {A + "group.name": "Bad Group!"}), [A + "group.name", "lower-case"]
)
case(
    "group-conflicting-scheme.yaml",
    ingress("one", {A + "group.name": "corpus-scheme", A + "scheme": "internet-facing"})
    + ingress(
        "two",
        {A + "group.name": "corpus-scheme", A + "scheme": "internal"},
        paths=[("/products", "products", "number: 80")],
    )
    + SERVICES,
    [A + "scheme", "internal", "internet-facing"],
)
case(
    "group-conflicting-lb-name.yaml",
    ingress("one", {A + "group.name": "corpus-lbname", A + "load-balancer-name": "lb-one"})
    + ingress(
        "two",
        {A + "group.name": "corpus-lbname", A + "load-balancer-name": "lb-two"},
        paths=[("/products", "products", "number: 80")],
    )
    + SERVICES,
    [A + "load-balancer-name", "lb-one", "lb-two"],
)
# --- names, limits
case(
    "lb-name-33-chars.yaml",
    one("shop", {A + "load-balancer-name": "a" * 33}),
    [A + "load-balancer-name", "32"],
)
case("lb-name-bad-chars.yaml", one("shop", {A + "load-balancer-name": "my_lb!"}), [A + "load-balancer-name"])
case(
    "lb-name-leading-hyphen.yaml",
    one("shop", {A + "load-balancer-name": "-shop"}),
    [A + "load-balancer-name"],
)
case(
    "rules-101-on-one-listener.yaml",
    one("shop", {}, paths=[(f"/p{i}", "users", "number: 80") for i in range(101)]),
    ["100", "rules"],
    note="101 Exact-free Prefix paths: each is one ALB rule",
)
# --- services and ports
case(
    "unknown-service-port-number.yaml",
    one("shop", {}, paths=[("/users", "users", "number: 8081")]),
    ["users", "8081", "its ports"],
)
case(
    "unknown-service-port-name.yaml",
    one("shop", {}, paths=[("/users", "users", "name: grpc")]),
    ["users", "grpc", "its ports"],
)
# offline, a Service not in the files is assumed (a warning); the controller, which reads the cluster, says "not found"
case(
    "missing-service.yaml",
    one("shop", {}, paths=[("/nope", "nope", "number: 80")]),
    ["nope", "not in the files"],
    exit=0,
)
case(
    "service-port-out-of-range.yaml",
    one("shop", {}, paths=[("/users", "users", "number: 70000")]),
    ["port", "70000"],
    api="rejected",
)
case(
    "service-not-nodeport-instance-mode.yaml",
    ingress("shop", {})
    + SERVICES.replace(
        "type: NodePort\n  selector: {app: users}", "type: ClusterIP\n  selector: {app: users}"
    ).replace("targetPort: 8080, nodePort: 30080", "targetPort: 8080"),
    ["users", "NodePort"],
)
# --- listeners, CIDRs, TLS
case(
    "listen-ports-duplicate.yaml",
    one("shop", {A + "listen-ports": '[{"HTTP": 80}, {"HTTP": 80}]'}),
    [A + "listen-ports", "80"],
)
case(
    "listen-ports-bad-json.yaml",
    one("shop", {A + "listen-ports": '[{"HTTP": 80'}),
    [A + "listen-ports", "JSON"],
)
case(
    "listen-ports-port-out-of-range.yaml",
    one("shop", {A + "listen-ports": '[{"HTTP": 70000}]'}),
    [A + "listen-ports", "70000"],
)
case(
    "listen-ports-unknown-protocol.yaml",
    one("shop", {A + "listen-ports": '[{"FTP": 21}]'}),
    [A + "listen-ports", "FTP"],
)
case(
    "listen-ports-same-port-two-protocols.yaml",
    one("shop", {A + "listen-ports": '[{"HTTP": 8443}, {"HTTPS": 8443}]'}),
    [A + "listen-ports", "8443"],
)
case(
    "inbound-cidrs-prefix-33.yaml",
    one("shop", {A + "inbound-cidrs": "10.0.0.0/33"}),
    [A + "inbound-cidrs", "10.0.0.0/33"],
)
case(
    "inbound-cidrs-garbage.yaml",
    one("shop", {A + "inbound-cidrs": "10.0.0.0/8, everyone"}),
    [A + "inbound-cidrs", "everyone"],
)
case("ssl-redirect-without-https.yaml", one("shop", {A + "ssl-redirect": "443"}), [A + "ssl-redirect", "443"])
case(
    "certificate-arn-invalid.yaml",
    one("shop", {A + "certificate-arn": "not-an-arn", A + "listen-ports": '[{"HTTPS": 443}]'}),
    [A + "certificate-arn", "arn:aws:acm"],
)
case(
    "wafv2-acl-arn-invalid.yaml",
    one("shop", {A + "wafv2-acl-arn": "web-acl-1"}),
    [A + "wafv2-acl-arn", "arn"],
)
# --- other annotation values
case("scheme-invalid.yaml", one("shop", {A + "scheme": "public"}), [A + "scheme", "internet-facing"])
case("target-type-invalid.yaml", one("shop", {A + "target-type": "pod"}), [A + "target-type", "ip"])
case(
    "ip-address-type-invalid.yaml",
    one("shop", {A + "ip-address-type": "ipv5"}),
    [A + "ip-address-type", "dualstack"],
)
case(
    "backend-protocol-invalid.yaml",
    one("shop", {A + "backend-protocol": "SMTP"}),
    [A + "backend-protocol", "HTTP"],
)
case(
    "healthcheck-path-relative.yaml",
    one("shop", {A + "healthcheck-path": "healthz"}),
    [A + "healthcheck-path", "/"],
)
case(
    "healthcheck-interval-out-of-range.yaml",
    one("shop", {A + "healthcheck-interval-seconds": "1"}),
    [A + "healthcheck-interval-seconds", "5"],
)
case("success-codes-invalid.yaml", one("shop", {A + "success-codes": "200-abc"}), [A + "success-codes"])
case("tags-invalid.yaml", one("shop", {A + "tags": "Team"}), [A + "tags", "key=value"])
case(
    "load-balancer-attributes-invalid.yaml",
    one("shop", {A + "load-balancer-attributes": "idle_timeout.timeout_seconds"}),
    [A + "load-balancer-attributes", "key=value"],
)
case(
    "huge-annotation-value.yaml",
    one("shop", {A + "tags": "Team=@@1MiB@@"}),
    [A + "tags", "262144"],
    api="rejected",
    note="@@1MiB@@ is replaced by 1 MiB of 'a' when the test runs",
)
case(
    "alb-annotation-not-supported.yaml",
    one("shop", {A + "listener-attribute.HTTP-80": "routing.http.response.server.enabled=false"}),
    ["not supported by lbctl"],
    note="a misspelt alb.ingress.kubernetes.io/ name (listener-attribute for listener-attributes)",
)
case(
    "frontend-nlb-without-enable.yaml",
    one("shop", {A + "frontend-nlb-scheme": "internet-facing"}),
    ["takes effect only with", "enable-frontend-nlb"],
    note="a frontend-nlb-* annotation alone: aws-load-balancer-controller would ignore it",
)
case(
    "rewrite-target-capture-group-on-alb.yaml",
    one("shop", {"nginx.ingress.kubernetes.io/rewrite-target": "/$2"}),
    ["rewrite-target"],
    note="an ingress-nginx regex rewrite on an ALB Ingress: its '$2' is not a literal path",
)
# --- Ingress spec
case(
    "bad-host-underscore.yaml",
    one("shop", {}, host="shop_example.com"),
    ["host", "shop_example.com"],
    api="rejected",
)
case(
    "bad-host-double-wildcard.yaml",
    one("shop", {}, host="*.*.example.com"),
    ["host", "*.*.example.com"],
    api="rejected",
)
case(
    "bad-host-ip-address.yaml",
    one("shop", {}, host="10.0.0.1"),
    ["host", "10.0.0.1", "not an IP address"],
    api="rejected",
)
case("wrong-path-type.yaml", one("shop", {}, path_type="Regex"), ["pathType", "Regex"], api="rejected")
case(
    "path-not-absolute.yaml",
    one("shop", {}, paths=[("users", "users", "number: 80")]),
    ["path", "users"],
    api="rejected",
)
case(
    "no-rules-no-default-backend.yaml",
    "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: shop, namespace: default}\nspec: {ingressClassName: alb}\n"
    + SERVICES,
    ["spec", "defaultBackend"],
    api="rejected",
)
case(
    "annotation-not-a-string.yaml",
    one("shop", {}).replace("  annotations: {}\n", f"  annotations:\n    {A}healthcheck-port: 8080\n"),
    [A + "healthcheck-port", "string"],
    api="rejected",
)
case(
    "tls-secret-missing.yaml",
    one(
        "shop",
        {A + "listen-ports": '[{"HTTPS": 443}]'},
        host="shop.example.com",
        tls="  tls: [{hosts: [shop.example.com], secretName: shop-tls}]\n",
    ),
    ["shop-tls"],
)
# --- bounded parsing (deep JSON that reached Python's recursion limit)
DEEP = "[" * 4096
case(
    "actions-nested-deep.yaml",
    one("shop", {A + "actions.blue": DEEP}, paths=[("/", "blue", "name: use-annotation")]),
    [A + "actions.blue", "nested more than 32 levels"],
    note="4 KB of '['",
)
case(
    "conditions-nested-deep.yaml",
    one("shop", {A + "conditions.users": DEEP}),
    [A + "conditions.users", "nested more than 32"],
)
case(
    "listen-ports-nested-deep.yaml",
    one("shop", {A + "listen-ports": DEEP}),
    [A + "listen-ports", "nested more than 32"],
)
# --- what the cloud or the API server refuses
case(
    "path-too-long-for-alb.yaml",
    one("shop", {}, paths=[("/" + "a" * 200, "users", "number: 80")]),
    ["spec.rules[0].http.paths[0].path", "at most 126 for pathType Prefix"],
)
case(
    "path-with-nul.yaml",
    one("shop", {}, paths=[("/users\u0000x", "users", "number: 80")]),
    ["spec.rules[0].http.paths[0].path", "expected printable characters"],
)
case(
    "path-with-esc.yaml",
    one("shop", {}, paths=[("/users\u001b[0m", "users", "number: 80")]),
    ["spec.rules[0].http.paths[0].path", "expected printable characters"],
)
case(
    "path-dot-dot.yaml",
    one("shop", {}, paths=[("/users/../admin", "users", "number: 80")]),
    ["spec.rules[0].http.paths[0].path", "clean absolute path"],
    api="rejected",
)
case(
    "path-double-slash.yaml",
    one("shop", {}, paths=[("/users//x", "users", "number: 80")]),
    ["spec.rules[0].http.paths[0].path", "clean absolute path"],
    api="rejected",
)
case(
    "path-encoded-slash.yaml",
    one("shop", {}, paths=[("/users%2Fx", "users", "number: 80")]),
    ["spec.rules[0].http.paths[0].path", "clean absolute path"],
    api="rejected",
)
case(
    "path-alb-bad-character.yaml",
    one("shop", {}, paths=[("/users/a b", "users", "number: 80")], path_type="Exact"),
    ["spec.rules[0].http.paths[0].path", "expected only A-Z"],
)
case(
    "host-300-chars.yaml",
    one("shop", {}, host=".".join(["a" * 59] * 5)),
    ["spec.rules[0].host", "at most 253"],
    api="rejected",
)
case(
    "host-too-long-for-alb.yaml",
    one("shop", {}, host=".".join(["a" * 50] * 3)),
    ["spec.rules[0].host", "at most 128"],
)
case(
    "host-without-dot-for-alb.yaml", one("shop", {}, host="shop"), ["spec.rules[0].host", "at least one '.'"]
)
case("name-254-chars.yaml", one("a" * 254, {}), ["metadata.name", "at most 253"], api="rejected")
case(
    "name-uppercase.yaml", one("Shop", {}), ["metadata.name", "lowercase RFC 1123 subdomain"], api="rejected"
)
case(
    "healthcheck-path-nul.yaml",
    one("shop", {A + "healthcheck-path": "/healthz\u0000"}),
    [A + "healthcheck-path", "printable ASCII"],
)
case(
    "healthcheck-path-esc.yaml",
    one("shop", {A + "healthcheck-path": "/healthz\u001b[31m"}),
    [A + "healthcheck-path", "printable ASCII"],
)
case(
    "fixed-response-body-too-big.yaml",
    one(
        "shop",
        {
            A + "actions.teapot": q(
                {
                    "type": "fixed-response",
                    "fixedResponseConfig": {"statusCode": "503", "messageBody": "x" * 1025},
                }
            )
        },
        paths=[("/", "teapot", "name: use-annotation")],
    ),
    [A + "actions.teapot", "at most 1024 bytes"],
)
case(
    "fixed-response-body-control.yaml",
    one(
        "shop",
        {
            A + "actions.teapot": q(
                {
                    "type": "fixed-response",
                    "fixedResponseConfig": {"statusCode": "503", "messageBody": "a\u001bb"},
                }
            )
        },
        paths=[("/", "teapot", "name: use-annotation")],
    ),
    [A + "actions.teapot", "expected text"],
)
case(
    "tags-51.yaml",
    one("shop", {A + "tags": ",".join(f"k{i}=v" for i in range(51))}),
    [A + "tags", "at most 43"],
)
case(
    "tag-value-nul.yaml", one("shop", {A + "tags": "team=a\u0000b"}), [A + "tags", "letters, digits, spaces"]
)
case("tag-key-aws-prefix.yaml", one("shop", {A + "tags": "aws:team=shop"}), [A + "tags", "AWS reserves"])
case(
    "duplicate-path-different-backends.yaml",
    one("shop", {}, paths=[("/users", "users", "number: 80"), ("/users", "products", "number: 80")]),
    ["spec.rules[0].http.paths[1]", "one backend per host, path and pathType"],
)


def alias_bomb(entries: int, rules: int) -> str:
    lines = [
        "---",
        "apiVersion: networking.k8s.io/v1",
        "kind: Ingress",
        "metadata: {name: shop, namespace: default}",
        "spec:",
        "  ingressClassName: alb",
        "  rules:",
        "    - host: h0.example.com",
        "      http:",
        "        paths: &P",
    ]
    lines += [
        f"          - {{path: /p{i}, pathType: Prefix, backend: {{service: {{name: users, port: {{number: 80}}}}}}}}"
        for i in range(entries)
    ]
    lines += [f"    - {{host: h{r}.example.com, http: {{paths: *P}}}}" for r in range(1, rules)]
    return "\n".join(lines) + "\n" + SERVICES


case(
    "yaml-alias-bomb.yaml",
    alias_bomb(200, 200),
    ["document #0", "excessive aliasing"],
    api="unsendable",
    note="one list of 200 paths aliased by 199 rules: kubectl refuses it too",
)
# --- files
case(
    "yaml-syntax-error.yaml",
    "apiVersion: v1\nkind: Service\nmetadata: {name: users\n",
    ["YAML", "line"],
    api="unsendable",
)
case("not-an-object.yaml", "- just\n- a\n- list\n", ["Kubernetes object"], api="unsendable")
case(
    "missing-kind.yaml",
    "apiVersion: networking.k8s.io/v1\nmetadata: {name: shop}\n",
    ["kind", "is required"],
    api="unsendable",
)
case(
    "non-utf8-bytes.yaml",
    None,
    ["UTF-8", "byte"],
    api="unsendable",
    note="an annotation value in Latin-1: 0xE9",
)
# --- GCP
G = "kubernetes.io/ingress.global-static-ip-name"
gdb = "  defaultBackend:\n    service: {name: products, port: {number: 80}}\n"
case(
    "gcp-static-ip-name-invalid.yaml",
    one("shop", {G: "Shop_IP"}, cls="gce", default_backend=gdb),
    [G, "Shop_IP", "lower-case"],
    provider="gcp",
)
case(
    "gcp-backend-config-bad-json.yaml",
    ingress("shop", {}, cls="gce", default_backend=gdb)
    + SERVICES.replace(
        "metadata: {name: users, namespace: default}",
        'metadata: {name: users, namespace: default, annotations: {cloud.google.com/backend-config: "{\\"default\\": "}}',
    ),
    ["cloud.google.com/backend-config", "JSON"],
    provider="gcp",
)
case(
    "gcp-pre-shared-cert-invalid.yaml",
    one("shop", {"ingress.gcp.kubernetes.io/pre-shared-cert": "Bad Cert!"}, cls="gce", default_backend=gdb),
    ["ingress.gcp.kubernetes.io/pre-shared-cert", "Bad Cert!"],
    provider="gcp",
)
case(
    "gcp-allow-http-invalid.yaml",
    one("shop", {"kubernetes.io/ingress.allow-http": "maybe"}, cls="gce", default_backend=gdb),
    ["kubernetes.io/ingress.allow-http", "maybe"],
    provider="gcp",
)

OUT.mkdir(exist_ok=True)
for name, text in files.items():
    if text is None:
        continue
    (OUT / name).write_text(text)
raw = one("shop", {A + "tags": "Team=caf\u00e9"}).encode("latin-1")
(OUT / "non-utf8-bytes.yaml").write_bytes(raw)
(OUT / "expected.yaml").write_text(
    "# file → what `lbctl validate` must say (exit code; substrings of its message, which name the field\n"
    "# and the expected form) and whether a Kubernetes API server accepts the objects (api: accepted |\n"
    "# rejected (422, never reaches the controller) | unsendable (not objects at all)); `emulator` where lbctl's\n"
    "# Kubernetes API emulator answers differently from a real API server (then the controller sees it).\n"
    + yaml.safe_dump(E, sort_keys=True, width=120)
)
print(len(files))

"""Legacy Ingress forms (extensions/v1beta1, networking.k8s.io/v1beta1) give the same spec as v1."""

from __future__ import annotations

import pytest

from emulators.testing.specs import Obj, ingress, only_spec, path, route, rule, service
from lbctl.model.objects import parse_ingress
from lbctl.model.problems import SpecError

LEGACY = ["extensions/v1beta1", "networking.k8s.io/v1beta1"]
SERVICES = [service("users", [(80, "http", 30080)]), service("fallback", [(8080, "web", 30090)])]


def legacy(api: str, spec: Obj, name: str = "shop") -> Obj:
    return {
        "apiVersion": api,
        "kind": "Ingress",
        "metadata": {
            "name": name,
            "namespace": "default",
            "annotations": {"kubernetes.io/ingress.class": "alb"},
        },
        "spec": spec,
    }


def v1(*rules: Obj, default: Obj | None = None) -> Obj:
    return ingress(
        "shop", *rules, class_name=None, default=default, annotations={"kubernetes.io/ingress.class": "alb"}
    )


# (legacy spec, equivalent v1 Ingress)
CASES: dict[str, tuple[Obj, Obj]] = {
    "servicePort number": (
        {
            "rules": [
                {
                    "host": "shop.test",
                    "http": {
                        "paths": [
                            {
                                "path": "/users",
                                "pathType": "Prefix",
                                "backend": {"serviceName": "users", "servicePort": 80},
                            }
                        ]
                    },
                }
            ]
        },
        v1(rule("shop.test", path("/users", "users", 80))),
    ),
    "servicePort name": (
        {
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": "/users",
                                "pathType": "Exact",
                                "backend": {"serviceName": "users", "servicePort": "http"},
                            }
                        ]
                    }
                }
            ]
        },
        v1(rule(None, path("/users", "users", "http", path_type="Exact"))),
    ),
    "servicePort number as string": (
        {
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": "/users",
                                "pathType": "Prefix",
                                "backend": {"serviceName": "users", "servicePort": "80"},
                            }
                        ]
                    }
                }
            ]
        },
        v1(rule(None, path("/users", "users", 80))),
    ),
    "missing pathType is ImplementationSpecific": (
        {
            "rules": [
                {
                    "http": {
                        "paths": [
                            {"path": "/users/*", "backend": {"serviceName": "users", "servicePort": 80}}
                        ]
                    }
                }
            ]
        },
        v1(rule(None, path("/users/*", "users", 80, path_type="ImplementationSpecific"))),
    ),
    "spec.backend is the default backend": (
        {
            "backend": {"serviceName": "fallback", "servicePort": "web"},
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": "/users",
                                "pathType": "Prefix",
                                "backend": {"serviceName": "users", "servicePort": 80},
                            }
                        ]
                    }
                }
            ],
        },
        v1(
            rule(None, path("/users", "users", 80)),
            default={"service": {"name": "fallback", "port": {"number": 8080}}},
        ),
    ),
    "only spec.backend": (
        {"backend": {"serviceName": "fallback", "servicePort": 8080}},
        v1(default={"service": {"name": "fallback", "port": {"name": "web"}}}),
    ),
}


@pytest.mark.parametrize("api", LEGACY)
@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_legacy_gives_the_same_spec_as_v1(case: str, api: str) -> None:
    legacy_spec, v1_obj = CASES[case]
    old = only_spec(legacy(api, legacy_spec), *SERVICES)
    new = only_spec(v1_obj, *SERVICES)
    assert old == new
    assert old.to_dict() == new.to_dict()


@pytest.mark.parametrize("api", LEGACY)
def test_legacy_parse_form(api: str) -> None:
    ing = parse_ingress(legacy(api, CASES["spec.backend is the default backend"][0]))
    assert ing.default_backend is not None and ing.default_backend.service is not None
    assert (ing.default_backend.service.name, ing.default_backend.service.port) == ("fallback", "web")
    (only_path,) = ing.rules[0].paths
    assert only_path.backend.service is not None
    assert only_path.backend.service.port_number == 80
    assert only_path.path_type == "Prefix"


@pytest.mark.parametrize("api", LEGACY)
def test_legacy_path_omitted_matches_every_path(api: str) -> None:
    """Many tutorials omit `path` in v1beta1: the rule then covers every path of its host, as in v1 with
    pathType ImplementationSpecific and no path."""
    spec = only_spec(
        legacy(
            api,
            {
                "rules": [
                    {
                        "host": "shop.test",
                        "http": {"paths": [{"backend": {"serviceName": "users", "servicePort": 80}}]},
                    }
                ]
            },
        ),
        *SERVICES,
    )
    assert route(spec, "shop.test", "/") == "default/users:80"
    assert route(spec, "shop.test", "/a/b") == "default/users:80"
    assert route(spec, "other.test", "/a") == "404 (no default backend)"
    v1_spec = only_spec(
        v1(rule("shop.test", path(None, "users", 80, path_type="ImplementationSpecific"))), *SERVICES
    )
    assert spec == v1_spec


@pytest.mark.parametrize(
    ("backend", "field"),
    [
        ({"servicePort": 80}, "spec.rules[0].http.paths[0].backend.serviceName"),
        ({"serviceName": "users"}, "spec.rules[0].http.paths[0].backend.servicePort"),
        ({"serviceName": "users", "servicePort": True}, "spec.rules[0].http.paths[0].backend.servicePort"),
        ({"serviceName": 5, "servicePort": 80}, "spec.rules[0].http.paths[0].backend.serviceName"),
    ],
)
def test_legacy_backend_errors_name_the_field(backend: Obj, field: str) -> None:
    obj = legacy("extensions/v1beta1", {"rules": [{"http": {"paths": [{"path": "/", "backend": backend}]}}]})
    with pytest.raises(SpecError) as err:
        parse_ingress(obj, "app.yaml#3")
    assert err.value.problem.field == field
    assert err.value.problem.object == "Ingress default/shop"
    assert err.value.problem.source == "app.yaml#3"


def test_v1_requires_path_type() -> None:
    obj = ingress("shop", rule(None, path("/users", "users", 80, path_type=None)))
    with pytest.raises(SpecError) as err:
        parse_ingress(obj)
    assert err.value.problem.field == "spec.rules[0].http.paths[0].pathType"


@pytest.mark.parametrize(
    ("path_value", "path_type", "error_field"),
    [
        ("", "ImplementationSpecific", None),
        (None, "ImplementationSpecific", None),
        ("", "Prefix", "spec.rules[0].http.paths[0].path"),
        (None, "Exact", "spec.rules[0].http.paths[0].path"),
        ("users", "Prefix", "spec.rules[0].http.paths[0].path"),
        ("users", "ImplementationSpecific", "spec.rules[0].http.paths[0].path"),
        ("/x", "Regex", "spec.rules[0].http.paths[0].pathType"),
    ],
)
def test_path_presence_by_type(path_value: str | None, path_type: str, error_field: str | None) -> None:
    obj = ingress("shop", rule(None, path(path_value, "users", 80, path_type=path_type)))
    if error_field is None:
        assert parse_ingress(obj).rules[0].paths[0].path == ""
        return
    with pytest.raises(SpecError) as err:
        parse_ingress(obj)
    assert err.value.problem.field == error_field

"""IngressClass selection: which Ingresses each provider serves."""

from __future__ import annotations

import pytest

from emulators.testing.specs import Obj, ingress, ingress_class, path, rule
from lbctl.model.classes import AWS_CONTROLLER, GCE_CONTROLLER, ClassPolicy, is_ours
from lbctl.model.objects import parse_ingress, parse_ingress_class

CLASS_ANNOTATION = "kubernetes.io/ingress.class"
OTHER = "example.com/other"

# (ingressClassName, class annotation, IngressClasses in the cluster, configured names, ours for aws, ours for gcp)
CASES: dict[str, tuple[str | None, str | None, list[Obj], tuple[str, ...] | None, bool, bool]] = {
    "ingressClassName alb": ("alb", None, [], None, True, False),
    "ingressClassName gce": ("gce", None, [], None, False, True),
    "ingressClassName nginx": ("nginx", None, [], None, False, False),
    "annotation alb": (None, "alb", [], None, True, False),
    "annotation gce": (None, "gce", [], None, False, True),
    "annotation with spaces": (None, " alb ", [], None, True, False),
    "annotation wins over spec (aws)": ("gce", "alb", [], None, True, False),
    "annotation wins over spec (gcp)": ("alb", "gce", [], None, False, True),
    "class name is case-sensitive": ("ALB", None, [], None, False, False),
    "IngressClass controller decides": (
        "internal",
        None,
        [ingress_class("internal", AWS_CONTROLLER)],
        None,
        True,
        False,
    ),
    "IngressClass gce controller": ("lb", None, [ingress_class("lb", GCE_CONTROLLER)], None, False, True),
    "IngressClass named alb of another controller": (
        "alb",
        None,
        [ingress_class("alb", OTHER)],
        None,
        False,
        False,
    ),
    "annotation names an IngressClass": (
        None,
        "internal",
        [ingress_class("internal", AWS_CONTROLLER)],
        None,
        True,
        False,
    ),
    "unclassed: aws not ours, gcp ours": (None, None, [], None, False, True),
    "unclassed with default class of aws": (
        None,
        None,
        [ingress_class("x", AWS_CONTROLLER, default=True)],
        None,
        True,
        False,
    ),
    "unclassed with default class of gce": (
        None,
        None,
        [ingress_class("x", GCE_CONTROLLER, default=True)],
        None,
        False,
        True,
    ),
    "unclassed with default class of another controller": (
        None,
        None,
        [ingress_class("x", OTHER, default=True)],
        None,
        False,
        False,
    ),
    "non-default class does not claim unclassed": (
        None,
        None,
        [ingress_class("x", AWS_CONTROLLER)],
        None,
        False,
        True,
    ),
    "explicit class ignores default class": (
        "nginx",
        None,
        [ingress_class("x", AWS_CONTROLLER, default=True)],
        None,
        False,
        False,
    ),
    "configured names": ("public", None, [], ("public", "private"), True, True),
    "configured names replace the default": ("alb", None, [], ("public",), False, False),
    "configured names via annotation": (None, "private", [], ("public", "private"), True, True),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_class_selection(case: str) -> None:
    class_name, annotation, classes, names, aws, gcp = CASES[case]
    obj = ingress(
        "web",
        rule(None, path("/", "a")),
        class_name=class_name,
        annotations={CLASS_ANNOTATION: annotation} if annotation is not None else None,
    )
    parsed = parse_ingress(obj)
    by_name = {c.name: c for c in (parse_ingress_class(o) for o in classes)}
    got = (
        is_ours(parsed, by_name, ClassPolicy.for_provider("aws", names)),
        is_ours(parsed, by_name, ClassPolicy.for_provider("gcp", names)),
    )
    assert got == (aws, gcp)


def test_default_class_annotation_must_be_true() -> None:
    cls = ingress_class("x", AWS_CONTROLLER)
    cls["metadata"]["annotations"] = {"ingressclass.kubernetes.io/is-default-class": "false"}
    assert parse_ingress_class(cls).is_default is False
    cls["metadata"]["annotations"] = {"ingressclass.kubernetes.io/is-default-class": "True"}
    assert parse_ingress_class(cls).is_default is True


def test_unknown_provider_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown provider"):
        ClassPolicy.for_provider("azure")

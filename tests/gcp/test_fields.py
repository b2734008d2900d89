"""Resources whose values come from another object name that object's field, as the model recorded it: a
rejected security policy names the BackendConfig that sets it."""

from __future__ import annotations

import json

from emulators.testing.gcp_stacks import PROJECT, example_objects, find, stack_from
from lbctl.model import annotations as a
from lbctl.model.registry import annotation_field
from providers.gcp.translate import Context, translate


def test_the_security_policy_names_its_backend_config() -> None:
    objects = example_objects()
    objects.append(
        {
            "apiVersion": "cloud.google.com/v1",
            "kind": "BackendConfig",
            "metadata": {"name": "armored", "namespace": "default"},
            "spec": {"securityPolicy": {"name": "armor"}},
        }
    )
    users = find(objects, "Service", "users")
    users["metadata"].setdefault("annotations", {})[a.BACKEND_CONFIG] = json.dumps({"default": "armored"})
    stack = stack_from(objects)
    desired = translate(stack, Context("fields-test", PROJECT))
    by_policy = {w.name: w.fields for w in desired.resources if w.collection == "backendServices"}
    assert sorted(f.get("securityPolicy", "") for f in by_policy.values()) == [
        "",
        "BackendConfig default/armored spec.securityPolicy",
    ]
    assert stack.spec.field_of("frontend.static_ip_name") == annotation_field(a.GLOBAL_STATIC_IP)

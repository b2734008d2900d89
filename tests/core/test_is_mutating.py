"""`is_mutating` decides every "0 writes" check, the lost-lease fence and the write counts: check it against
every operation of the SDKs' own service models, each verb classified here by what the API documents."""

from __future__ import annotations

import re

import botocore.session
import pytest
from google.cloud import compute_v1

from lbctl.cloudcalls import is_mutating

AWS_SERVICES = ("elbv2", "ec2", "acm", "acm-pca", "wafv2", "shield", "resourcegroupstaggingapi", "iam", "sts")
# First word of an AWS operation → does it change anything (per the API references). A verb whose operations
# differ by service (Export, Generate, Decode) counts as a write: a read fenced by mistake is retried, a write
# let through as a read is not.
AWS_VERBS = {
    "Describe": False,
    "Get": False,
    "List": False,
    "Search": False,
    "Simulate": False,
    "Check": False,
    "Accept": True,
    "Add": True,
    "Advertise": True,
    "Allocate": True,
    "Allow": True,
    "Apply": True,
    "Assign": True,
    "Associate": True,
    "Assume": True,
    "Attach": True,
    "Authorize": True,
    "Bundle": True,
    "Cancel": True,
    "Change": True,
    "Confirm": True,
    "Copy": True,
    "Create": True,
    "Deactivate": True,
    "Decode": True,
    "Delete": True,
    "Deny": True,
    "Deprovision": True,
    "Deregister": True,
    "Detach": True,
    "Disable": True,
    "Disassociate": True,
    "Enable": True,
    "Export": True,
    "Generate": True,
    "Import": True,
    "Issue": True,
    "Lock": True,
    "Modify": True,
    "Monitor": True,
    "Move": True,
    "Provision": True,
    "Purchase": True,
    "Put": True,
    "Reboot": True,
    "Register": True,
    "Reject": True,
    "Release": True,
    "Remove": True,
    "Renew": True,
    "Replace": True,
    "Report": True,
    "Request": True,
    "Resend": True,
    "Reset": True,
    "Restore": True,
    "Resync": True,
    "Revoke": True,
    "Run": True,
    "Send": True,
    "Set": True,
    "Start": True,
    "Stop": True,
    "Tag": True,
    "Terminate": True,
    "Unassign": True,
    "Unlock": True,
    "Unmonitor": True,
    "Untag": True,
    "Update": True,
    "Upload": True,
    "Withdraw": True,
}
# First word of a Compute method → does it change anything. aggregatedList, getHealth, listInstances (a POST),
# operations' wait, testIamPermissions and urlMaps.validate only read.
GCP_VERBS = {
    "get": False,
    "list": False,
    "aggregated": False,
    "wait": False,
    "test": False,
    "validate": False,
    "abandon": True,
    "add": True,
    "advance": True,
    "announce": True,
    "apply": True,
    "attach": True,
    "bulk": True,
    "calendar": True,
    "cancel": True,
    "capacity": True,
    "clone": True,
    "common": True,
    "copy": True,
    "create": True,
    "delete": True,
    "deprecate": True,
    "detach": True,
    "disable": True,
    "enable": True,
    "expand": True,
    "insert": True,
    "invalidate": True,
    "move": True,
    "parse": True,
    "patch": True,
    "pause": True,
    "perform": True,
    "preview": True,
    "recreate": True,
    "remove": True,
    "report": True,
    "request": True,
    "reset": True,
    "resize": True,
    "resume": True,
    "send": True,
    "set": True,
    "simulate": True,
    "start": True,
    "stop": True,
    "suspend": True,
    "switch": True,
    "update": True,
    "withdraw": True,
}
_NOT_METHODS = {"from_service_account_file", "from_service_account_info", "from_service_account_json"}


def _aws_operations() -> list[str]:
    session = botocore.session.get_session()
    return sorted({op for svc in AWS_SERVICES for op in session.get_service_model(svc).operation_names})


def _gcp_operations() -> list[str]:
    out = set()
    for name in dir(compute_v1):
        if not name.endswith("Client") or name.startswith("_"):
            continue
        collection = name.removesuffix("Client")
        collection = collection[0].lower() + collection[1:]
        for attr in dir(getattr(compute_v1, name)):
            if attr.startswith("_") or attr in _NOT_METHODS or attr.endswith("_unary"):
                continue
            if not callable(getattr(getattr(compute_v1, name), attr)):
                continue
            camel = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), attr)
            out.add(f"{collection}.{camel}")
    return sorted(out)


def _first_word(name: str) -> str:
    match = re.match(r"[A-Za-z][a-z]*", name.rsplit(".", 1)[-1])
    assert match is not None
    return match.group(0)


@pytest.mark.parametrize("operation", _aws_operations())
def test_every_aws_operation_is_classified_as_its_api_reference_says(operation: str) -> None:
    verb = _first_word(operation)
    assert verb in AWS_VERBS, f"{operation}: classify the verb {verb!r} in AWS_VERBS"
    assert is_mutating(operation) is AWS_VERBS[verb], operation


@pytest.mark.parametrize("operation", _gcp_operations())
def test_every_compute_method_is_classified_as_its_api_reference_says(operation: str) -> None:
    verb = _first_word(operation)
    assert verb in GCP_VERBS, f"{operation}: classify the verb {verb!r} in GCP_VERBS"
    assert is_mutating(operation) is GCP_VERBS[verb], operation


@pytest.mark.parametrize(
    ("operation", "mutating"),
    [
        ("CreateRule", True),
        ("ModifyListener", True),
        ("RegisterTargets", True),
        ("AddTags", True),
        ("TagResources", True),
        ("AllocateAddress", True),
        ("AssociateWebACL", True),
        ("ImportCertificate", True),
        ("DescribeRules", False),
        ("GetResources", False),
        ("ListTagsForCertificate", False),
        ("urlMaps.insert", True),
        ("backendServices.setSecurityPolicy", True),
        ("urlMaps.invalidateCache", True),
        ("networkEndpointGroups.attachNetworkEndpoints", True),
        ("instanceGroups.addInstances", True),
        ("instanceGroups.listInstances", False),
        ("backendServices.getHealth", False),
        ("globalOperations.wait", False),
        ("zoneOperations.get", False),
        ("forwardingRules.aggregatedList", False),
    ],
)
def test_the_calls_lbctl_makes(operation: str, mutating: bool) -> None:
    assert is_mutating(operation) is mutating

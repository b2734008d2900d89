"""API versions a current API server no longer serves, and lbctl's hint for the manifests still using them."""

from __future__ import annotations

from .errors import ApiError

NOT_FOUND = "the server could not find the requested resource"

# (group, version) → (kind, the Kubernetes release that removed it, the resource's plural)
REMOVED: dict[tuple[str, str], tuple[str, str, str]] = {
    ("extensions", "v1beta1"): ("Ingress", "1.22", "ingresses"),
    ("networking.k8s.io", "v1beta1"): ("Ingress", "1.22", "ingresses"),
}


def removed_api_error(path: str) -> ApiError | None:
    """404 NotFound for a path under a removed group/version, with how to convert the manifest."""
    parts = [p for p in path.split("/") if p]
    if len(parts) < 3 or parts[0] != "apis":
        return None
    removed = REMOVED.get((parts[1], parts[2]))
    if removed is None:
        return None
    kind, release, plural = removed
    rest = parts[3:]
    if rest and plural not in rest[:3]:
        return None  # another resource of that group/version: the plain 404
    message = (
        f"{NOT_FOUND}; {parts[1]}/{parts[2]} {kind} was removed in Kubernetes {release}: "
        "convert it with lbctl convert -f FILE"
    )
    return ApiError(404, message, "NotFound", {})

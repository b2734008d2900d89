"""The garbage collector (background propagation): an object whose owners are all gone is deleted."""

from __future__ import annotations

import copy

from ..kinds import Kind
from ..store import FOREGROUND
from .common import Context, Obj, meta, namespace

DEPENDENT_KINDS = ("replicasets", "pods", "endpointslices")
OWNER_KINDS = ("deployments", "replicasets", "services")


class GarbageCollector:
    def sync(self, ctx: Context, objects: dict[str, list[Obj]]) -> None:
        """`objects`: plural → current objects, for the dependent kinds (and their owners' kinds)."""
        uids: dict[tuple[str, str], set[str]] = {}  # (apiVersion, kind) → uids present

        def present(api_version: str, kind_name: str) -> set[str]:
            key = (api_version, kind_name)
            if key not in uids:
                kind = self._kind(ctx, api_version, kind_name)
                uids[key] = (
                    set()
                    if kind is None
                    else {
                        f"{namespace(o) if kind.namespaced else ''}/{meta(o).get('uid')}"
                        for o in (
                            objects[kind.plural] if kind.plural in objects else ctx.store.list(kind)["items"]
                        )
                    }
                )
            return uids[key]

        for plural in DEPENDENT_KINDS:
            for obj in objects.get(plural, []):
                references = meta(obj).get("ownerReferences") or []
                if not references or meta(obj).get("deletionTimestamp"):
                    continue
                alive = False
                for ref in references:
                    kind = self._kind(ctx, ref.get("apiVersion", ""), ref.get("kind", ""))
                    if kind is None:
                        alive = True  # an owner of a kind we do not serve: leave it alone
                        break
                    scope = namespace(obj) if kind.namespaced else ""
                    if f"{scope}/{ref.get('uid')}" in present(ref.get("apiVersion", ""), ref.get("kind", "")):
                        alive = True
                        break
                if not alive:
                    ctx.delete(plural, obj)
        self._foreground(ctx, objects)

    @staticmethod
    def _foreground(ctx: Context, objects: dict[str, list[Obj]]) -> None:
        """Owners deleted with propagationPolicy Foreground: delete their dependents, then let them go."""
        dependents = [(plural, o) for plural in DEPENDENT_KINDS for o in objects.get(plural, [])]
        for plural in OWNER_KINDS:
            for owner in objects.get(plural, []):
                finalizers = meta(owner).get("finalizers") or []
                if not meta(owner).get("deletionTimestamp") or FOREGROUND not in finalizers:
                    continue
                mine = [
                    (p, o)
                    for p, o in dependents
                    if namespace(o) == namespace(owner)
                    and any(
                        ref.get("uid") == meta(owner).get("uid")
                        for ref in meta(o).get("ownerReferences") or []
                    )
                ]
                for dependent_plural, dependent in mine:
                    if not meta(dependent).get("deletionTimestamp"):
                        ctx.delete(dependent_plural, dependent)
                if not mine:
                    released = copy.deepcopy(owner)
                    meta(released)["finalizers"] = [f for f in finalizers if f != FOREGROUND]
                    ctx.update(plural, released, owner)

    @staticmethod
    def _kind(ctx: Context, api_version: str, kind_name: str) -> Kind | None:
        group, _, version = api_version.rpartition("/")
        return next(
            (
                k
                for k in ctx.store.kinds.kinds
                if k.group == group and k.version == version and k.kind == kind_name
            ),
            None,
        )

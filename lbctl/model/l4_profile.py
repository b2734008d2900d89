"""What an L4 cloud profile is (lbctl/model/nlb.py, gce_l4.py): which Services its cloud serves, and its
reading of their annotations. Apart from lbctl/model/services.py, which uses the profiles."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from lbctl.model.objects import Service
from lbctl.model.problems import Problem
from lbctl.model.registry import ParsedAnnotations

if TYPE_CHECKING:
    from lbctl.model.gce_negs import StandaloneNeg


@dataclass
class L4Resolved:
    """What an L4 profile read from a Service's annotations: values for the neutral spec fields (each with
    its source field), the cloud's own settings, and problems."""

    values: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    cloud: Any = None
    problems: list[Problem] = field(default_factory=list)


class L4Profile(Protocol):
    """A cloud's Service semantics."""

    name: str  # the provider's name

    def claims(self, service: Service, claim_unclassed: bool) -> bool:
        """Whether this cloud's controller serves the Service (class, annotations, flag)."""
        ...

    def resolve(self, service: Service, parsed: ParsedAnnotations) -> L4Resolved:
        """The cloud's reading of the Service's annotations."""
        ...

    # annotations read by `standalone_negs`, apart from the L4 registry (on a Service of any type)
    own_keys: frozenset[str]

    def exposes_negs(self, service: Service) -> bool:
        """Whether the Service asks this cloud for standalone NEGs, whatever its type."""
        ...

    def standalone_negs(self, service: Service) -> tuple[tuple[StandaloneNeg, ...], list[Problem]]:
        """The standalone NEGs the Service asks for, or the problems that stop them."""
        ...

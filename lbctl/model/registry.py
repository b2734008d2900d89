"""The annotation registry machinery: declarations, lookup and parsing into typed values.

The declarations themselves live in `lbctl.model.annotations`; this module knows nothing of
any particular annotation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from lbctl.model.parsers import AnnotationValueError, Parser
from lbctl.model.problems import Problem, Severity, shorten

WILDCARD = "${name}"


class Scope(StrEnum):
    """Which objects an annotation may be put on."""

    INGRESS = "Ingress"
    SERVICE = "Service"
    BOTH = "Ingress,Service"

    def allows(self, kind: str) -> bool:
        return kind in self.value.split(",")


class Merge(StrEnum):
    """How values from several Ingresses of one group combine."""

    EXCLUSIVE = "Exclusive"  # one value for the whole group; different values are an error
    MERGE = "Merge"  # each Ingress contributes (lists joined, maps merged, per-Ingress where it applies)
    PER_INGRESS = "N/A"  # applies to the Ingress's own rules/backends only


@dataclass(frozen=True)
class Variant:
    """A default that replaces the plain one in a named situation the model recognises (`key`), e.g. the
    gRPC health-check path. `form` is the value as a user would write it; `when` says the situation in the docs."""

    key: str
    when: str
    value: Any
    form: str


@dataclass(frozen=True)
class Annotation:
    """One annotation, declared once: everything parsing, validation and the docs need. `default` is the typed
    value the model uses when no object sets the annotation, `default_doc` its documented form (what a user
    would write for the same effect); `variants` are situational defaults."""

    name: str  # full key; may end in ${name} for a family such as actions.${name}
    parser: Parser
    scope: Scope
    merge: Merge
    provider: str  # "aws", "gcp" or "any"
    doc: str
    default: Any = None
    default_doc: str = ""
    variants: tuple[Variant, ...] = ()
    refused: str | None = None  # known but not implemented: any value is this error
    # written by lbctl (what it made, read by users and tooling): never input, so any value is accepted, unread
    status: bool = False

    def default_for(self, situation: str | None = None) -> Any:
        """The default in `situation` (a Variant key), else the plain default."""
        for variant in self.variants:
            if variant.key == situation:
                return variant.value
        return self.default

    @property
    def default_docs(self) -> str:
        """The default column of the docs: the documented form, then each variant's."""
        shown = self.default_doc or ("" if self.default is None else str(self.default))
        extra = "; ".join(f"{v.when}: {v.form}" for v in self.variants)
        return f"{shown} ({extra})" if extra else shown

    @property
    def field(self) -> str:
        """Where the annotation sits on its object, as problems and provider errors name it."""
        return annotation_field(self.name)

    @property
    def is_family(self) -> bool:
        """A family of keys (`actions.${name}`, `listener-attributes.${Protocol}-${Port}`): the part from the
        first `${` on is the suffix the user chooses."""
        return "${" in self.name

    @property
    def family_prefix(self) -> str:
        return self.name[: self.name.index("${")]


@dataclass
class ParsedAnnotations:
    """Typed annotation values of one object, plus the problems found while parsing them."""

    registry: AnnotationRegistry
    values: dict[str, Any] = field(default_factory=dict)
    families: dict[str, dict[str, Any]] = field(default_factory=dict)  # family name → suffix → value
    problems: list[Problem] = field(default_factory=list)
    # Values an IngressClass's parameters pin (lbctl/model/class_params.py): annotation name → the field
    # of the parameters it came from; `inherited`: those the object itself does not set.
    pinned: dict[str, str] = field(default_factory=dict)
    pinned_values: dict[str, Any] = field(default_factory=dict)  # the class's own value of each
    pinned_by: str = ""  # the IngressClass whose parameters pin them
    pinned_kind: str = "IngressClassParams"  # the kind of object that pins them (a Gateway's: its policies')
    inherited: set[str] = field(default_factory=set)
    class_values: dict[str, Any] = field(default_factory=dict)  # class settings no annotation has

    def get(self, name: str, situation: str | None = None) -> Any:
        """The parsed value, else the declared default for `situation` (None when there is none)."""
        if name in self.values:
            return self.values[name]
        return self.registry.get(name).default_for(situation)

    def has(self, name: str) -> bool:
        return name in self.values

    def field_of(self, name: str) -> str:
        """Where the value of `name` comes from: the class parameters' field, else the annotation."""
        return self.pinned.get(name) or annotation_field(name)

    def family(self, name: str) -> dict[str, Any]:
        return self.families.get(name, {})

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]


UNSUPPORTED = "not supported by lbctl; the load balancer would differ from what you asked"


class AnnotationRegistry:
    """All annotations lbctl understands, the prefixes under which unknown keys are suspicious (a warning), and
    those under which an unknown key is an error: a controller's own prefix, where every name means something
    to the load balancer."""

    def __init__(
        self,
        annotations: Iterable[Annotation],
        watched_prefixes: Iterable[str],
        strict_prefixes: Iterable[str] = (),
    ) -> None:
        self._exact: dict[str, Annotation] = {}
        self._families: list[Annotation] = []
        for ann in annotations:
            if ann.name in self._exact or any(f.name == ann.name for f in self._families):
                raise ValueError(f"annotation {ann.name} declared twice")
            if ann.is_family:
                self._families.append(ann)
            else:
                self._exact[ann.name] = ann
        self.watched_prefixes = tuple(watched_prefixes)
        self.strict_prefixes = tuple(strict_prefixes)

    def __iter__(self) -> Iterator[Annotation]:
        return iter(sorted([*self._exact.values(), *self._families], key=lambda a: a.name))

    def get(self, name: str) -> Annotation:
        if name in self._exact:
            return self._exact[name]
        for family in self._families:
            if family.name == name:
                return family
        raise KeyError(f"annotation {name} is not declared")

    def status_keys(self, provider: str) -> list[str]:
        """The status annotations `provider` writes (those of any provider included)."""
        return sorted(a.name for a in self._exact.values() if a.status and a.provider in (provider, "any"))

    def lookup(self, key: str) -> tuple[Annotation, str] | None:
        """The declaration a concrete key belongs to, with the family suffix ('' for plain keys)."""
        if key in self._exact:
            return self._exact[key], ""
        for family in self._families:
            if key.startswith(family.family_prefix) and len(key) > len(family.family_prefix):
                return family, key[len(family.family_prefix) :]
        return None

    def is_watched(self, key: str) -> bool:
        return any(key.startswith(prefix) for prefix in self.watched_prefixes)

    def parse(self, raw: Mapping[str, str], kind: str, obj: str, source: str = "") -> ParsedAnnotations:
        """Parse every annotation of one object. Invalid values are errors, and so are refused annotations and
        unknown keys under a strict prefix; other unknown keys under a watched prefix are warnings."""
        parsed = ParsedAnnotations(self)
        for key in sorted(raw):
            value = raw[key]
            where = annotation_field(key)
            found = self.lookup(key)
            if found is None:
                if any(key.startswith(prefix) for prefix in self.strict_prefixes):
                    parsed.problems.append(Problem(Severity.ERROR, obj, where, UNSUPPORTED, source))
                elif self.is_watched(key):
                    parsed.problems.append(
                        Problem(Severity.WARNING, obj, where, "unknown annotation; it is ignored", source)
                    )
                continue
            ann, suffix = found
            if ann.status:
                continue  # lbctl's own report of what it made: not input, whatever it says
            if not ann.scope.allows(kind):
                parsed.problems.append(
                    Problem(
                        Severity.WARNING,
                        obj,
                        where,
                        f"only takes effect on {ann.scope.value.replace(',', ' or ')}, not on {kind}; it is ignored",
                        source,
                    )
                )
                continue
            if ann.refused is not None:
                parsed.problems.append(Problem(Severity.ERROR, obj, where, ann.refused, source))
                continue
            try:
                typed = ann.parser.parse(value)
            except ValueError as err:  # AnnotationValueError, or any other refusal of the value by a parser
                if not isinstance(err, AnnotationValueError):
                    err = AnnotationValueError(ann.parser.expected, str(err))
                detail = f" ({_cut(err.detail)})" if err.detail and err.detail != err.expected else ""
                parsed.problems.append(
                    Problem(
                        Severity.ERROR,
                        obj,
                        where,
                        f"invalid value {shorten(value)}: expected {err.expected}{detail}",
                        source,
                    )
                )
                continue
            if ann.is_family:
                parsed.families.setdefault(ann.name, {})[suffix] = typed
            else:
                parsed.values[ann.name] = typed
        return parsed


def annotation_field(key: str) -> str:
    """The field path of annotation `key` on its object, e.g. `metadata.annotations[<key>]`."""
    return f"metadata.annotations[{key}]"


def _cut(text: str, limit: int = 200) -> str:
    """Parser details may quote the value; keep messages readable whatever the value's size."""
    return text if len(text) <= limit else text[:limit] + "…"

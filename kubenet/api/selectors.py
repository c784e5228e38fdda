"""Label and field selectors: the query-string forms (`app=web,tier in (a,b),!canary`) and LabelSelector objects."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


class SelectorError(ValueError):
    pass


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: tuple[str, ...] = ()

    def matches(self, labels: dict) -> bool:
        has = self.key in labels
        value = labels.get(self.key)
        if self.op in ("=", "=="):
            return has and value == self.values[0]
        if self.op == "!=":
            return not has or value != self.values[0]
        if self.op == "in":
            return has and value in self.values
        if self.op == "notin":
            return not has or value not in self.values
        if self.op == "exists":
            return has
        if self.op == "!":
            return not has
        if self.op in ("gt", "lt"):
            try:
                v, ref = int(value), int(self.values[0])
            except (TypeError, ValueError, IndexError):
                return False
            return v > ref if self.op == "gt" else v < ref
        raise SelectorError(f"unknown operator {self.op}")


_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(notin|in)\s*\(([^)]*)\)|(==|!=|=)\s*([A-Za-z0-9_.-]*))?\s*$")


def _split_top(text: str) -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p for p in (x.strip() for x in parts) if p]


def parse_label_selector(text: str | None) -> list[Requirement]:
    if not text:
        return []
    reqs = []
    for part in _split_top(text):
        m = _SET_RE.match(part)
        if not m:
            raise SelectorError(f"unable to parse requirement: {part!r}")
        neg, key, setop, setvals, eqop, eqval = m.groups()
        if neg:
            if setop or eqop:
                raise SelectorError(f"unable to parse requirement: {part!r}")
            reqs.append(Requirement(key, "!"))
        elif setop:
            vals = tuple(v.strip() for v in setvals.split(",") if v.strip())
            reqs.append(Requirement(key, setop, vals))
        elif eqop:
            reqs.append(Requirement(key, "!=" if eqop == "!=" else "=", (eqval,)))
        else:
            reqs.append(Requirement(key, "exists"))
        _check_values(reqs[-1])
    return reqs


def _check_values(requirement: Requirement) -> None:
    """labels.NewRequirement: every value must be a valid label value (`values[0][app]: Invalid value: ...`)."""
    from kubenet.api.validation_field import go_quote
    from kubenet.api.validation_meta import is_valid_label_value
    errors = []
    for index, value in enumerate(requirement.values):
        problems = is_valid_label_value(value)
        if problems:
            errors.append(f"values[{index}][{requirement.key}]: Invalid value: {go_quote(value)}: "
                          + "; ".join(problems))
    if errors:
        raise SelectorError(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")


def label_selector_from_object(selector: dict | None) -> list[Requirement] | None:
    """metav1.LabelSelector → requirements. None selects nothing; {} selects everything."""
    if selector is None:
        return None
    reqs = [Requirement(k, "=", (str(v),)) for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}.get(expr.get("operator"))
        if op is None:
            raise SelectorError(f"{expr.get('operator')!r} is not a valid label selector operator")
        reqs.append(Requirement(expr["key"], op, tuple(expr.get("values") or ())))
    return reqs


def matches(requirements: list[Requirement] | None, labels: dict | None) -> bool:
    if requirements is None:
        return False
    labels = labels or {}
    return all(r.matches(labels) for r in requirements)


def selector_matches(selector: dict | None, labels: dict | None) -> bool:
    """Does a LabelSelector object select these labels? (nil selects nothing, empty selects all)"""
    return matches(label_selector_from_object(selector), labels)


def requirement_strings(selector: dict) -> list[str]:
    """A LabelSelector object's requirements in query-string form: matchLabels sorted, then matchExpressions."""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op, key, vals = expr.get("operator"), expr.get("key", ""), sorted(expr.get("values") or [])
        if op == "In":
            parts.append(f"{key} in ({','.join(vals)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(vals)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return parts


def selector_string(selector: dict | None) -> str:
    """The string form kubectl shows and sends (`app=web,tier in (a,b)`)."""
    if not selector:
        return ""
    return ",".join(requirement_strings(selector))


# --- field selectors -------------------------------------------------------------------------------------

def _get_path(obj: dict, path: str):
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


# Fields each kind supports besides metadata.name / metadata.namespace (the real per-kind field label sets).
_FIELDS: dict[str, set[str]] = {
    "Pod": {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
            "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"},
    "Event": {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
              "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
              "reason", "reportingComponent", "source", "type"},
    "Secret": {"type"},
    "Namespace": {"status.phase"},
    "Node": {"spec.unschedulable"},
    "ReplicaSet": {"status.replicas"},
    "ReplicationController": {"status.replicas"},
    "Job": {"status.successful"},
    "Service": {"spec.clusterIP", "spec.type"},
}


def field_terms(text: str) -> list[tuple[str, str, str]]:
    """The (field, operator, value) terms of a field selector; SelectorError for a term that is none."""
    terms = []
    for part in _split_top(text):
        m = re.match(r"^([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*)$", part)
        if not m:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
        terms.append((m.group(1), m.group(2), m.group(3)))
    return terms


def parse_field_selector(text: str | None, kind_name: str) -> Callable[[dict], bool] | None:
    if not text:
        return None
    allowed = {"metadata.name", "metadata.namespace"} | _FIELDS.get(kind_name, set())
    reqs: list[tuple[str, bool, str]] = []
    for field, op, value in field_terms(text):
        if field not in allowed:
            raise SelectorError(f'field label not supported: {field}')
        reqs.append((field, op == "!=", value))

    def match(obj: dict) -> bool:
        for field, negate, value in reqs:
            actual = _get_path(obj, field)
            if field == "source" and kind_name == "Event":
                actual = (obj.get("source") or {}).get("component")
            if isinstance(actual, bool):
                actual = "true" if actual else "false"
            actual = "" if actual is None else str(actual)
            if (actual == value) == negate:
                return False
        return True
    return match

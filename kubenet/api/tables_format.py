"""Formatting helpers shared by the server-side printers (kubenet.api.tables*).

They mirror apimachinery's duration.HumanDuration and the small formatters of Kubernetes'
pkg/printers/internalversion, so that `kubectl get` output reads exactly as on a real cluster.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from kubenet.api.meta import parse_time
from kubenet.api.selectors import requirement_strings

# Column descriptions. NAME and AGE carry ObjectMeta's full field docs, as the real tables do; the
# other SwaggerDoc-derived descriptions are the first sentence of the field's doc.
NAME_DOC = (
    "Name must be unique within a namespace. Is required when creating resources, although some resources "
    "may allow a client to request the generation of an appropriate name automatically. Name is primarily "
    "intended for creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
AGE_DOC = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. "
    "It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. "
    "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)
CONTAINERS_DOC = "Names of each container in the template."
IMAGES_DOC = "Images referenced by each container in the template."


def column(name: str, description: str, type_: str = "string", priority: int = 0, format_: str = "") -> dict:
    """One meta.k8s.io/v1 TableColumnDefinition."""
    return {"name": name, "type": type_, "format": format_, "description": description, "priority": priority}


NAME_COLUMN = column("Name", NAME_DOC, format_="name")
AGE_COLUMN = column("Age", AGE_DOC)


def human_duration(seconds: float) -> str:
    """apimachinery duration.HumanDuration: "45s", "3m2s", "12m", "5h3m", "2d3h", "1y2d"."""
    secs = int(seconds)  # Go's int(d.Seconds()) truncates toward zero
    # Up to 2 s in the future counts as "now": clocks of client and server may differ a little.
    if secs < -1:
        return "<invalid>"
    if secs < 0:
        return "0s"
    if secs < 120:
        return f"{secs}s"
    minutes = secs // 60
    if minutes < 10:
        rest = secs % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = secs // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        rest = (hours // 24) % 365
        years = hours // 24 // 365
        return f"{years}y" if rest == 0 else f"{years}y{rest}d"
    return f"{hours // 24 // 365}y"


def since(timestamp: Any, now: datetime) -> str:
    """translateTimestampSince: "<unknown>" for an unset time, else the human duration up to now."""
    when = parse_time(timestamp)
    if when is None:
        return "<unknown>"
    return human_duration((now - when).total_seconds())


def age(obj: dict, now: datetime) -> str:
    return since(obj.get("metadata", {}).get("creationTimestamp"), now)


def name_of(obj: dict) -> str:
    return obj.get("metadata", {}).get("name", "")


def format_labels(labels: dict | None) -> str:
    """labels.FormatLabels: sorted k=v joined by commas, "<none>" when empty."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def format_label_selector(selector: dict | None) -> str:
    """metav1.FormatLabelSelector: "<none>" for nil/empty; matchLabels then matchExpressions, sorted."""
    if selector is None:
        return "<none>"
    # labels.Selector.String() sorts requirements by key
    text = ",".join(sorted(requirement_strings(selector), key=lambda p: p.lstrip("!").split("=")[0].split(" ")[0]))
    return text or "<none>"


def container_cells(pod_spec: dict | None) -> tuple[str, str]:
    """layoutContainerCells: container names and images, each comma-joined."""
    containers = (pod_spec or {}).get("containers") or []
    return ",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)


def list_with_more(items: list[str], count: int, maximum: int = 3, empty: str = "<unset>") -> str:
    """listWithMoreString: first `maximum` entries, then " + N more..."."""
    text = ",".join(items[:maximum])
    if count > maximum:
        return f"{text} + {count - maximum} more..."
    return text or empty


def condition_true(conditions: list | None, condition_type: str) -> bool:
    for condition in conditions or []:
        if condition.get("type") == condition_type:
            return condition.get("status") == "True"
    return False

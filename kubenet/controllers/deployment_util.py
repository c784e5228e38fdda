"""Deployment arithmetic (pkg/controller/deployment/util): hashes, revisions, surge/unavailable, conditions.

Pure functions over wire-format dicts, so the rollout rules can be tested without a cluster.
"""
from __future__ import annotations

import copy
import json
import math
import struct
import time

from kubenet.api.meta import now_rfc3339, parse_time, without_nulls

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Annotations a Deployment does not pass on to its ReplicaSets (annotationsToSkip).
SKIPPED_ANNOTATIONS = {LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS,
                       "deprecated.deployment.rollback.to"}
MAX_REVISION_HISTORY_CHARS = 2000

# Condition reasons (deployment/util/deployment_util.go).
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
RS_UPDATED = "ReplicaSetUpdated"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
MIN_AVAILABLE = "MinimumReplicasAvailable"
MIN_UNAVAILABLE = "MinimumReplicasUnavailable"

_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


# --- the pod-template-hash ---------------------------------------------------------------------------------

def fnv32a(data: bytes, h: int = 0x811C9DC5) -> int:
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode(text: str) -> str:
    """rand.SafeEncodeString: each byte mapped onto an alphabet with no vowels and no look-alikes."""
    return "".join(_SAFE_ALPHABET[b % len(_SAFE_ALPHABET)] for b in text.encode())


def compute_hash(template: dict, collision_count: int | None = None) -> str:
    """controller.ComputeHash: FNV-32a of the template (+ collisionCount as 8 little-endian bytes), rendered
    as the decimal of the sum through SafeEncodeString. The real one hashes Go's %#v dump of the struct,
    which Python cannot reproduce; we hash canonical JSON instead, so values differ but the shape is real."""
    h = fnv32a(json.dumps(without_nulls(template), sort_keys=True, separators=(",", ":")).encode())
    if collision_count is not None:
        h = fnv32a(struct.pack("<I", collision_count & 0xFFFFFFFF) + b"\0\0\0\0", h)
    return safe_encode(str(h))


def template_without_hash(template: dict) -> dict:
    t = without_nulls(template or {})
    labels = (t.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(HASH_LABEL, None)
    return t


def equal_ignore_hash(a: dict, b: dict) -> bool:
    return template_without_hash(a) == template_without_hash(b)


# --- replica arithmetic ---------------------------------------------------------------------------------

def replicas(obj: dict) -> int:
    value = obj["spec"].get("replicas")
    return 1 if value is None else int(value)


def scaled_value(value, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    text = str(value)
    if not text.endswith("%"):
        raise ValueError(f"invalid value for IntOrString: invalid type: string is not a percentage: {text!r}")
    scaled = int(text[:-1]) * total / 100
    return math.ceil(scaled) if round_up else math.floor(scaled)


def is_rolling(d: dict) -> bool:
    return ((d["spec"].get("strategy") or {}).get("type") or "RollingUpdate") == "RollingUpdate"


def resolve_fenceposts(d: dict) -> tuple[int, int]:
    """(maxSurge, maxUnavailable): surge rounds up, unavailable down; both 0 would deadlock, so 1 unavailable."""
    ru = (d["spec"].get("strategy") or {}).get("rollingUpdate") or {}
    desired = replicas(d)
    surge = scaled_value(ru.get("maxSurge", "25%"), desired, True)
    unavailable = scaled_value(ru.get("maxUnavailable", "25%"), desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(d: dict) -> int:
    return resolve_fenceposts(d)[0] if is_rolling(d) else 0


def max_unavailable(d: dict) -> int:
    if not is_rolling(d) or replicas(d) == 0:
        return 0
    return min(resolve_fenceposts(d)[1], replicas(d))


def spec_replicas_sum(rss: list[dict]) -> int:
    return sum(replicas(rs) for rs in rss if rs)


def status_sum(rss: list[dict], field: str) -> int:
    return sum(int((rs.get("status") or {}).get(field) or 0) for rs in rss if rs)


def active(rss: list[dict]) -> list[dict]:
    return [rs for rs in rss if rs and replicas(rs) > 0]


def by_creation(rss: list[dict]) -> list[dict]:
    return sorted(rss, key=lambda rs: (rs["metadata"].get("creationTimestamp") or "", rs["metadata"]["name"]))


def revision_of(rs: dict) -> int:
    try:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def max_revision(rss: list[dict]) -> int:
    return max((revision_of(rs) for rs in rss), default=0)


def new_rs_new_replicas(d: dict, all_rss: list[dict], new_rs: dict) -> int:
    """How big the new ReplicaSet may grow now (NewRSNewReplicas)."""
    if not is_rolling(d):
        return replicas(d)
    current = spec_replicas_sum(all_rss)
    max_total = replicas(d) + max_surge(d)
    if current >= max_total:
        return replicas(new_rs)
    grow = min(max_total - current, replicas(d) - replicas(new_rs))
    return replicas(new_rs) + grow


def is_saturated(d: dict, rs: dict | None) -> bool:
    if rs is None:
        return False
    try:
        desired = int((rs["metadata"].get("annotations") or {}).get(DESIRED_REPLICAS))
    except (TypeError, ValueError):
        return False
    return replicas(rs) == replicas(d) and desired == replicas(d) and \
        int((rs.get("status") or {}).get("availableReplicas") or 0) == replicas(d)


def find_active_or_latest(new_rs: dict | None, old_rss: list[dict]) -> dict | None:
    """The one ReplicaSet with Pods (or the newest when none has any); None while several have Pods."""
    if new_rs is None and not old_rss:
        return None
    newest_first = sorted(old_rss, key=lambda rs: (rs["metadata"].get("creationTimestamp") or "",
                                                  rs["metadata"]["name"]), reverse=True)
    live = active(newest_first + [new_rs])
    if not live:
        return new_rs if new_rs is not None else newest_first[0]
    return live[0] if len(live) == 1 else None


def proportion(rs: dict, d: dict, to_add: int, added: int) -> int:
    """GetProportion: this ReplicaSet's share of a scaling change, from the Deployment size it was made for."""
    if replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    if replicas(d) == 0:
        fraction = -replicas(rs)
    else:
        try:
            before = int((rs["metadata"].get("annotations") or {})[MAX_REPLICAS])
        except (KeyError, ValueError):
            before = 0
        before = before or int((d.get("status") or {}).get("replicas") or 0)
        if not before:
            return 0
        exact = replicas(rs) * (replicas(d) + max_surge(d)) / before
        fraction = math.floor(exact + 0.5) - replicas(rs)  # Go's math.Round: halves away from zero
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def newest_first_key(rs: dict) -> str:
    """Sort key putting newer ReplicaSets first (creationTimestamp strings sort as times)."""
    return "".join(chr(0x10FFFF - ord(ch)) for ch in rs["metadata"].get("creationTimestamp") or "")


# --- annotations ----------------------------------------------------------------------------------------

def set_replicas_annotations(rs: dict, desired: int, max_replicas: int) -> bool:
    ann = rs["metadata"].setdefault("annotations", {})
    want = {DESIRED_REPLICAS: str(desired), MAX_REPLICAS: str(max_replicas)}
    changed = any(ann.get(k) != v for k, v in want.items())
    ann.update(want)
    return changed


def set_new_rs_annotations(d: dict, rs: dict, new_revision: str, exists: bool) -> bool:
    """Copy the Deployment's annotations, move the revision forward (keeping revision-history on rollback)."""
    ann = rs["metadata"].setdefault("annotations", {})
    changed = False
    for k, v in (d["metadata"].get("annotations") or {}).items():
        if k not in SKIPPED_ANNOTATIONS and ann.get(k) != v:
            ann[k] = v
            changed = True
    old = ann.get(REVISION)
    old_int = int(old) if old and old.isdigit() else 0
    if old_int < int(new_revision):
        ann[REVISION] = new_revision
        changed = True
        if old:  # a rollback to this ReplicaSet: remember the revisions it had
            history = [h for h in (ann.get(REVISION_HISTORY) or "").split(",") if h] + [old]
            while len(",".join(history)) > MAX_REVISION_HISTORY_CHARS and len(history) > 1:
                history.pop(0)
            ann[REVISION_HISTORY] = ",".join(history)
    if not exists and set_replicas_annotations(rs, replicas(d), replicas(d) + max_surge(d)):
        changed = True
    return changed


# --- conditions -----------------------------------------------------------------------------------------

def new_condition(ctype: str, status: str, reason: str, message: str) -> dict:
    now = now_rfc3339()
    return {"type": ctype, "status": status, "lastUpdateTime": now, "lastTransitionTime": now,
            "reason": reason, "message": message}


def get_condition(status: dict, ctype: str) -> dict | None:
    return next((c for c in status.get("conditions") or [] if c.get("type") == ctype), None)


def set_condition(status: dict, cond: dict) -> None:
    """SetDeploymentCondition: same status and reason is no change; the newest condition goes last."""
    current = get_condition(status, cond["type"])
    if current and current["status"] == cond["status"] and current.get("reason") == cond["reason"]:
        return
    if current and current["status"] == cond["status"]:
        cond["lastTransitionTime"] = current.get("lastTransitionTime")
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != cond["type"]] + [cond]


def remove_condition(status: dict, ctype: str) -> None:
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != ctype]


def has_progress_deadline(d: dict) -> bool:
    value = d["spec"].get("progressDeadlineSeconds", 600)
    return value is not None and value != 2**31 - 1


def calculate_status(all_rss: list[dict], new_rs: dict | None, d: dict) -> dict:
    rss = [rs for rs in all_rss if rs]
    available = status_sum(rss, "availableReplicas")
    total = spec_replicas_sum(rss)
    status = {"observedGeneration": d["metadata"].get("generation", 1),
              "replicas": status_sum(rss, "replicas"),
              "updatedReplicas": status_sum([new_rs] if new_rs else [], "replicas"),
              "readyReplicas": status_sum(rss, "readyReplicas"),
              "availableReplicas": available,
              "unavailableReplicas": max(0, total - available)}
    status = {k: v for k, v in status.items() if v}  # all omitempty on the wire
    old = d.get("status") or {}
    if old.get("collisionCount") is not None:
        status["collisionCount"] = old["collisionCount"]
    status["conditions"] = copy.deepcopy(old.get("conditions") or [])
    if available >= replicas(d) - max_unavailable(d):
        set_condition(status, new_condition("Available", "True", MIN_AVAILABLE, "Deployment has minimum availability."))
    else:
        set_condition(status, new_condition("Available", "False", MIN_UNAVAILABLE,
                                            "Deployment does not have minimum availability."))
    return status


def deployment_complete(d: dict, status: dict) -> bool:
    want = replicas(d)
    return (status.get("updatedReplicas", 0) == want and status.get("replicas", 0) == want and
            status.get("availableReplicas", 0) == want and
            status.get("observedGeneration", 0) >= d["metadata"].get("generation", 1))


def deployment_progressing(d: dict, new: dict) -> bool:
    old = d.get("status") or {}
    old_old = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_old = new.get("replicas", 0) - new.get("updatedReplicas", 0)
    return (new.get("updatedReplicas", 0) > old.get("updatedReplicas", 0) or old_old > new_old or
            new.get("readyReplicas", 0) > old.get("readyReplicas", 0) or
            new.get("availableReplicas", 0) > old.get("availableReplicas", 0))


def seconds_until_timeout(d: dict, status: dict, now: float | None = None) -> float | None:
    """Seconds until the progress deadline passes (<= 0: passed); None when no deadline applies."""
    cond = get_condition(status, "Progressing")
    if not has_progress_deadline(d) or cond is None or cond.get("reason") in (NEW_RS_AVAILABLE, TIMED_OUT):
        return None
    since = parse_time(cond.get("lastUpdateTime"))
    if since is None:
        return None
    deadline = since.timestamp() + int(d["spec"].get("progressDeadlineSeconds", 600))
    return deadline - (now if now is not None else time.time())


def timed_out(d: dict, status: dict) -> bool:
    cond = get_condition(status, "Progressing")
    if cond is not None and cond.get("reason") == TIMED_OUT:
        return True
    left = seconds_until_timeout(d, status)
    return left is not None and left <= 0


def rollout_status(all_rss: list[dict], new_rs: dict | None, d: dict) -> dict:
    """syncRolloutStatus: the status with Progressing moved on (progressing, complete or timed out)."""
    status = calculate_status(all_rss, new_rs, d)
    current = get_condition(d.get("status") or {}, "Progressing")
    if not has_progress_deadline(d):
        remove_condition(status, "Progressing")
    complete_before = current is not None and current.get("reason") == NEW_RS_AVAILABLE and \
        status.get("replicas", 0) == status.get("updatedReplicas", 0)
    subject = f'ReplicaSet "{new_rs["metadata"]["name"]}"' if new_rs else f'Deployment "{d["metadata"]["name"]}"'
    if has_progress_deadline(d) and not complete_before:
        if deployment_complete(d, status):
            set_condition(status, new_condition("Progressing", "True", NEW_RS_AVAILABLE,
                                                f"{subject} has successfully progressed."))
        elif deployment_progressing(d, status):
            # Progress refreshes lastUpdateTime even with the same reason (that is what the deadline counts from).
            cond = new_condition("Progressing", "True", RS_UPDATED, f"{subject} is progressing.")
            if current is not None:
                if current.get("status") == "True":
                    cond["lastTransitionTime"] = current.get("lastTransitionTime")
                remove_condition(status, "Progressing")
            set_condition(status, cond)
        elif timed_out(d, status):
            set_condition(status, new_condition("Progressing", "False", TIMED_OUT,
                                                f"{subject} has timed out progressing."))
    # A ReplicaSet that cannot create Pods (quota, admission) shows through on the Deployment.
    failure = next((c for rs in all_rss if rs for c in (rs.get("status") or {}).get("conditions") or []
                    if c.get("type") == "ReplicaFailure" and c.get("status") == "True"), None)
    if failure:
        set_condition(status, new_condition("ReplicaFailure", "True", failure.get("reason", ""),
                                            failure.get("message", "")))
    else:
        remove_condition(status, "ReplicaFailure")
    return status

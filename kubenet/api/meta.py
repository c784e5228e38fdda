"""Small helpers on ObjectMeta shared by every component: timestamps, owner references, conditions."""
from __future__ import annotations

import datetime as dt


def format_time(t: dt.datetime) -> str:
    """metav1.Time as it is serialized: RFC 3339 in UTC, whole seconds."""
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_rfc3339() -> str:
    return format_time(dt.datetime.now(dt.UTC))


def now_micro(at: float | None = None) -> str:
    """metav1.MicroTime now, or at `at` seconds since the epoch (Lease renewTime, CRI log timestamps)."""
    moment = dt.datetime.now(dt.UTC) if at is None else dt.datetime.fromtimestamp(at, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: object) -> dt.datetime | None:
    """metav1.Time / MicroTime (RFC 3339, with or without fractional seconds) → an aware datetime; None when
    unset, not a string or not a time (the tables print "<unknown>" then, the controllers treat it as unset)."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())  # Python 3.11 reads RFC 3339 with "Z"
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def controller_ref(owner: dict) -> dict:
    """The ownerReference a controller puts on what it creates (controller=true, blockOwnerDeletion=true)."""
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def controller_of(obj: dict) -> dict | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def is_controlled_by(obj: dict, owner: dict) -> bool:
    """metav1.IsControlledBy: the object's controller reference points at this owner (by UID)."""
    ref = controller_of(obj)
    return ref is not None and ref.get("uid") == owner["metadata"].get("uid")


def get_condition(obj: dict, ctype: str) -> dict | None:
    """The status condition of this type (Pod, Node, Deployment, Job ...), or None."""
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c.get("type") == ctype), None)


def set_condition(conditions: list[dict], ctype: str, status: str, reason: str = "", message: str = "",
                  now: str | None = None, probe_time: bool = False) -> bool:
    """Set a condition in place; returns whether it changed. An unchanged condition (same status, reason and
    message) is left alone; lastTransitionTime moves only when the status does; with probe_time, lastProbeTime
    is stamped on every change (the Job controller's conditions)."""
    now = now or now_rfc3339()
    for c in conditions:
        if c.get("type") == ctype:
            if (c.get("status"), c.get("reason"), c.get("message")) == (status, reason, message):
                return False
            if c.get("status") != status:
                c["lastTransitionTime"] = now
            c.update({"status": status, "reason": reason, "message": message})
            if probe_time:
                c["lastProbeTime"] = now
            return True
    cond = {"type": ctype, "status": status, **({"lastProbeTime": now} if probe_time else {}),
            "lastTransitionTime": now, "reason": reason, "message": message}
    conditions.append(cond)
    return True


def without_nulls(value):
    """The object as Go sees it after decoding: a JSON null and an absent field are the same zero value."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value

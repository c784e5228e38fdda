"""SelfSubjectAccessReview (`kubectl auth can-i`) and SelfSubjectReview (`kubectl auth whoami`): answered from
the request's identity, never stored.

kubenet has no RBAC authorizer yet, so, as on an API server run with `--authorization-mode=AlwaysAllow`,
every authenticated user may do everything and every access review is allowed.
"""
from __future__ import annotations

from kubenet.api.kinds import Kind
from kubenet.api.meta import now_rfc3339


def answer(kind: Kind, review: dict, user: dict) -> dict:
    out = {"kind": kind.kind, "apiVersion": kind.api_version,
           "metadata": {"creationTimestamp": now_rfc3339()}}
    if kind.kind == "SelfSubjectReview":
        out["status"] = {"userInfo": {"username": user["username"], "groups": user["groups"]}}
    else:
        out["spec"] = review.get("spec") or {}
        out["status"] = {"allowed": True, "reason": "kubenet authorizes every authenticated request (no RBAC)"}
    return out

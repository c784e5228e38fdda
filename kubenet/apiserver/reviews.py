"""SelfSubjectAccessReview (`kubectl auth can-i`) and SelfSubjectReview (`kubectl auth whoami`): answered from
the request's identity, never stored.

An access review asks the same RBAC authorizer that guards requests; without one (a server with no PKI, as with
`--authorization-mode=AlwaysAllow`) every review is allowed.
"""
from __future__ import annotations

from kubenet.api.kinds import Kind
from kubenet.api.meta import now_rfc3339
from kubenet.apiserver.rbac import Attributes, RBACAuthorizer


def review_attributes(spec: dict) -> Attributes:
    """The request a SelfSubjectAccessReview spec describes (resourceAttributes or nonResourceAttributes)."""
    if spec.get("nonResourceAttributes"):
        non_resource = spec["nonResourceAttributes"]
        return Attributes(verb=non_resource.get("verb", ""), path=non_resource.get("path", ""))
    r = spec.get("resourceAttributes") or {}
    return Attributes(verb=r.get("verb", ""), api_group=r.get("group", ""), resource=r.get("resource", ""),
                      subresource=r.get("subresource", ""), namespace=r.get("namespace", ""), name=r.get("name", ""))


def answer(kind: Kind, review: dict, user: dict, authorizer: RBACAuthorizer | None = None) -> dict:
    out = {"kind": kind.kind, "apiVersion": kind.api_version,
           "metadata": {"creationTimestamp": now_rfc3339()}}
    if kind.kind == "SelfSubjectReview":
        out["status"] = {"userInfo": {"username": user["username"], "groups": user["groups"]}}
        return out
    out["spec"] = review.get("spec") or {}
    if authorizer is None:
        out["status"] = {"allowed": True, "reason": "kubenet runs without an authorizer (AlwaysAllow)"}
        return out
    allowed, reason = authorizer.authorize(user, review_attributes(out["spec"]))
    out["status"] = {"allowed": allowed, **({"reason": reason} if reason else {})}
    return out

"""ControllerRevisions as the DaemonSet and StatefulSet controllers keep them (pkg/controller/history): a stable
name-safe hash of a pod template, the patch a revision stores to bring that template back, and the one way
both controllers make sure the current template has its revision."""
from __future__ import annotations

import copy
import hashlib
import json

from kubenet.api.errors import APIError
from kubenet.api.meta import controller_ref
from kubenet.client.base import Client

HASH_LABEL = "controller.kubernetes.io/hash"

_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # rand.SafeEncodeString: no vowels, no look-alikes


def template_hash(template: dict, collision_count: int = 0) -> str:
    """A short, stable, name-safe hash of a pod template (the role of history.HashControllerRevision)."""
    raw = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        raw += str(collision_count).encode()
    digest = int.from_bytes(hashlib.sha256(raw).digest()[:8], "big")
    out = []
    while len(out) < 10:
        digest, r = divmod(digest, len(_SAFE_ALPHABET))
        out.append(_SAFE_ALPHABET[r])
    return "".join(out)


def revision_data(template: dict) -> dict:
    """What a ControllerRevision stores for an apps workload: a patch that replaces the pod template."""
    data = copy.deepcopy(template)
    data["$patch"] = "replace"
    return {"spec": {"template": data}}


def revision_template(revision: dict) -> dict:
    template = copy.deepcopy(((revision.get("data") or {}).get("spec") or {}).get("template") or {})
    template.pop("$patch", None)
    return template


async def ensure_revision(client: Client, owner: dict, resource: str, revisions: list[dict]) -> dict | None:
    """The ControllerRevision of the owner's current template (realHistory.CreateControllerRevision): the one
    among `revisions` (the owner's) with the template's hash in its name, or a new one numbered after them.
    A revision of that name with another template is a hash collision: status.collisionCount goes up (the next
    sync hashes differently) and the answer is None. A create the cache had not seen yet (409) is read back and
    judged the same way."""
    template = owner["spec"]["template"]
    collisions = (owner.get("status") or {}).get("collisionCount") or 0
    hash_ = template_hash(template, collisions)
    name = f"{owner['metadata']['name']}-{hash_}"
    ns = owner["metadata"]["namespace"]
    existing = next((r for r in revisions if r["metadata"]["name"] == name), None)
    if existing is None:
        labels = dict((owner["spec"].get("selector") or {}).get("matchLabels") or {})
        labels[HASH_LABEL] = hash_
        revision = {"apiVersion": "apps/v1", "kind": "ControllerRevision",
                    "metadata": {"name": name, "namespace": ns, "labels": labels,
                                 "ownerReferences": [controller_ref(owner)]},
                    "data": revision_data(template),
                    "revision": max((r.get("revision", 0) for r in revisions), default=0) + 1}
        try:
            return await client.create("controllerrevisions.apps", revision, ns)
        except APIError as exc:
            if exc.code != 409:
                raise
        existing = await client.get("controllerrevisions.apps", name, ns)
    if revision_template(existing) == template:
        return existing
    status = copy.deepcopy(owner.get("status") or {})
    status["collisionCount"] = collisions + 1
    await client.update(resource, {**owner, "status": status}, ns, subresource="status")
    return None

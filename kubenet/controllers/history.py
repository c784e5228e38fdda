"""ControllerRevisions as the DaemonSet and StatefulSet controllers keep them (pkg/controller/history): a stable
name-safe hash of a pod template, and the patch a revision stores to bring that template back."""
from __future__ import annotations

import copy
import hashlib
import json

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

"""Volume sources inside a PodSpec (pkg/apis/core/validation validateVolumeSource), for the source kubenet's
Pods carry on every real cluster: the projected volume (validateProjectionSources)."""
from __future__ import annotations

from kubenet.api.validation_field import FieldError, forbidden, invalid, required

_PROJECTION_KINDS = ("secret", "configMap", "downwardAPI", "serviceAccountToken", "clusterTrustBundle")


def validate_projected(projected: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    paths: set[str] = set()
    for i, source in enumerate(projected.get("sources") or []):
        src_path = f"{path}.sources[{i}]"
        kinds = [k for k in _PROJECTION_KINDS if source.get(k) is not None]
        for kind in ("secret", "configMap"):
            ref = source.get(kind)
            if ref is None:
                continue
            if not ref.get("name"):
                errs.append(required(f"{src_path}.{kind}.name"))
            for j, item in enumerate(ref.get("items") or []):
                if not item.get("key"):
                    errs.append(required(f"{src_path}.{kind}.items[{j}].key"))
                errs += _unique_path(item.get("path") or "", paths, path, ref.get("name", ""))
        for item in (source.get("downwardAPI") or {}).get("items") or []:
            errs += _unique_path(item.get("path") or "", paths, path, item.get("path") or "")
        token = source.get("serviceAccountToken")
        if token is not None:
            seconds = token.get("expirationSeconds") or 0
            if seconds < 600:
                errs.append(invalid(f"{src_path}.serviceAccountToken.expirationSeconds", seconds,
                                    "may not specify a duration less than 10 minutes"))
            if seconds > 1 << 32:
                errs.append(invalid(f"{src_path}.serviceAccountToken.expirationSeconds", seconds,
                                    "may not specify a duration larger than 2^32 seconds"))
            if not token.get("path"):
                errs.append(required(f"{path}.path"))  # upstream names the volume's path, not the source's
        if len(kinds) > 1:
            errs.append(forbidden(src_path, "may not specify more than 1 volume type per source"))
    return errs


def _unique_path(file_path: str, seen: set[str], path: str, value: str) -> list[FieldError]:
    if not file_path:
        return []
    if file_path in seen:
        return [invalid(path, value, "conflicting duplicate paths")]
    seen.add(file_path)
    return []

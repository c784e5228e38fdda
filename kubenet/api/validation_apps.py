"""apps/v1 workload rules (pkg/apis/apps/validation): Deployment, ReplicaSet, StatefulSet, DaemonSet; and the
core/v1 ReplicationController (pkg/apis/core/validation), which shares the ReplicaSet's pod template rules.

On update every apps/v1 workload keeps its selector: the strategies call ValidateImmutableField on
spec.selector for every group-version but the old extensions/v1beta1.
"""
from __future__ import annotations

from kubenet.api.validation_field import (
    FieldError,
    GoLiteral,
    forbidden,
    go_int_or_string,
    go_string_map,
    immutable,
    invalid,
    not_supported,
    required,
)
from kubenet.api.validation_meta import (
    is_valid_percent,
    selector_is_empty,
    selector_literal,
    selector_matches,
    validate_label_selector,
    validate_meta,
    validate_nonnegative,
)
from kubenet.api.validation_pod import validate_pod_template_spec

SELECTOR_MISMATCH = "`selector` does not match template `labels`"


def _int_or_percent_value(value: object) -> int:
    if isinstance(value, str):
        try:
            return int(value.rstrip("%"))
        except ValueError:
            return 0
    return value if isinstance(value, int) else 0


def validate_positive_int_or_percent(value: object, path: str) -> list[FieldError]:
    if isinstance(value, str):
        return [invalid(path, go_int_or_string(value), m) for m in is_valid_percent(value)]
    if isinstance(value, int):
        return validate_nonnegative(value, path)
    return [invalid(path, go_int_or_string(value), "must be an integer or percentage (e.g '5%')")]


def _not_more_than_100_percent(value: object, path: str) -> list[FieldError]:
    if isinstance(value, str) and not is_valid_percent(value) and _int_or_percent_value(value) > 100:
        return [invalid(path, go_int_or_string(value), "must not be greater than 100%")]
    return []


def _template_labels(template: dict) -> dict | None:
    return (template.get("metadata") or {}).get("labels")


def _validate_selector(spec: dict, kind_word: str) -> list[FieldError]:
    selector = spec.get("selector")
    if selector is None:
        return [required("spec.selector")]
    errs = validate_label_selector(selector, "spec.selector")
    if selector_is_empty(selector):
        errs.append(invalid("spec.selector", selector_literal(selector), f"empty selector is invalid for {kind_word}"))
    return errs


def _validate_template_for_replicas(spec: dict, workload: str) -> list[FieldError]:
    """ValidatePodTemplateSpecForReplicaSet: the template is required (a pointer in the Go type)."""
    template = spec.get("template")
    if template is None:
        return [required("spec.template")]
    return _validate_replica_template(template, spec.get("selector"), workload)


def _validate_replica_template(template: dict, selector: dict | None, workload: str) -> list[FieldError]:
    """Selector match, pod template, restartPolicy Always only (ReplicaSet and StatefulSet rules alike)."""
    errs: list[FieldError] = []
    if selector is not None and not selector_is_empty(selector) and not selector_matches(selector, _template_labels(template)):
        errs.append(invalid("spec.template.metadata.labels", go_string_map(_template_labels(template)), SELECTOR_MISMATCH))
    errs += validate_pod_template_spec(template, "spec.template")
    pod_spec = template.get("spec") or {}
    if pod_spec.get("restartPolicy") != "Always":
        errs.append(not_supported("spec.template.spec.restartPolicy", pod_spec.get("restartPolicy") or "", ["Always"]))
    if pod_spec.get("activeDeadlineSeconds") is not None:
        errs.append(forbidden("spec.template.spec.activeDeadlineSeconds", f"activeDeadlineSeconds in {workload} is not Supported"))
    return errs


def validate_deployment(obj: dict, old: dict | None = None) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errs = _meta(obj, old)
    errs += validate_nonnegative(spec.get("replicas", 0), "spec.replicas")
    errs += _validate_selector(spec, "deployment")
    errs += _validate_template_for_replicas(spec, "ReplicaSet")
    errs += _validate_deployment_strategy(spec.get("strategy") or {})
    errs += validate_nonnegative(spec.get("minReadySeconds", 0), "spec.minReadySeconds")
    if spec.get("revisionHistoryLimit") is not None:
        errs += validate_nonnegative(spec["revisionHistoryLimit"], "spec.revisionHistoryLimit")
    deadline = spec.get("progressDeadlineSeconds")
    if deadline is not None:
        errs += validate_nonnegative(deadline, "spec.progressDeadlineSeconds")
        if deadline <= (spec.get("minReadySeconds") or 0):
            errs.append(invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"))
    return errs + _selector_update(obj, old)


def validate_replication_controller(obj: dict, old: dict | None = None) -> list[FieldError]:
    """ValidateReplicationControllerSpec: a non-empty map selector that matches the template. Unlike the apps
    kinds, an RC's selector may change on update."""
    spec = obj.get("spec") or {}
    errs = _meta(obj, old)
    errs += validate_nonnegative(spec.get("minReadySeconds", 0), "spec.minReadySeconds")
    selector = spec.get("selector") or {}
    if not selector:
        errs.append(required("spec.selector"))
    errs += validate_nonnegative(spec.get("replicas", 0), "spec.replicas")
    template = spec.get("template")
    if template is None:
        errs.append(required("spec.template"))
    else:
        errs += _validate_replica_template(template, {"matchLabels": selector} if selector else None,
                                           "ReplicationController")
    return errs


def _validate_deployment_strategy(strategy: dict) -> list[FieldError]:
    stype = strategy.get("type") or ""
    rolling = strategy.get("rollingUpdate")
    if stype == "Recreate":
        if rolling is not None:
            return [forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")]
        return []
    if stype == "RollingUpdate":
        if rolling is None:
            return [required("spec.strategy.rollingUpdate", "this should be defaulted and never be nil")]
        path = "spec.strategy.rollingUpdate"
        unavailable, surge = rolling.get("maxUnavailable", 0), rolling.get("maxSurge", 0)
        errs = validate_positive_int_or_percent(unavailable, f"{path}.maxUnavailable")
        errs += validate_positive_int_or_percent(surge, f"{path}.maxSurge")
        if _int_or_percent_value(unavailable) == 0 and _int_or_percent_value(surge) == 0:
            errs.append(invalid(f"{path}.maxUnavailable", go_int_or_string(unavailable), "may not be 0 when `maxSurge` is 0"))
        return errs + _not_more_than_100_percent(unavailable, f"{path}.maxUnavailable")
    literal = GoLiteral(f'apps.DeploymentStrategy{{Type:"{stype}", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}}')
    return [not_supported("spec.strategy", literal, ["Recreate", "RollingUpdate"])]


def validate_replica_set(obj: dict, old: dict | None = None) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errs = _meta(obj, old)
    errs += validate_nonnegative(spec.get("replicas", 0), "spec.replicas")
    errs += validate_nonnegative(spec.get("minReadySeconds", 0), "spec.minReadySeconds")
    errs += _validate_selector(spec, "deployment")  # the real ReplicaSet code reuses the Deployment wording
    errs += _validate_template_for_replicas(spec, "ReplicaSet")
    return errs + _selector_update(obj, old)


def validate_stateful_set(obj: dict, old: dict | None = None) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errs = _meta(obj, old)
    policy = spec.get("podManagementPolicy") or ""
    if not policy:
        errs.append(required("spec.podManagementPolicy"))
    elif policy not in ("OrderedReady", "Parallel"):
        errs.append(invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'"))
    strategy = spec.get("updateStrategy") or {}
    stype = strategy.get("type") or ""
    if not stype:
        errs.append(required("spec.updateStrategy"))
    elif stype == "OnDelete":
        if strategy.get("rollingUpdate") is not None:
            errs.append(invalid("spec.updateStrategy.rollingUpdate", GoLiteral("apps.RollingUpdateStatefulSetStrategy{...}"),
                                "only allowed for updateStrategy 'RollingUpdate'"))
    elif stype == "RollingUpdate":
        partition = (strategy.get("rollingUpdate") or {}).get("partition")
        if partition is not None:
            errs += validate_nonnegative(partition, "spec.updateStrategy.rollingUpdate.partition")
    else:
        errs.append(invalid("spec.updateStrategy", GoLiteral(f'apps.StatefulSetUpdateStrategy{{Type:"{stype}", '
                                                             'RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}'),
                            "must be 'RollingUpdate' or 'OnDelete'"))
    retention = spec.get("persistentVolumeClaimRetentionPolicy")
    if retention is not None:
        for key in ("whenDeleted", "whenScaled"):
            value = retention.get(key) or ""
            if value not in ("Retain", "Delete"):
                errs.append(not_supported(f"spec.persistentVolumeClaimRetentionPolicy.{key}", value, ["Retain", "Delete"]))
    errs += validate_nonnegative(spec.get("replicas", 0), "spec.replicas")
    errs += validate_nonnegative(spec.get("minReadySeconds", 0), "spec.minReadySeconds")
    errs += _validate_selector(spec, "statefulset")
    # StatefulSet's template is a value, not a pointer: a missing one is validated as empty.
    errs += _validate_replica_template(spec.get("template") or {}, spec.get("selector"), "StatefulSet")
    if old is not None:
        mutable = ("replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit",
                   "persistentVolumeClaimRetentionPolicy", "minReadySeconds")
        fixed_new = {k: v for k, v in spec.items() if k not in mutable}
        fixed_old = {k: v for k, v in (old.get("spec") or {}).items() if k not in mutable}
        if fixed_new != fixed_old:
            errs.append(forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                                  "'template', 'updateStrategy', 'revisionHistoryLimit', "
                                  "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"))
    return errs


def validate_daemon_set(obj: dict, old: dict | None = None) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errs = _meta(obj, old)
    selector = spec.get("selector")
    errs += validate_label_selector(selector, "spec.selector")
    template = spec.get("template") or {}
    if not selector_matches(selector, _template_labels(template)):
        errs.append(invalid("spec.template.metadata.labels", go_string_map(_template_labels(template)), SELECTOR_MISMATCH))
    if selector is not None and selector_is_empty(selector):
        errs.append(invalid("spec.selector", selector_literal(selector), "empty selector is invalid for daemonset"))
    errs += validate_pod_template_spec(template, "spec.template")
    pod_spec = template.get("spec") or {}
    if pod_spec.get("restartPolicy") != "Always":
        errs.append(not_supported("spec.template.spec.restartPolicy", pod_spec.get("restartPolicy") or "", ["Always"]))
    if pod_spec.get("activeDeadlineSeconds") is not None:
        errs.append(invalid("spec.template.spec.activeDeadlineSeconds", pod_spec["activeDeadlineSeconds"],
                            "activeDeadlineSeconds in DaemonSet is not Supported"))
    errs += validate_nonnegative(spec.get("minReadySeconds", 0), "spec.minReadySeconds")
    errs += _validate_daemon_set_strategy(spec.get("updateStrategy") or {})
    if spec.get("revisionHistoryLimit") is not None:
        errs += validate_nonnegative(spec["revisionHistoryLimit"], "spec.revisionHistoryLimit")
    return errs + _selector_update(obj, old)


def _validate_daemon_set_strategy(strategy: dict) -> list[FieldError]:
    stype = strategy.get("type") or ""
    if stype == "OnDelete":
        return []
    if stype != "RollingUpdate":
        literal = GoLiteral(f'apps.DaemonSetUpdateStrategy{{Type:"{stype}", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}}')
        return [not_supported("spec.updateStrategy", literal, ["RollingUpdate", "OnDelete"])]
    rolling = strategy.get("rollingUpdate")
    path = "spec.updateStrategy.rollingUpdate"
    if rolling is None:
        return [required(path)]
    unavailable, surge = rolling.get("maxUnavailable", 0), rolling.get("maxSurge", 0)
    errs = validate_positive_int_or_percent(unavailable, f"{path}.maxUnavailable")
    errs += validate_positive_int_or_percent(surge, f"{path}.maxSurge")
    errs += _not_more_than_100_percent(unavailable, f"{path}.maxUnavailable")
    errs += _not_more_than_100_percent(surge, f"{path}.maxSurge")
    has_unavailable, has_surge = _int_or_percent_value(unavailable) != 0, _int_or_percent_value(surge) != 0
    if has_unavailable and has_surge:
        errs.append(invalid(f"{path}.maxSurge", go_int_or_string(surge), "may not be set when maxUnavailable is non-zero"))
    elif not has_unavailable and not has_surge:
        errs.append(required(f"{path}.maxUnavailable", "cannot be 0 when maxSurge is 0"))
    return errs


def _meta(obj: dict, old: dict | None) -> list[FieldError]:
    return validate_meta(obj, old)


def _selector_update(obj: dict, old: dict | None) -> list[FieldError]:
    if old is None:
        return []
    new_sel = (obj.get("spec") or {}).get("selector")
    old_sel = (old.get("spec") or {}).get("selector")
    return immutable(new_sel, old_sel, "spec.selector", selector_literal(new_sel))

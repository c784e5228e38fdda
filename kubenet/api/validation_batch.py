"""batch/v1 rules (pkg/apis/batch/validation): Job and CronJob. Schedules are checked by kubenet.api.cron,
which returns robfig/cron's ParseStandard texts (what a user sees after "spec.schedule: Invalid value: ...")."""
from __future__ import annotations

import zoneinfo

from kubenet.api.cron import CronError, parse_cron_schedule
from kubenet.api.validation_field import (
    FieldError,
    GoLiteral,
    go_string_map,
    immutable,
    invalid,
    not_supported,
    required,
)
from kubenet.api.validation_meta import (
    selector_literal,
    selector_matches,
    validate_label_selector,
    validate_meta,
    validate_nonnegative,
)
from kubenet.api.validation_pod import validate_pod_template_spec

CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"

def _validate_job_spec_common(spec: dict, path: str) -> list[FieldError]:
    """validateJobSpec: the parts shared by Jobs and CronJob job templates."""
    errs: list[FieldError] = []
    for key in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished"):
        if spec.get(key) is not None:
            errs += validate_nonnegative(spec[key], f"{path}.{key}")
    mode = spec.get("completionMode")
    if mode is not None:
        if mode not in ("NonIndexed", "Indexed"):
            errs.append(not_supported(f"{path}.completionMode", mode, ["NonIndexed", "Indexed"]))
        if mode == "Indexed" and spec.get("completions") is None:
            errs.append(required(f"{path}.completions", "when completion mode is Indexed"))
    replacement = spec.get("podReplacementPolicy")
    if replacement is not None and replacement not in ("TerminatingOrFailed", "Failed"):
        errs.append(not_supported(f"{path}.podReplacementPolicy", replacement, ["Failed", "TerminatingOrFailed"]))
    template = spec.get("template") or {}
    errs += validate_pod_template_spec(template, f"{path}.template")
    restart = (template.get("spec") or {}).get("restartPolicy") or ""
    if restart not in ("OnFailure", "Never"):
        errs.append(not_supported(f"{path}.template.spec.restartPolicy", restart, ["OnFailure", "Never"]))
    return errs


def validate_job(job: dict, old: dict | None = None) -> list[FieldError]:
    spec = job.get("spec") or {}
    errs = validate_meta(job, old)
    selector = spec.get("selector")
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    auto_generated = CONTROLLER_UID_LABEL in ((selector or {}).get("matchLabels") or {})
    if not spec.get("manualSelector") and selector is not None and not auto_generated:
        errs.append(invalid("spec.selector", selector_literal(selector), "`selector` not auto-generated"))
    errs += _validate_job_spec_common(spec, "spec")
    if selector is None:
        errs.append(required("spec.selector"))
    else:
        errs += validate_label_selector(selector, "spec.selector")
    if not selector_matches(selector, template_labels):
        errs.append(invalid("spec.template.metadata.labels", go_string_map(template_labels),
                            "`selector` does not match template `labels`"))
    if old is not None:
        old_spec = old.get("spec") or {}
        errs += immutable(selector, old_spec.get("selector"), "spec.selector", selector_literal(selector))
        if spec.get("template") != old_spec.get("template"):
            errs.append(invalid("spec.template", GoLiteral("core.PodTemplateSpec{...}"), "field is immutable"))
    return errs


def validate_cron_job(cron_job: dict, old: dict | None = None) -> list[FieldError]:
    meta = cron_job.get("metadata") or {}
    spec = cron_job.get("spec") or {}
    errs = validate_meta(cron_job, old)
    if len(meta.get("name") or "") > 52:
        errs.append(invalid("metadata.name", meta["name"], "must be no more than 52 characters"))
    schedule = spec.get("schedule") or ""
    if not schedule:
        errs.append(required("spec.schedule"))
    else:
        try:
            parse_cron_schedule(schedule)
        except CronError as e:
            errs.append(invalid("spec.schedule", schedule, str(e)))
        old_schedule = ((old or {}).get("spec") or {}).get("schedule") or ""
        if "TZ" in schedule and "TZ" not in old_schedule:
            errs.append(invalid("spec.schedule", schedule,
                                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
    if spec.get("startingDeadlineSeconds") is not None:
        errs += validate_nonnegative(spec["startingDeadlineSeconds"], "spec.startingDeadlineSeconds")
    policy = spec.get("concurrencyPolicy") or ""
    if not policy:
        errs.append(required("spec.concurrencyPolicy"))
    elif policy not in ("Allow", "Forbid", "Replace"):
        errs.append(not_supported("spec.concurrencyPolicy", policy, ["Allow", "Forbid", "Replace"]))
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    errs += _validate_job_spec_common(job_spec, "spec.jobTemplate.spec")
    if job_spec.get("selector") is not None:
        errs.append(invalid("spec.jobTemplate.spec.selector", selector_literal(job_spec["selector"]),
                            "`selector` will be auto-generated"))
    if job_spec.get("manualSelector"):
        errs.append(not_supported("spec.jobTemplate.spec.manualSelector", True, ["nil", "false"]))
    for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        if spec.get(key) is not None:
            errs += validate_nonnegative(spec[key], f"spec.{key}")
    tz = spec.get("timeZone")
    if tz is not None:
        if tz.lower() == "local":
            errs.append(invalid("spec.timeZone", tz, "timeZone must be an explicit time zone as defined in "
                                "https://www.iana.org/time-zones"))
        else:
            try:
                zoneinfo.ZoneInfo(tz)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                errs.append(invalid("spec.timeZone", tz, f"unknown time zone {tz}"))
    return errs

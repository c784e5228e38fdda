"""batch/v1 rules (pkg/apis/batch/validation): Job, CronJob, and the cron schedule parser's messages.

The API server checks schedules with robfig/cron v3 `ParseStandard`; its error strings are what a user
sees after "spec.schedule: Invalid value: ...", so the parser below returns the same texts.
"""
from __future__ import annotations

import zoneinfo

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
    name_is_dns_subdomain,
    selector_literal,
    selector_matches,
    validate_label_selector,
    validate_nonnegative,
    validate_object_meta,
    validate_object_meta_update,
)
from kubenet.api.validation_pod import validate_pod_template_spec

CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"

_DESCRIPTORS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
_MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_DOW = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
# (min, max, names) for minute, hour, day of month, month, day of week
_BOUNDS = [(0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, _MONTHS), (0, 6, _DOW)]


class CronError(ValueError):
    pass


def _atoi(text: str) -> int:
    try:
        if not text or not text.lstrip("+-").isdigit():
            raise ValueError
        return int(text)
    except ValueError:
        raise CronError(f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax') from None


def _must_parse_int(text: str) -> int:
    num = _atoi(text)
    if num < 0:
        raise CronError(f"negative number ({num}) not allowed: {text}")
    return num


def _int_or_name(text: str, names: dict) -> int:
    if names and text.lower() in names:
        return names[text.lower()]
    return _must_parse_int(text)


def _parse_range(expr: str, lo: int, hi: int, names: dict) -> None:
    range_and_step = expr.split("/")
    low_high = range_and_step[0].split("-")
    if low_high[0] in ("*", "?"):
        start, end = lo, hi
    else:
        start = _int_or_name(low_high[0], names)
        if len(low_high) == 1:
            end = start
        elif len(low_high) == 2:
            end = _int_or_name(low_high[1], names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    step = 1
    if len(range_and_step) == 2:
        step = _must_parse_int(range_and_step[1])
        if len(low_high) == 1:
            end = hi  # "N/step" means "N-max/step"
    elif len(range_and_step) > 2:
        raise CronError(f"too many slashes: {expr}")
    if start < lo:
        raise CronError(f"beginning of range ({start}) below minimum ({lo}): {expr}")
    if end > hi:
        raise CronError(f"end of range ({end}) above maximum ({hi}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")


def parse_cron_schedule(schedule: str) -> None:
    """Raise CronError with robfig/cron's message if `schedule` is not a standard 5-field spec."""
    if not schedule:
        raise CronError("empty spec string")
    spec = schedule
    if spec.startswith(("TZ=", "CRON_TZ=")):
        tz_part, _, spec = spec.partition(" ")
        try:
            zoneinfo.ZoneInfo(tz_part.split("=", 1)[1])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise CronError(f"provided bad location {tz_part.split('=', 1)[1]}: unknown time zone "
                            f"{tz_part.split('=', 1)[1]}") from None
        spec = spec.strip()
    if spec.startswith("@"):
        if spec in _DESCRIPTORS:
            return
        if spec.startswith("@every "):
            return
        raise CronError(f"unrecognized descriptor: {spec}")
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    for text, (lo, hi, names) in zip(fields, _BOUNDS):
        for expr in text.split(","):
            _parse_range(expr, lo, hi, names)


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
    meta = job.get("metadata") or {}
    spec = job.get("spec") or {}
    errs = validate_object_meta(meta, True, name_is_dns_subdomain)
    if old is not None:
        errs = validate_object_meta_update(meta, old.get("metadata") or {}) + errs
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
    errs = validate_object_meta(meta, True, name_is_dns_subdomain)
    if old is not None:
        errs = validate_object_meta_update(meta, old.get("metadata") or {}) + errs
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

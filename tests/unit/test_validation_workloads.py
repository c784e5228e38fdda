"""Rejections of Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs and CronJobs (exact texts)."""
import copy

import pytest

from kubenet.api.cron import CronError, parse_cron_schedule
from kubenet.api.defaults import apply_defaults
from kubenet.api.kinds import by_kind
from kubenet.api.validation import validate

DEP, RS = by_kind("apps/v1", "Deployment"), by_kind("apps/v1", "ReplicaSet")
STS, DS = by_kind("apps/v1", "StatefulSet"), by_kind("apps/v1", "DaemonSet")
JOB, CJ = by_kind("batch/v1", "Job"), by_kind("batch/v1", "CronJob")


def errors(kind, obj, old=None):
    obj = copy.deepcopy(obj)
    apply_defaults(kind, obj)
    return [str(e) for e in validate(kind, obj, old)]


def workload(selector=None, labels=None, **spec):
    body = {"selector": selector if selector is not None else {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": labels if labels is not None else {"app": "web"}},
                         "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}
    body.update(spec)
    return {"metadata": {"name": "web", "namespace": "default"}, "spec": body}


def test_valid_workloads_pass():
    for kind in (DEP, RS, STS, DS):
        assert errors(kind, workload()) == []


def test_selector_required():
    obj = workload()
    del obj["spec"]["selector"]
    assert errors(DEP, obj) == ["spec.selector: Required value"]
    assert errors(STS, obj) == ["spec.selector: Required value"]


def test_selector_must_match_template_labels():
    expected = [('spec.template.metadata.labels: Invalid value: map[string]string{"app":"api"}: '
                '`selector` does not match template `labels`')]
    for kind in (DEP, RS, STS, DS):
        assert errors(kind, workload(labels={"app": "api"})) == expected


def test_empty_selector():
    assert errors(DEP, workload(selector={})) == [
        ("spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment")]


def test_selector_is_immutable_in_apps_v1():
    old = workload()
    apply_defaults(DEP, old)
    new = workload(selector={"matchLabels": {"app": "web2"}}, labels={"app": "web2"})
    assert errors(DEP, new, old) == [
        ('spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable")]


def test_replicas_not_negative():
    assert errors(DEP, workload(replicas=-1)) == ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"]


def test_template_restart_policy_must_be_always():
    obj = workload()
    obj["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert errors(DEP, obj) == [
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']


def test_rolling_update_may_not_have_both_zero():
    obj = workload(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}})
    assert errors(DEP, obj) == [
        ('spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: '
        "may not be 0 when `maxSurge` is 0")]
    obj = workload(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "120%"}})
    assert errors(DEP, obj) == [
        ('spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, '
        'StrVal:"120%"}: must not be greater than 100%')]


def test_daemon_set_surge_and_unavailable():
    obj = workload(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}})
    assert errors(DS, obj) == [
        ('spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: '
        "may not be set when maxUnavailable is non-zero")]


def test_stateful_set_pod_management_policy_and_update_rules():
    assert errors(STS, workload(podManagementPolicy="Fast")) == [
        "spec.podManagementPolicy: Invalid value: \"Fast\": must be 'OrderedReady' or 'Parallel'"]
    old = workload(serviceName="web")
    apply_defaults(STS, old)
    new = copy.deepcopy(old)
    new["spec"]["serviceName"] = "other"
    assert errors(STS, new, old) == [
        ("spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
        "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' "
        "are forbidden")]


def job(restart="Never", **spec):
    body = {"template": {"spec": {"restartPolicy": restart, "containers": [{"name": "pi", "image": "perl"}]}}}
    body.update(spec)
    return {"metadata": {"name": "pi", "namespace": "default", "uid": "6a1f"}, "spec": body}


def test_job_generated_selector_validates():
    assert errors(JOB, job()) == []


def test_job_restart_policy():
    assert errors(JOB, job(restart="Always")) == [
        'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"']


def test_job_user_selector_without_manual_selector():
    obj = job(selector={"matchLabels": {"app": "pi"}})
    obj["spec"]["template"]["metadata"] = {"labels": {"app": "pi"}}
    assert errors(JOB, obj)[0] == (
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"pi"}, '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated")


def cron(schedule="*/5 * * * *", **spec):
    body = {"schedule": schedule, "jobTemplate": {"spec": {"template": {"spec": {
        "restartPolicy": "OnFailure", "containers": [{"name": "tick", "image": "busybox"}]}}}}}
    body.update(spec)
    return {"metadata": {"name": "tick", "namespace": "default"}, "spec": body}


def test_cron_job_valid_and_schedule_errors():
    assert errors(CJ, cron()) == []
    assert errors(CJ, cron("every minute")) == [
        'spec.schedule: Invalid value: "every minute": expected exactly 5 fields, found 2: [every minute]']
    assert errors(CJ, cron("60 * * * *")) == [
        'spec.schedule: Invalid value: "60 * * * *": end of range (60) above maximum (59): 60']
    assert errors(CJ, cron("")) == ["spec.schedule: Required value"]
    assert errors(CJ, cron(concurrencyPolicy="Sometimes")) == [
        'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"']


def test_cron_job_template_restart_policy():
    obj = cron()
    obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    assert errors(CJ, obj) == [('spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always": '
                               'supported values: "OnFailure", "Never"')]


@pytest.mark.parametrize("schedule,message", [
    ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
    ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
    ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
    ("*/0 * * * *", "step of range should be a positive number: */0"),
    ("@often", "unrecognized descriptor: @often"),
])
def test_cron_parser_messages(schedule, message):
    with pytest.raises(CronError) as e:
        parse_cron_schedule(schedule)
    assert str(e.value) == message


def test_cron_parser_accepts_names_and_descriptors():
    for schedule in ("0 9 * jan-mar mon-fri", "@hourly", "@every 1h30m", "0,30 * * * *", "5/15 * * * *"):
        parse_cron_schedule(schedule)


def test_selector_with_an_unknown_operator_is_reported_once():
    """The template check uses the one selector matcher; a selector it cannot read is the selector's error only
    (upstream checks the template `if err == nil`), not an exception or a second, template error."""
    selector = {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "Near"}]}
    for kind in (DS, JOB):
        obj = workload(selector=selector)
        if kind is JOB:
            obj["spec"]["manualSelector"] = True
            obj["spec"]["template"]["spec"]["restartPolicy"] = "Never"
        assert errors(kind, obj) == [('spec.selector.matchExpressions[0].operator: Invalid value: "Near": '
                                     'not a valid selector operator')]

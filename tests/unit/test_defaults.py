"""Objects after the API server's defaulting, as `kubectl get -o yaml` shows them."""
import base64
import copy

from kubenet.api.defaults import apply_defaults, default_tolerations, generate_job_selector
from kubenet.api.kinds import by_kind

POD = by_kind("v1", "Pod")


def pod(*containers):
    return {"metadata": {"name": "web", "namespace": "default"},
            "spec": {"containers": list(containers) or [{"name": "nginx", "image": "nginx"}]}}


def test_pod_gets_the_v1_defaults():
    p = pod({"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80}],
             "resources": {"limits": {"cpu": "0.5", "memory": "1.5Gi"}}})
    apply_defaults(POD, p)
    spec = p["spec"]
    assert {k: spec[k] for k in ("restartPolicy", "dnsPolicy", "terminationGracePeriodSeconds", "schedulerName",
                                 "securityContext", "enableServiceLinks", "priority", "preemptionPolicy",
                                 "serviceAccountName", "serviceAccount")} == {
        "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "terminationGracePeriodSeconds": 30,
        "schedulerName": "default-scheduler", "securityContext": {}, "enableServiceLinks": True, "priority": 0,
        "preemptionPolicy": "PreemptLowerPriority", "serviceAccountName": "default", "serviceAccount": "default"}
    c = spec["containers"][0]
    assert c["imagePullPolicy"] == "IfNotPresent"
    assert c["terminationMessagePath"] == "/dev/termination-log"
    assert c["terminationMessagePolicy"] == "File"
    assert c["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    # limits are canonical, and a Pod's requests default to its limits
    assert c["resources"] == {"limits": {"cpu": "500m", "memory": "1536Mi"},
                              "requests": {"cpu": "500m", "memory": "1536Mi"}}


def test_image_pull_policy_follows_the_tag():
    p = pod({"name": "a", "image": "nginx"}, {"name": "b", "image": "nginx:latest"},
            {"name": "c", "image": "registry:5000/app:v1"}, {"name": "d", "image": "nginx@sha256:abc"})
    apply_defaults(POD, p)
    assert [c["imagePullPolicy"] for c in p["spec"]["containers"]] == ["Always", "Always", "IfNotPresent", "IfNotPresent"]
    assert p["spec"]["containers"][0]["resources"] == {}


def test_probe_defaults():
    p = pod({"name": "a", "image": "nginx", "livenessProbe": {"httpGet": {"port": 80}}})
    apply_defaults(POD, p)
    assert p["spec"]["containers"][0]["livenessProbe"] == {
        "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1, "periodSeconds": 10,
        "successThreshold": 1, "failureThreshold": 3}


def test_default_tolerations_admission():
    p = pod()
    default_tolerations(p)
    assert p["spec"]["tolerations"] == [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]


def test_defaulting_is_idempotent():
    p = pod()
    apply_defaults(POD, p)
    again = copy.deepcopy(p)
    apply_defaults(POD, again)
    assert again == p


def test_service_defaults_by_type():
    svc = {"metadata": {"name": "web"}, "spec": {"type": "LoadBalancer", "selector": {"app": "web"},
                                                 "ports": [{"port": 80}]}}
    apply_defaults(by_kind("v1", "Service"), svc)
    assert svc["spec"] == {"type": "LoadBalancer", "selector": {"app": "web"},
                           "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
                           "sessionAffinity": "None", "externalTrafficPolicy": "Cluster",
                           "internalTrafficPolicy": "Cluster", "allocateLoadBalancerNodePorts": True,
                           "ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]}
    plain = {"metadata": {"name": "db"}, "spec": {"ports": [{"port": 5432, "targetPort": "pg"}]}}
    apply_defaults(by_kind("v1", "Service"), plain)
    assert plain["spec"]["type"] == "ClusterIP" and "externalTrafficPolicy" not in plain["spec"]
    assert plain["spec"]["ports"][0]["targetPort"] == "pg"


def test_headless_service_without_selector_requires_dual_stack_policy():
    svc = {"metadata": {"name": "ext"}, "spec": {"clusterIP": "None"}}
    apply_defaults(by_kind("v1", "Service"), svc)
    assert svc["spec"]["ipFamilyPolicy"] == "RequireDualStack"
    assert svc["spec"]["clusterIPs"] == ["None"]


def test_workload_defaults():
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "a", "image": "nginx"}]}}
    dep = {"metadata": {"name": "web"}, "spec": {"template": copy.deepcopy(template)}}
    apply_defaults(by_kind("apps/v1", "Deployment"), dep)
    assert dep["spec"]["replicas"] == 1
    assert dep["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert (dep["spec"]["revisionHistoryLimit"], dep["spec"]["progressDeadlineSeconds"]) == (10, 600)
    assert dep["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    sts = {"metadata": {"name": "db"}, "spec": {"template": copy.deepcopy(template)}}
    apply_defaults(by_kind("apps/v1", "StatefulSet"), sts)
    assert sts["spec"]["podManagementPolicy"] == "OrderedReady"
    assert sts["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert sts["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    ds = {"metadata": {"name": "agent"}, "spec": {"template": copy.deepcopy(template)}}
    apply_defaults(by_kind("apps/v1", "DaemonSet"), ds)
    assert ds["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    rs = {"metadata": {"name": "web-1"}, "spec": {}}
    apply_defaults(by_kind("apps/v1", "ReplicaSet"), rs)
    assert rs["spec"]["replicas"] == 1


def test_job_defaults_and_generated_selector():
    job = {"metadata": {"name": "pi", "uid": "u-1"},
           "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl"}]}}}}
    apply_defaults(by_kind("batch/v1", "Job"), job)
    spec = job["spec"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"]) == (1, 1, 6)
    assert (spec["completionMode"], spec["suspend"], spec["podReplacementPolicy"]) == ("NonIndexed", False, "TerminatingOrFailed")
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": "u-1"}}
    assert spec["template"]["metadata"]["labels"] == {
        "batch.kubernetes.io/controller-uid": "u-1", "batch.kubernetes.io/job-name": "pi",
        "controller-uid": "u-1", "job-name": "pi"}
    manual = {"metadata": {"name": "m", "uid": "u"}, "spec": {"manualSelector": True}}
    generate_job_selector(manual)
    assert "selector" not in manual["spec"]


def test_cron_job_namespace_secret_and_network_policy_defaults():
    cj = {"metadata": {"name": "tick"}, "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {}}}}}}
    apply_defaults(by_kind("batch/v1", "CronJob"), cj)
    assert {k: cj["spec"][k] for k in ("concurrencyPolicy", "suspend", "successfulJobsHistoryLimit",
                                       "failedJobsHistoryLimit")} == {
        "concurrencyPolicy": "Allow", "suspend": False, "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1}
    ns = {"metadata": {"name": "team-a"}}
    apply_defaults(by_kind("v1", "Namespace"), ns)
    assert ns == {"metadata": {"name": "team-a", "labels": {"kubernetes.io/metadata.name": "team-a"}},
                  "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
    secret = {"metadata": {"name": "s"}, "stringData": {"password": "hunter2"}}
    apply_defaults(by_kind("v1", "Secret"), secret)
    assert secret == {"metadata": {"name": "s"}, "type": "Opaque",
                      "data": {"password": base64.b64encode(b"hunter2").decode()}}
    np = {"metadata": {"name": "deny"}, "spec": {"egress": [{"ports": [{"port": 53}]}]}}
    apply_defaults(by_kind("networking.k8s.io/v1", "NetworkPolicy"), np)
    assert np["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert np["spec"]["egress"][0]["ports"][0]["protocol"] == "TCP"


def test_endpoint_ports_default_to_tcp():
    eps = {"metadata": {"name": "web-abc"}, "addressType": "IPv4", "ports": [{"port": 80}]}
    apply_defaults(by_kind("discovery.k8s.io/v1", "EndpointSlice"), eps)
    assert eps["ports"] == [{"port": 80, "protocol": "TCP", "name": ""}]
    ep = {"metadata": {"name": "web"}, "subsets": [{"ports": [{"port": 80}]}]}
    apply_defaults(by_kind("v1", "Endpoints"), ep)
    assert ep["subsets"][0]["ports"][0]["protocol"] == "TCP"

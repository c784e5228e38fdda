"""What a user sees when the API server rejects a Pod, a Service or bad metadata (exact texts)."""
import copy

from kubenet.api.defaults import apply_defaults
from kubenet.api.kinds import by_kind
from kubenet.api.validation import FieldError, invalid_status, validate

POD, SVC, NS, DEP = by_kind("v1", "Pod"), by_kind("v1", "Service"), by_kind("v1", "Namespace"), by_kind("apps/v1", "Deployment")
LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
             "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
             "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
                 "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
                 "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")


def errors(kind, obj, old=None):
    obj = copy.deepcopy(obj)
    apply_defaults(kind, obj)
    return [str(e) for e in validate(kind, obj, old)]


def pod(**spec):
    base = {"containers": [{"name": "nginx", "image": "nginx"}]}
    base.update(spec)
    return {"metadata": {"name": "web", "namespace": "default"}, "spec": base}


def svc(**spec):
    base = {"selector": {"app": "web"}, "ports": [{"port": 80}]}
    base.update(spec)
    return {"metadata": {"name": "web", "namespace": "default"}, "spec": base}


# --- FieldError and the Status ---------------------------------------------------------------

def test_field_error_messages_match_apimachinery():
    assert FieldError("FieldValueRequired", "spec.ports").message() == "Required value"
    assert FieldError("FieldValueDuplicate", "spec.ports[1].nodePort", 30080).message() == "Duplicate value: 30080"
    assert str(FieldError("FieldValueNotSupported", "spec.type", "Foo",
                          'supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"')) == \
        'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'
    assert FieldError("FieldValueTooLong", "metadata.annotations", "x", "may not be more than 262144 bytes").message() \
        == "Too long: may not be more than 262144 bytes"


def test_invalid_status_has_the_real_shape():
    errs = validate(SVC, {"metadata": {"name": "web", "namespace": "default"}, "spec": {}})
    status = invalid_status(SVC, "web", errs[:1])
    assert status == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'Service "web" is invalid: spec.ports: Required value', "reason": "Invalid",
        "details": {"name": "web", "kind": "Service",
                    "causes": [{"reason": "FieldValueRequired", "message": "Required value", "field": "spec.ports"}]},
        "code": 422}


def test_invalid_status_for_a_grouped_kind_with_several_errors():
    errs = [FieldError("FieldValueRequired", "spec.selector"), FieldError("FieldValueRequired", "spec.selector"),
            FieldError("FieldValueInvalid", "spec.replicas", -1, "must be greater than or equal to 0")]
    status = invalid_status(DEP, "web", errs)
    assert status["message"] == ('Deployment.apps "web" is invalid: [spec.selector: Required value, '
                                 'spec.replicas: Invalid value: -1: must be greater than or equal to 0]')
    assert status["details"]["group"] == "apps" and status["details"]["kind"] == "Deployment"
    assert len(status["details"]["causes"]) == 3


# --- metadata ---------------------------------------------------------------------------------

def test_name_is_required_unless_generate_name():
    obj = pod()
    obj["metadata"] = {"namespace": "default"}
    assert errors(POD, obj) == ["metadata.name: Required value: name or generateName is required"]


def test_pod_name_must_be_a_subdomain():
    obj = pod()
    obj["metadata"]["name"] = "Web_1"
    assert errors(POD, obj) == [f'metadata.name: Invalid value: "Web_1": {SUBDOMAIN_MSG}']


def test_namespace_name_must_be_a_label():
    assert errors(NS, {"metadata": {"name": "team.a"}}) == ['metadata.name: Invalid value: "team.a": must not contain dots']
    assert errors(NS, {"metadata": {"name": "Team"}}) == [f'metadata.name: Invalid value: "Team": {LABEL_MSG}']


def test_service_name_must_be_a_dns1035_label():
    obj = svc()
    obj["metadata"]["name"] = "1web"
    assert errors(SVC, obj) == [
        ('metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters '
        "or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
        "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")]


def test_label_keys_and_values():
    obj = pod()
    obj["metadata"]["labels"] = {"app": "-web"}
    assert errors(POD, obj) == [
        ('metadata.labels: Invalid value: "-web": a valid label must be an empty string or consist of alphanumeric '
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
        "'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")]
    obj["metadata"]["labels"] = {"a/b/c": "x"}
    assert errors(POD, obj)[0].startswith('metadata.labels: Invalid value: "a/b/c": a qualified name must consist of')


def test_annotations_size_limit():
    obj = pod()
    obj["metadata"]["annotations"] = {"big": "x" * (256 * 1024)}
    assert errors(POD, obj) == ["metadata.annotations: Too long: may not be more than 262144 bytes"]


def test_namespace_of_an_object_is_immutable():
    old = pod()
    new = copy.deepcopy(old)
    new["metadata"]["namespace"] = "other"
    apply_defaults(POD, old)
    assert 'metadata.namespace: Invalid value: "other": field is immutable' in errors(POD, new, old)


# --- Pod ------------------------------------------------------------------------------------

def test_pod_needs_containers():
    assert errors(POD, pod(containers=[])) == ["spec.containers: Required value"]


def test_container_name_image_and_uniqueness():
    obj = pod(containers=[{"name": "Web", "image": ""}, {"name": "web", "image": "a"}, {"name": "web", "image": "b"}])
    assert errors(POD, obj) == [f'spec.containers[0].name: Invalid value: "Web": {LABEL_MSG}',
                                "spec.containers[0].image: Required value",
                                'spec.containers[2].name: Duplicate value: "web"']


def test_container_ports():
    obj = pod(containers=[{"name": "a", "image": "nginx", "ports": [
        {"containerPort": 0}, {"containerPort": 70000}, {"containerPort": 80, "protocol": "HTTP"}]}])
    assert errors(POD, obj) == [
        "spec.containers[0].ports[0].containerPort: Required value",
        "spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
        'spec.containers[0].ports[2].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"']


def test_restart_and_dns_policy_values():
    assert errors(POD, pod(restartPolicy="Sometimes")) == [
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']
    assert errors(POD, pod(dnsPolicy="Cluster")) == [
        ('spec.dnsPolicy: Unsupported value: "Cluster": supported values: "ClusterFirstWithHostNet", "ClusterFirst", '
        '"Default", "None"')]


def test_dns_policy_none_rules():
    assert errors(POD, pod(dnsPolicy="None")) == [
        "spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"]
    assert errors(POD, pod(dnsPolicy="None", dnsConfig={"searches": ["a.b"]})) == [
        "spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` is None"]
    four = ["1.1.1.1", "8.8.8.8", "9.9.9.9", "1.0.0.1"]
    assert errors(POD, pod(dnsPolicy="None", dnsConfig={"nameservers": four})) == [
        ('spec.dnsConfig.nameservers: Invalid value: []string{"1.1.1.1", "8.8.8.8", "9.9.9.9", "1.0.0.1"}: '
        "must not have more than 3 nameservers")]
    assert errors(POD, pod(dnsConfig={"nameservers": ["dns"]})) == [
        'spec.dnsConfig.nameservers[0]: Invalid value: "dns": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']


def test_requests_may_not_exceed_limits():
    obj = pod(containers=[{"name": "a", "image": "nginx",
                           "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "500m"}}}])
    assert errors(POD, obj) == [
        'spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 500m']


def test_liveness_probe_success_threshold():
    obj = pod(containers=[{"name": "a", "image": "nginx",
                           "livenessProbe": {"tcpSocket": {"port": 80}, "successThreshold": 2}}])
    assert errors(POD, obj) == ["spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"]


def test_pod_spec_is_mostly_immutable():
    old = pod()
    apply_defaults(POD, old)
    image_only = copy.deepcopy(old)
    image_only["spec"]["containers"][0]["image"] = "nginx:1.27"
    assert errors(POD, image_only, old) == []
    changed = copy.deepcopy(old)
    changed["spec"]["restartPolicy"] = "Never"
    (err,) = errors(POD, changed, old)
    assert err.startswith(
        "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
        "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n")
    assert '- \tRestartPolicy: "Always",' in err
    more = copy.deepcopy(old)
    more["spec"]["containers"].append({"name": "side", "image": "busybox"})
    assert errors(POD, more, old) == ["spec.containers: Forbidden: pod updates may not add or remove containers"]


# --- Service --------------------------------------------------------------------------------

def test_service_ports_required_except_headless_and_external_name():
    assert errors(SVC, svc(ports=[])) == ["spec.ports: Required value"]
    assert errors(SVC, svc(ports=[], clusterIP="None")) == []
    assert errors(SVC, {"metadata": {"name": "db", "namespace": "default"},
                        "spec": {"type": "ExternalName", "externalName": "db.example.com"}}) == []
    assert errors(SVC, {"metadata": {"name": "db", "namespace": "default"}, "spec": {"type": "ExternalName"}}) == [
        "spec.externalName: Required value"]


def test_service_port_range_target_port_and_type():
    assert errors(SVC, svc(ports=[{"port": 0, "targetPort": 70000}])) == [
        "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        "spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive"]
    assert errors(SVC, svc(type="Foo")) == [
        'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']
    assert errors(SVC, svc(sessionAffinity="Sticky")) == [
        'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"']


def test_service_port_names_required_and_unique_when_several():
    assert errors(SVC, svc(ports=[{"port": 80}, {"port": 443, "name": "https"}])) == ["spec.ports[0].name: Required value"]
    assert errors(SVC, svc(ports=[{"port": 80, "name": "web"}, {"port": 443, "name": "web"}])) == [
        'spec.ports[1].name: Duplicate value: "web"']


def test_duplicate_service_ports_and_node_ports():
    dup = svc(type="NodePort", ports=[{"name": "a", "port": 80, "nodePort": 30080},
                                      {"name": "b", "port": 80, "nodePort": 30080}])
    assert errors(SVC, dup) == [
        "spec.ports[1].nodePort: Duplicate value: 30080",
        ('spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), '
        'Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}')]


def test_node_port_range_is_enforced_and_configurable():
    assert errors(SVC, svc(type="NodePort", ports=[{"port": 80, "nodePort": 80}])) == [
        ("spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. "
        "The range of valid ports is 30000-32767")]
    node_port = svc(type="NodePort", ports=[{"port": 80, "nodePort": 30080}])
    apply_defaults(SVC, node_port)
    assert [str(e) for e in validate(SVC, node_port, node_port_range=(20000, 22767))] == [
        ("spec.ports[0].nodePort: Invalid value: 30080: provided port is not in the valid range. "
         "The range of valid ports is 20000-22767")]
    assert errors(SVC, svc(ports=[{"port": 80, "nodePort": 30080}])) == [
        "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]


def test_cluster_ip_may_not_change_once_set():
    old = svc(clusterIP="10.96.0.20")
    apply_defaults(SVC, old)
    new = copy.deepcopy(old)
    new["spec"]["clusterIP"] = "10.96.0.21"
    new["spec"]["clusterIPs"] = ["10.96.0.21"]
    assert errors(SVC, new, old) == [
        'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.21"}: may not change once set']


def test_external_traffic_policy_only_for_external_services():
    assert errors(SVC, svc(externalTrafficPolicy="Local")) == [
        'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services']

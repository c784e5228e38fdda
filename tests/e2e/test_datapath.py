"""The datapath as a user meets it: kubectl, curl, nslookup/dig inside Pods, iptables-save on a node.

Each cluster runs in its own sandbox network namespace (no route out) and is removed afterwards.
"""
from __future__ import annotations

import json
import re
import subprocess
import threading
from pathlib import Path

import pytest

from kubenet import kernel
from kubenet.proxy.hashing import service_chain
from kubenet.proxy.serviceport import ServicePortName
from tests.e2e.conftest import wait_for

pytestmark = [pytest.mark.root, pytest.mark.slow]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SEED = ["-f", str(EXAMPLES / "apa000dep.yaml"), "-f", str(EXAMPLES / "apa000ser.yaml")]


@pytest.fixture(scope="module")
def cluster(sandbox_cluster_factory):
    return sandbox_cluster_factory(nodes=2)


def running_pods(kubectl, selector: str, namespace: str = "default") -> list[dict]:
    items = json.loads(kubectl("get", "pods", "-n", namespace, "-l", selector, "-o", "json"))["items"]
    return [p for p in items if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
            and all(c.get("ready") for c in p["status"].get("containerStatuses") or [])]


def ready_endpoints(kubectl, service: str, namespace: str = "default") -> list[str]:
    slices = json.loads(kubectl("get", "endpointslices", "-n", namespace, "-l",
                                f"kubernetes.io/service-name={service}", "-o", "json"))["items"]
    return sorted(a for s in slices for e in s.get("endpoints") or [] if (e.get("conditions") or {}).get("ready")
                  for a in e["addresses"])


def curl(cluster, url: str) -> str:
    return cluster.host("curl", "-s", "-m", "3", url).stdout


def in_pod(cluster, pod: str, *cmd: str, namespace: str = "default") -> str:
    return cluster.kubectl("exec", "-n", namespace, pod, "--", *cmd, check=False, timeout=30)


def test_seed_hands_on(cluster):
    kubectl = cluster.kubectl
    kubectl("apply", *SEED)
    wait_for(lambda: len(running_pods(kubectl, "app=apa000kube")) == 3, what="3 httpd pods running")
    wait_for(lambda: "It works!" in curl(cluster, "http://localhost:30080"), what="the httpd page on localhost:30080")

    manifest = (EXAMPLES / "apa000dep.yaml").read_text().replace("replicas: 3", "replicas: 5")
    kubectl("apply", "-f", "-", input=manifest)
    wait_for(lambda: len(running_pods(kubectl, "app=apa000kube")) == 5, what="5 pods running")
    wait_for(lambda: len(ready_endpoints(kubectl, "apa000ser")) == 5, what="5 ready endpoints")

    kubectl("apply", "-f", "-", input=manifest.replace("image: httpd", "image: nginx"))
    assert "successfully rolled out" in kubectl("rollout", "status", "deployment/apa000dep", "--timeout=60s",
                                                timeout=70)
    # Old httpd Pods answer until their endpoints are withdrawn, as on any cluster: wait for nginx only.
    wait_for(lambda: all("Welcome to nginx!" in curl(cluster, "http://localhost:30080") for _ in range(10)),
             what="only the nginx page")

    # Delete a Pod: it is replaced, and curl keeps working through the change.
    failures: list[str] = []
    stop = threading.Event()

    def keep_curling():
        while not stop.is_set():
            page = curl(cluster, "http://localhost:30080")
            if "Welcome to nginx!" not in page:
                failures.append(page[:80] or "no answer")
    poller = threading.Thread(target=keep_curling)
    poller.start()
    try:
        victim = running_pods(kubectl, "app=apa000kube")[0]["metadata"]["name"]
        kubectl("delete", "pod", victim, timeout=60)
        wait_for(lambda: len(running_pods(kubectl, "app=apa000kube")) == 5 and victim not in
                 {p["metadata"]["name"] for p in running_pods(kubectl, "app=apa000kube")}, what="a replacement")
    finally:
        stop.set()
        poller.join()
    assert failures == []

    # delete -f: the Service's rules, the Pods' netns and their IP leases go with them.
    node = cluster.config.node_names[0]
    chain = service_chain(ServicePortName("default", "apa000ser", "", "TCP"))
    assert chain in cluster.node_exec(node, "iptables-save", "-t", "nat").stdout
    kubectl("delete", *SEED, timeout=60)
    wait_for(lambda: not json.loads(kubectl("get", "pods", "-l", "app=apa000kube", "-o", "json"))["items"],
             what="pods gone")
    wait_for(lambda: chain not in cluster.node_exec(node, "iptables-save", "-t", "nat").stdout, what="rules gone")
    system_pods = {p["metadata"]["uid"][:13].replace("-", "")[:12] for p in json.loads(
        kubectl("get", "pods", "-A", "-o", "json"))["items"]}
    ours = [ns for ns in kernel.netns_list() if ns.startswith(f"kn-{cluster.name}-pod-")]
    assert all(ns.rsplit("-", 1)[1] in system_pods for ns in ours)
    leases = [f for n in cluster.config.node_names
              for f in (cluster.config.data / "nodes" / n / "cni" / "networks" / "kubenet").glob("10.*")]
    assert len(leases) == len(ours)


WEB = """
apiVersion: v1
kind: Namespace
metadata: {name: other}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: NS}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx, ports: [{containerPort: 80, name: http}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: NS}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-headless, namespace: NS}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: web-lb, namespace: NS}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{name: http, port: 8080, targetPort: 80}]
"""


@pytest.fixture(scope="module")
def webs(cluster):
    kubectl = cluster.kubectl
    for ns in ("default", "other"):
        kubectl("apply", "-f", "-", input=WEB.replace("NS", ns))
    kubectl("run", "client", "--image=busybox", "--restart=Never")
    wait_for(lambda: len(running_pods(kubectl, "app=web")) == 2 and len(running_pods(kubectl, "app=web", "other"))
             == 2 and running_pods(kubectl, "run=client"), timeout=30, what="web pods and the client")
    wait_for(lambda: len(ready_endpoints(kubectl, "web-headless")) == 2, what="headless endpoints")
    return kubectl


def test_pod_to_pod_across_nodes(cluster, webs):
    pods = running_pods(webs, "app=web") + running_pods(webs, "app=web", "other")
    assert len({p["spec"]["nodeName"] for p in pods}) == 2, "the scheduler spreads replicas over both nodes"
    for pod in pods:
        assert "Welcome to nginx!" in in_pod(cluster, "client", "curl", "-s", "-m", "3", f"http://{pod['status']['podIP']}")


def test_dns_from_a_pod(cluster, webs):
    out = in_pod(cluster, "client", "nslookup", "web")
    cluster_ip = json.loads(webs("get", "svc", "web", "-o", "json"))["spec"]["clusterIP"]
    assert "Name:\tweb.default.svc.cluster.local" in out and cluster_ip in out
    other_ip = json.loads(webs("get", "svc", "web", "-n", "other", "-o", "json"))["spec"]["clusterIP"]
    assert other_ip in in_pod(cluster, "client", "nslookup", "web.other")
    # Ready endpoints are not yet programmed rules (kube-proxy syncs at most once a second after a burst of two,
    # and the fixture's Pods have just become ready): a user would retry too.
    wait_for(lambda: "Welcome to nginx!" in in_pod(cluster, "client", "curl", "-s", "-m", "3",
                                                   "http://web.other.svc.cluster.local"),
             what="web.other's page through its ClusterIP")
    srv = in_pod(cluster, "client", "dig", "+short", "SRV", "_http._tcp.web.default.svc.cluster.local")
    assert re.search(r"^0 100 80 web\.default\.svc\.cluster\.local\.$", srv, re.MULTILINE), srv
    headless = in_pod(cluster, "client", "dig", "+short", "web-headless.default.svc.cluster.local")
    assert sorted(headless.split()) == ready_endpoints(webs, "web-headless")
    resolv = in_pod(cluster, "client", "cat", "/etc/resolv.conf")
    assert "search default.svc.cluster.local svc.cluster.local cluster.local" in resolv
    assert "nameserver 10.96.0.10" in resolv and "options ndots:5" in resolv


def test_nodeport_on_every_node_and_loadbalancer_ip(cluster, webs):
    node_port = json.loads(webs("get", "svc", "web", "-o", "json"))["spec"]["ports"][0]["nodePort"]
    for i in range(len(cluster.config.node_names)):
        assert "Welcome to nginx!" in curl(cluster, f"http://{cluster.config.node_ip(i)}:{node_port}")
    lb_ip = wait_for(lambda: (json.loads(webs("get", "svc", "web-lb", "-o", "json"))["status"]["loadBalancer"]
                              .get("ingress") or [{}])[0].get("ip"), what="a LoadBalancer IP")
    assert lb_ip in webs("get", "svc", "web-lb")
    assert "Welcome to nginx!" in curl(cluster, f"http://{lb_ip}:8080")


def test_iptables_chain_names_match_kube_proxy(cluster, webs):
    saved = cluster.node_exec(cluster.config.node_names[1], "iptables-save").stdout
    for ns in ("default", "other"):
        chain = service_chain(ServicePortName(ns, "web", "http", "TCP"))
        assert f":{chain} - [0:0]" in saved
        assert f'-A KUBE-SERVICES -d {json.loads(webs("get", "svc", "web", "-n", ns, "-o", "json"))["spec"]["clusterIP"]}/32 ' \
               f'-p tcp -m comment --comment "{ns}/web:http cluster IP" -m tcp --dport 80 -j {chain}' in saved


def test_cluster_ranges_never_take_the_default_route(cluster, webs):
    c = cluster.config
    for addr in ("10.244.0.7", "10.244.1.9", "10.244.77.1", "10.96.0.1", "10.100.3.4", "10.111.255.254",
                 "172.18.255.200", "172.18.0.2"):
        route = cluster.host("ip", "route", "get", addr)
        text = route.stdout + route.stderr
        # `ip route get` on an unreachable route answers "No route to host" (EHOSTUNREACH).
        assert f"dev {c.bridge}" in text or "No route to host" in text, text
    default = cluster.host("ip", "route", "show", "default").stdout
    assert default.strip() == "", "the sandbox has no route out"


def test_logs_and_exec_with_a_terminal(cluster, webs):
    pod = running_pods(webs, "app=web")[0]["metadata"]["name"]
    assert "docker-entrypoint.sh" in webs("logs", pod)
    script = subprocess.run(
        ["script", "-qc", (f"nsenter --net=/run/netns/kubenet-{cluster.name} -- env KUBECONFIG="
                           f"{cluster.kubectl.kubeconfig} kubectl --cache-dir {cluster.kubectl.cache_dir} "
                           f"exec -it {pod} -- sh"),
         "/dev/null"], input="hostname; exit 7\n", capture_output=True, text=True, timeout=30, check=False)
    assert pod in script.stdout
    assert "command terminated with exit code 7" in script.stdout + script.stderr


def test_down_leaves_nothing_after_sigkill(sandbox_cluster_factory):
    cluster = sandbox_cluster_factory(nodes=1)
    cluster.kubectl("run", "orphan", "--image=busybox")
    # A container that daemonises a child into a netns of its own: only its cgroup still ties it to us.
    cluster.kubectl("run", "escaper", "--image=busybox", "--command", "--", "sh", "-c",
                    "setsid unshare -n sleep 3599 & exec sleep 3600")
    wait_for(lambda: running_pods(cluster.kubectl, "run=orphan") and running_pods(cluster.kubectl, "run=escaper"),
             what="the pods")
    escaped = wait_for(lambda: _pids_running("sleep\0" + "3599"), what="the escaped sleep")
    pids = [pid for ns in kernel.netns_list() if ns.startswith(f"kn-{cluster.name}-")
            for pid in kernel.netns_pids(ns)]
    supervisor = int((cluster.config.data / "supervisor.pid").read_text())
    kernel.kill_pids([supervisor])
    assert cluster.down().returncode == 0
    assert [ns for ns in kernel.netns_list() if cluster.name in ns] == []
    assert not cluster.config.data.exists()
    assert not list(Path("/etc/netns").glob(f"kn-{cluster.name}-*"))
    assert not [pid for pid in pids + [supervisor] + escaped if _alive(pid)]


def _pids_running(cmdline: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "cmdline").read_bytes().rstrip(b"\0").endswith(cmdline.encode()):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _alive(pid: int) -> bool:
    """A process that still runs (a zombie waiting for init to reap it does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def test_service_account_token_lets_a_pod_use_the_api(cluster, webs):
    files = in_pod(cluster, "client", "ls", "/var/run/secrets/kubernetes.io/serviceaccount")
    assert files.split() == ["ca.crt", "namespace", "token"]
    # kubectl inside the Pod finds the in-cluster config (KUBERNETES_SERVICE_HOST + the mounted token)
    # and reaches the API server through the kubernetes Service's ClusterIP; as on a real cluster, RBAC lets
    # the default ServiceAccount do nothing until a RoleBinding grants it a role. Pods still see the host's
    # files (the Pod-runtime issue gives them an image filesystem): KUBECONFIG names a missing file so that a
    # ~/.kube/config left on this host by `make up` cannot stand in for the in-cluster config.
    assert ('Error from server (Forbidden): pods "client" is forbidden: User "system:serviceaccount:default:default" '
            'cannot get resource "pods" in API group "" in the namespace "default"') in \
        in_pod(cluster, "client", "env", "KUBECONFIG=/nonexistent/kubeconfig", "kubectl", "get", "pod", "client")
    cluster.kubectl("create", "rolebinding", "sa-view", "--clusterrole=view", "--serviceaccount=default:default")
    assert "client" in in_pod(cluster, "client", "kubectl", "get", "pod", "client", "-o", "name")
    cluster.kubectl("delete", "rolebinding", "sa-view")


def test_host_network_pod_shares_the_node_network(cluster, webs):
    webs("run", "hostnet", "--image=busybox", "--overrides",
         json.dumps({"spec": {"hostNetwork": True, "nodeName": cluster.config.node_names[1]}}))
    pod = wait_for(lambda: (running_pods(webs, "run=hostnet") or [None])[0], what="the hostNetwork pod")
    assert pod["status"]["podIP"] == cluster.config.node_ip(1)
    assert in_pod(cluster, "hostnet", "hostname").strip() == cluster.config.node_names[1]
    assert f"inet {cluster.config.node_ip(1)}/16" in in_pod(cluster, "hostnet", "ip", "-4", "addr", "show", "eth0")


INIT_PODS = """
apiVersion: v1
kind: Pod
metadata: {name: init-order}
spec:
  restartPolicy: Never
  initContainers:
  - {name: first, image: busybox, command: [sh, -c, "exit 1"]}
  - {name: second, image: busybox, command: [sh, -c, "echo second ran"]}
  containers: [{name: main, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: init-wait}
spec:
  initContainers: [{name: wait, image: busybox, command: [sh, -c, "sleep 3600"]}]
  containers: [{name: main, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: bad-workdir}
spec:
  containers: [{name: main, image: busybox, workingDir: /does/not/exist}]
"""


def test_init_containers_run_in_order_and_pods_stop_when_asked(cluster, webs):
    kubectl = cluster.kubectl
    kubectl("apply", "-f", "-", input=INIT_PODS)
    phase = wait_for(lambda: json.loads(kubectl("get", "pod", "init-order", "-o", "json"))["status"].get("phase")
                     == "Failed", what="a Failed pod after its first init container failed")
    assert phase
    assert "second ran" not in kubectl("logs", "init-order", "-c", "second", check=False)
    # A running init container shows as running and does not keep the Pod from being deleted on time.
    wait_for(lambda: "running" in json.loads(kubectl("get", "pod", "init-wait", "-o", "json"))["status"]
             .get("initContainerStatuses", [{}])[0].get("state", {}), what="the init container running")
    assert "Init:0/1" in kubectl("get", "pod", "init-wait")
    kubectl("delete", "pod", "init-wait", "--grace-period=1", timeout=20)
    # A workingDir the container cannot enter is reported, not left as ContainerCreating.
    reason = wait_for(lambda: json.loads(kubectl("get", "pod", "bad-workdir", "-o", "json"))["status"]
                      .get("containerStatuses", [{}])[0].get("state", {}).get("waiting", {}).get("reason")
                      in ("CreateContainerError", "RunContainerError"), what="CreateContainerError")
    assert reason
    kubectl("delete", "pod", "init-order", "bad-workdir", "--grace-period=0", "--force", timeout=20, check=False)


def test_readiness_probe_drives_ready_and_endpoints(cluster, webs):
    kubectl = cluster.kubectl
    marker = f"/tmp/kubenet-e2e-ready-{cluster.name}"
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "gated", "labels": {"app": "gated"}},
           "spec": {"containers": [{"name": "web", "image": "nginx", "readinessProbe": {
               "exec": {"command": ["test", "-f", marker]}, "periodSeconds": 1}}]}}
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "gated"},
           "spec": {"selector": {"app": "gated"}, "ports": [{"port": 80}]}}
    kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": [pod, svc]}))
    try:
        wait_for(lambda: json.loads(kubectl("get", "pod", "gated", "-o", "json"))["status"].get("phase")
                 == "Running", what="the gated pod running")
        assert "0/1" in kubectl("get", "pod", "gated")
        assert ready_endpoints(kubectl, "gated") == []
        Path(marker).touch()
        wait_for(lambda: ready_endpoints(kubectl, "gated"), what="the pod ready and in the EndpointSlice")
        assert "1/1" in kubectl("get", "pod", "gated")
        Path(marker).unlink()
        wait_for(lambda: ready_endpoints(kubectl, "gated") == [], timeout=15, what="the pod out of the slice")
    finally:
        Path(marker).unlink(missing_ok=True)


def test_pods_reach_outside_the_cluster_through_the_hosts_nat(cluster, webs):
    """A stand-in "internet" netns behind the sandbox: a Pod's request to it leaves masqueraded as the host."""
    inet, sandbox = f"kntu-{cluster.name}", f"kubenet-{cluster.name}"
    server = None
    try:
        kernel.netns_add(inet)
        kernel.ip("link", "add", "kntu-up", "type", "veth", "peer", "name", "kntu-down", "netns", inet,
                  netns=sandbox)
        kernel.ip_batch(["addr add 192.0.2.2/24 dev kntu-up", "link set kntu-up up",
                         "route add default via 192.0.2.1"], sandbox)
        kernel.ip_batch(["addr add 192.0.2.1/24 dev kntu-down", "link set kntu-down up", "link set lo up"], inet)
        server = subprocess.Popen(["ip", "netns", "exec", inet, "python3", "-m", "kubenet.kubelet.images.web",
                                   "whoami", "--port", "80"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        def whoami() -> str:
            out = in_pod(cluster, "client", "curl", "-s", "-m", "2", "http://192.0.2.1/")
            return out if "RemoteAddr" in out else ""
        reply = wait_for(whoami, what="an answer from outside the cluster")
        assert "RemoteAddr: 192.0.2.2:" in reply  # the host's address, not the Pod's
        saved = cluster.host("iptables-save", "-t", "nat").stdout
        assert f"-A KN-MASQ-{cluster.config.bridge} -s 10.244.0.0/16 -j MASQUERADE" in saved
    finally:
        if server is not None:
            server.kill()
            server.wait()
        kernel.ip("route", "del", "default", netns=sandbox, check=False)
        kernel.ip("link", "del", "kntu-up", netns=sandbox, check=False)
        kernel.netns_delete(inet)

"""What kube-proxy's iptables mode would write, rendered without a kernel.

The first test rebuilds kube-proxy's own TestOverallIPTablesRules (proxier_test.go) and expects the same
rules, minus the 1.29+ extras the reference page does not ask for (localhost NodePort/nfacct, KUBE-FIREWALL).
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from kubenet.proxy import hashing
from kubenet.proxy.backend import ProxyConfig
from kubenet.proxy.iptables_rules import IPTablesConfig, probability, render_restore
from kubenet.proxy.iptables_save import parse_save
from kubenet.proxy.kube_proxy import Proxier
from kubenet.proxy.serviceport import ServicePortName
from kubenet.proxy.tracker import ProxyState
from tests.unit.test_proxy_objects import endpoint, endpoint_slice, port, service

NODE = "test-node"


def overall_state() -> ProxyState:
    state = ProxyState(NODE)
    p80 = port("p80", 80)
    state.on_service("ADDED", service("ns1", "svc1", "172.30.0.41", [p80]))
    state.on_service("ADDED", service(
        "ns2", "svc2", "172.30.0.42", [port("p80", 80, node_port=3001)], type="LoadBalancer",
        externalTrafficPolicy="Local", externalIPs=["192.168.99.22"], healthCheckNodePort=30000,
        status={"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}))
    state.on_service("ADDED", service("ns3", "svc3", "172.30.0.43", [port("p80", 80, node_port=3003)], type="NodePort"))
    state.on_service("ADDED", service("ns4", "svc4", "172.30.0.44", [p80], type="NodePort",
                                      externalIPs=["192.168.99.33"]))
    state.on_service("ADDED", service(
        "ns5", "svc5", "172.30.0.45", [port("p80", 80, node_port=3002)], type="LoadBalancer",
        externalTrafficPolicy="Cluster", healthCheckNodePort=30000, loadBalancerSourceRanges=[" 203.0.113.0/25"],
        sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {"timeoutSeconds": 10800}},
        status={"loadBalancer": {"ingress": [{"ip": "5.6.7.8"}]}}))
    state.on_service("ADDED", service("ns6", "svc6", "172.30.0.46", [p80]))
    state.on_endpoint_slice("ADDED", endpoint_slice("ns1", "svc1", [endpoint("10.180.0.1")], [p80]))
    state.on_endpoint_slice("ADDED", endpoint_slice("ns2", "svc2", [endpoint("10.180.0.2")], [p80]))
    state.on_endpoint_slice("ADDED", endpoint_slice("ns3", "svc3", [endpoint("10.180.0.3")], [p80]))
    state.on_endpoint_slice("ADDED", endpoint_slice(
        "ns4", "svc4", [endpoint("10.180.0.4"), endpoint("10.180.0.5", node=NODE)], [p80]))
    state.on_endpoint_slice("ADDED", endpoint_slice("ns5", "svc5", [endpoint("10.180.0.3")], [p80]))
    return state


KUBE_PROXY_OVERALL = """
*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-NODEPORTS -m comment --comment "ns2/svc2:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT
-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j DROP
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-PROXY-FIREWALL -m comment --comment "ns5/svc5:p80 traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j DROP
COMMIT
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXT-4SW47YFZTEDKD3PK - [0:0]
:KUBE-EXT-GNZBNJ2PO5MGZ6GT - [0:0]
:KUBE-EXT-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-EXT-X27LE4BHSL4DOUIK - [0:0]
:KUBE-FW-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-C6EBXVWJJZMIWKLZ - [0:0]
:KUBE-SEP-I77PXRDZVX7PMWMN - [0:0]
:KUBE-SEP-OYPFS5VJICHGATKP - [0:0]
:KUBE-SEP-RS4RBKLTHTF2IUXJ - [0:0]
:KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
:KUBE-SEP-UKSFD7AGPMPPLUHC - [0:0]
:KUBE-SVC-4SW47YFZTEDKD3PK - [0:0]
:KUBE-SVC-GNZBNJ2PO5MGZ6GT - [0:0]
:KUBE-SVC-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 3003 -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp --dport 3002 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 external IP" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 external IP" -m tcp -p tcp -d 192.168.99.33 --dport 80 -j KUBE-EXT-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 -j KUBE-SVC-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 loadbalancer IP" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j KUBE-FW-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-EXT-4SW47YFZTEDKD3PK -m comment --comment "masquerade traffic for ns4/svc4:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-4SW47YFZTEDKD3PK -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "pod traffic for ns2/svc2:p80 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "masquerade LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "route LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-EXT-NUKIZ6OKUXPJNT4C -m comment --comment "masquerade traffic for ns5/svc5:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-NUKIZ6OKUXPJNT4C -j KUBE-SVC-NUKIZ6OKUXPJNT4C
-A KUBE-EXT-X27LE4BHSL4DOUIK -m comment --comment "masquerade traffic for ns3/svc3:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-X27LE4BHSL4DOUIK -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL"
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -s 10.180.0.5 -j KUBE-MARK-MASQ
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.5:80
-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ
-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -s 10.180.0.4 -j KUBE-MARK-MASQ
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.4:80
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ
-A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 -> 10.180.0.2:80" -j KUBE-SEP-RS4RBKLTHTF2IUXJ
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --rcheck --seconds 10800 --reap -j KUBE-SEP-I77PXRDZVX7PMWMN
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -j KUBE-SEP-I77PXRDZVX7PMWMN
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.180.0.3:80" -j KUBE-SEP-OYPFS5VJICHGATKP
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
COMMIT
"""

CONFIG = IPTablesConfig(cluster_cidr="10.0.0.0/8", random_fully=False, node_ips=("192.168.0.2",))


def render(state: ProxyState, config: IPTablesConfig = CONFIG, **kw) -> str:
    snap = state.snapshot()
    return render_restore(snap.services, snap.endpoints, config, **kw).text


def test_rules_match_kube_proxys_overall_test():
    assert parse_save(render(overall_state())) == parse_save(KUBE_PROXY_OVERALL)


def test_restore_input_is_filter_then_nat_with_nodeports_rule_last():
    text = render(overall_state())
    assert text.startswith("*filter\n:KUBE-SERVICES - [0:0]\n:KUBE-EXTERNAL-SERVICES - [0:0]\n:KUBE-FORWARD")
    assert text.count("COMMIT") == 2 and text.index("*nat") > text.index("*filter")
    services_rules = [line for line in text.splitlines() if line.startswith("-A KUBE-SERVICES ")]
    assert services_rules[-1].endswith("-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS")


def test_random_fully_and_masquerade_all():
    state = ProxyState(NODE)
    state.on_service("ADDED", service("ns1", "svc1", "172.30.0.41", [port("p80", 80)]))
    state.on_endpoint_slice("ADDED", endpoint_slice("ns1", "svc1", [endpoint("10.180.0.1")], [port("p80", 80)]))
    text = render(state, IPTablesConfig(cluster_cidr="10.0.0.0/8", masquerade_all=True))
    assert '--comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully' in text
    assert ('-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp '
            "-d 172.30.0.41 --dport 80 -j KUBE-MARK-MASQ") in text


def test_probabilities_are_ten_decimals_of_one_over_remaining():
    assert [probability(n) for n in (4, 3, 2)] == ["0.2500000000", "0.3333333333", "0.5000000000"]
    state = ProxyState(NODE)
    state.on_service("ADDED", service("ns1", "svc1", "172.30.0.41", [port("p80", 80)]))
    eps = [endpoint(f"10.180.0.{i}") for i in (1, 2, 3, 10)]
    state.on_endpoint_slice("ADDED", endpoint_slice("ns1", "svc1", eps, [port("p80", 80)]))
    svc_rules = parse_save(render(state))["nat"].rules["KUBE-SVC-XPGD46QRK7WJZT7O"][1:]
    # Sorted as "ip:port" strings, as kube-proxy sorts them ("0" sorts before ":").
    assert ["10.180.0.10:80", "10.180.0.1:80", "10.180.0.2:80", "10.180.0.3:80"] == [
        r.split("-> ")[1].split('"')[0] for r in svc_rules]
    assert ["0.2500000000", "0.3333333333", "0.5000000000"] == [
        r.split("--probability ")[1].split()[0] for r in svc_rules[:3]]
    assert "statistic" not in svc_rules[3]


def test_internal_traffic_policy_local_uses_svl_or_drops():
    state = ProxyState(NODE)
    state.on_service("ADDED", service("ns1", "svc1", "172.30.0.41", [port("p80", 80)], internalTrafficPolicy="Local"))
    state.on_endpoint_slice("ADDED", endpoint_slice("ns1", "svc1", [endpoint("10.180.0.1", node="other")],
                                                    [port("p80", 80)]))
    text = render(state)
    assert ('-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no local endpoints" -m tcp -p tcp '
            "-d 172.30.0.41 --dport 80 -j DROP") in text
    assert "KUBE-SVC-XPGD46QRK7WJZT7O" not in text
    state.on_endpoint_slice("MODIFIED", endpoint_slice("ns1", "svc1", [endpoint("10.180.0.1", node=NODE)],
                                                       [port("p80", 80)]))
    nat = parse_save(render(state))["nat"]
    assert nat.rules["KUBE-SERVICES"][0].endswith("-j KUBE-SVL-XPGD46QRK7WJZT7O")
    assert nat.rules["KUBE-SVL-XPGD46QRK7WJZT7O"][1].endswith("-j KUBE-SEP-SXIVWICOYRO3J4NJ")


def test_external_traffic_policy_local_with_local_endpoint_jumps_to_svl():
    state = ProxyState(NODE)
    state.on_service("ADDED", service("ns2", "svc2", "172.30.0.42", [port("p80", 80, node_port=3001)],
                                      type="NodePort", externalTrafficPolicy="Local"))
    state.on_endpoint_slice("ADDED", endpoint_slice(
        "ns2", "svc2", [endpoint("10.180.0.2", node=NODE), endpoint("10.180.0.3", node="other")], [port("p80", 80)]))
    out = parse_save(render(state))
    name = ServicePortName("ns2", "svc2", "p80")
    ext = out["nat"].rules[hashing.external_chain(name)]
    assert ext[-1] == f"-A {hashing.external_chain(name)} -j {hashing.local_service_chain(name)}"
    svl = out["nat"].rules[hashing.local_service_chain(name)]
    assert len(svl) == 1 and "10.180.0.2:80" in svl[0]  # only the local endpoint, no masquerade rule
    assert "KUBE-EXTERNAL-SERVICES" not in out["filter"].rules


def test_no_endpoints_rejects_every_address_of_the_service():
    state = ProxyState(NODE)
    state.on_service("ADDED", service("ns1", "svc1", "172.30.0.41", [port("p80", 80, node_port=3001)],
                                      type="LoadBalancer", externalIPs=["192.168.99.11"],
                                      status={"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}))
    out = parse_save(render(state))
    assert [r.split()[-1] for r in out["filter"].rules["KUBE-EXTERNAL-SERVICES"]] == ["REJECT"] * 3
    assert out["filter"].rules["KUBE-SERVICES"] == [
        ('-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.41 '
        "--dport 80 -j REJECT")]
    assert out["nat"].chains == {"KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ"}


def test_partial_render_writes_only_changed_services_chains_and_deletes_stale_ones():
    state = overall_state()
    full = render_restore(*state.snapshot()[:2], CONFIG)
    state.on_endpoint_slice("MODIFIED", endpoint_slice("ns1", "svc1", [endpoint("10.180.0.9")], [port("p80", 80)]))
    services, endpoints, changed = state.snapshot()
    partial = render_restore(services, endpoints, CONFIG, changed=changed, existing_nat_chains=full.active_nat_chains)
    nat = parse_save(partial.text)["nat"]
    per_service = {c for c in nat.chains if hashing.is_service_chain(c)}
    new_sep = hashing.endpoint_chain(ServicePortName("ns1", "svc1", "p80"), "10.180.0.9:80")
    assert per_service == {"KUBE-SVC-XPGD46QRK7WJZT7O", new_sep, "KUBE-SEP-SXIVWICOYRO3J4NJ"}
    assert nat.deleted == {"KUBE-SEP-SXIVWICOYRO3J4NJ"}
    # Top-level chains are complete even in a partial sync.
    assert len(nat.rules["KUBE-SERVICES"]) == len(parse_save(full.text)["nat"].rules["KUBE-SERVICES"])


def test_large_clusters_drop_per_endpoint_comments():
    state = ProxyState(NODE)
    state.on_service("ADDED", service("ns1", "svc1", "172.30.0.41", [port("p80", 80)]))
    eps = [endpoint(f"10.180.{i // 250}.{i % 250 + 1}") for i in range(1001)]
    state.on_endpoint_slice("ADDED", endpoint_slice("ns1", "svc1", eps, [port("p80", 80)]))
    nat = parse_save(render(state))["nat"].rules
    sep_rules = [r for chain, rules in nat.items() if chain.startswith("KUBE-SEP-") for r in rules]
    assert len(sep_rules) == 2002 and not any("comment" in r for r in sep_rules)
    assert "comment" not in nat["KUBE-SVC-XPGD46QRK7WJZT7O"][1]


def test_proxier_render_does_not_consume_pending_changes():
    proxier = Proxier(ProxyConfig(NODE, ("192.168.0.2",), "10.0.0.0/8"))
    proxier.on_service("ADDED", service("ns1", "svc1", "172.30.0.41", [port("p80", 80)]))
    assert "has no endpoints" in proxier.render(full=False)
    assert proxier.state.has_pending_changes()


def test_dry_run_cli_prints_restore_input(tmp_path: Path):
    svcs = {"kind": "List", "items": [service("ns1", "svc1", "172.30.0.41", [port("p80", 80)])]}
    slices = {"kind": "List", "items": [endpoint_slice("ns1", "svc1", [endpoint("10.180.0.1")], [port("p80", 80)])]}
    (tmp_path / "s.json").write_text(json.dumps(svcs))
    (tmp_path / "e.json").write_text(json.dumps(slices))
    out = subprocess.run([sys.executable, "-m", "kubenet.proxy.iptables", "--dry-run", str(tmp_path / "s.json"),
                          str(tmp_path / "e.json"), "--cluster-cidr", "10.0.0.0/8"],
                         capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2]).stdout
    assert out.startswith("*filter\n") and out.endswith("COMMIT\n")
    assert textwrap.dedent("""\
        -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
        """) in out

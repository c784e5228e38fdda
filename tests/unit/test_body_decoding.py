"""Request bytes → JSON values (kubenet/apiserver/body.py) and Go-type decoding (typed.py), without a server."""
from __future__ import annotations

import json
import time

import pytest

from kubenet.apiserver import typed
from kubenet.apiserver.body import MAX_DEPTH, DecodeError, GoNumber, decode_json, decode_yaml, number_text

BOMB = """a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
apiVersion: v1
kind: ConfigMap
metadata: {name: bomb}"""


def test_the_billion_laughs_document_is_refused_without_expanding_it():
    started = time.monotonic()
    with pytest.raises(DecodeError, match="^yaml: document contains excessive aliasing$"):
        decode_yaml(BOMB.encode())
    assert time.monotonic() - started < 0.5


def test_go_yaml_s_alias_ratio_lets_ordinary_anchors_through():
    # 3 levels of 9: 819 decodes, under go-yaml's 1,000-decode floor
    doc = "\n".join(BOMB.splitlines()[:3]) + "\nkind: ConfigMap\n"
    value = decode_yaml(doc.encode())
    assert len(value["c"]) == 9 and value["c"][0] == value["b"] and value["c"][0] is not value["b"]  # copies
    with pytest.raises(DecodeError, match="contains itself"):
        decode_yaml(b"a: &a [*a]")


def test_yaml_reads_as_sigs_yaml_does():
    assert decode_yaml(b"a: 1e30\nb: 2024-01-01\n1: x\nnull: y\n") == {"a": 1e30, "b": "2024-01-01", "1": "x",
                                                                       "null": "y"}
    assert decode_yaml(b"true: y") == {"true": "y"}
    assert decode_yaml(b"a: 1\n---\nb: 2\n") == {"a": 1}  # the first document only
    with pytest.raises(DecodeError, match=r"^json: unsupported value: \+Inf$"):
        decode_yaml(b"a: .inf")
    with pytest.raises(DecodeError, match="^yaml: "):
        decode_yaml(b"a: [\x00]")


def test_json_numbers_keep_their_literal():
    value = decode_json(b'{"a": 1e30, "b": 1.5, "c": 3, "d": 1E400}')
    assert isinstance(value["a"], GoNumber) and value["a"].text == "1e30" and value["a"] == 1e30
    assert number_text(value["d"]) == "1E400" and number_text(3) == "3"
    assert [number_text(v) for v in (1e30, 3.0, 1.5e-7, 0.1)] == ["1e+30", "3", "1.5e-7", "0.1"]


@pytest.mark.parametrize("raw,message", [
    (b'{"a": NaN}', "invalid character 'N' looking for beginning of value"),
    (b'{"a": -Infinity}', "invalid character 'I' in numeric literal"),
    (b'{"a": 1', "unexpected end of JSON input"),
    (b'{"a" 1}', "invalid character '1' after object key"),
    (b'{"a": 1 "b": 2}', "invalid character '\"' after object key:value pair"),
    (b"[1 2]", "invalid character '2' after array element"),
    (b"{} x", "invalid character 'x' after top-level value"),
    (b'"\\x"', "invalid character 'x' in string escape code"),
    (b'"a\x01"', "invalid character '\\x01' in string literal"),
    (b"'a'", "invalid character '\\'' looking for beginning of value"),
    (b"[" * 10_000, "invalid character '[' exceeded max depth"),
    (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "invalid character '[' exceeded max depth"),
])
def test_json_errors_read_like_go(raw, message):
    with pytest.raises(DecodeError) as err:
        decode_json(raw)
    assert err.value.message == message


def test_lone_surrogates_and_bad_utf8_become_u_fffd():
    assert decode_json(b'{"\\udc00k": ["\\ud800", "\\ud83d\\ude00"]}') == {"\ufffdk": ["\ufffd", "\U0001f600"]}
    assert decode_json(b'{"a": "\xff"}') == {"a": "\ufffd"}
    assert decode_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None


# --- typed decoding ------------------------------------------------------------------------------------------

TREE = {"kinds": {"v1/Thing": "io.k8s.api.core.v1.Thing"}, "types": {
    "io.k8s.api.core.v1.Thing": {"spec": "io.k8s.api.core.v1.ThingSpec", "kind": "string", "when": "Time"},
    "io.k8s.api.core.v1.ThingSpec": {"replicas": "int32", "big": "int64", "ports": "[io.k8s.api.core.v1.Port",
                                     "labels": "{string", "free": "*", "cpu": "Quantity", "on": "bool",
                                     "target": "IntOrString", "blob": "{bytes"},
    "io.k8s.api.core.v1.Port": {"port": "int32", "name": "string"},
}}


def decode(obj: dict):
    root = typed.Schema(TREE).for_kind("v1", "Thing")
    return typed.decode(root, obj), obj


@pytest.mark.parametrize("spec,text", [
    ({"replicas": 2**31}, ("json: cannot unmarshal number 2147483648 into Go struct field ThingSpec.spec.replicas of "
                          "type int32")),
    ({"big": 2**63}, ("json: cannot unmarshal number 9223372036854775808 into Go struct field ThingSpec.spec.big of "
                     "type int64")),
    ({"replicas": GoNumber("1.0")}, ("json: cannot unmarshal number 1.0 into Go struct field ThingSpec.spec.replicas "
                                    "of type int32")),
    ({"ports": [{"port": "80"}]}, ("json: cannot unmarshal string into Go struct field Port.spec.ports.port of type "
                                  "int32")),
    ({"ports": {}}, "json: cannot unmarshal object into Go struct field ThingSpec.spec.ports of type []v1.Port"),
    ({"labels": []}, ("json: cannot unmarshal array into Go struct field ThingSpec.spec.labels of type "
                     "map[string]string")),
    ({"on": "true"}, "json: cannot unmarshal string into Go struct field ThingSpec.spec.on of type bool"),
    ({"target": True}, "json: cannot unmarshal bool into Go value of type int32"),
    ({"free": {"a": [GoNumber("1e400")]}}, ("json: cannot unmarshal number 1e400 into Go struct field "
                                           "ThingSpec.spec.free of type float64")),
    ({"blob": {"k": "YWJj=="}}, "illegal base64 data at input byte 4"),
])
def test_type_errors_carry_go_s_text(spec, text):
    with pytest.raises(typed.TypeMismatch) as err:
        decode({"spec": spec})
    assert err.value.go_message() == text


def test_the_whole_struct_is_named_when_the_value_is_wrong():
    with pytest.raises(typed.TypeMismatch) as err:
        decode({"spec": "x"})
    assert err.value.go_message() == ("json: cannot unmarshal string into Go struct field Thing.spec of type "
                                      "v1.ThingSpec")
    assert err.value.converter_message() == "cannot restore struct from: string"
    assert err.value.apply_message() == "expected map, got &{x}"


def test_nulls_become_zero_values_and_unknown_fields_are_dropped():
    unknown, obj = decode({"kind": None, "bogus": {"x": 1}, "spec": {"ports": [None, {"port": 1, "extra": 2}],
                                                                     "labels": {"a": None}, "cpu": 2}})
    assert unknown == ["bogus", "spec.ports[1].extra"]
    assert obj == {"spec": {"ports": [{}, {"port": 1}], "labels": {"a": ""}, "cpu": "2"}}


@pytest.mark.parametrize("value,error", [
    ("2024-02-29T10:00:00Z", None), ("2024-01-01T00:00:00.123+02:00", None),
    ("2023-02-29T10:00:00Z", 'parsing time "2023-02-29T10:00:00Z": day out of range'),
    ("2024-13-01T00:00:00Z", 'parsing time "2024-13-01T00:00:00Z": month out of range'),
    ("yesterday", 'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"'),
    ("2024-01-01 00:00:00Z", ('parsing time "2024-01-01 00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse '
                             '" 00:00:00Z" as "T"')),
    ("2024-01-01T00:00:00Zjunk", 'parsing time "2024-01-01T00:00:00Zjunk": extra text: "junk"'),
])
def test_times_parse_as_go_s_time_parse(value, error):
    assert typed.parse_rfc3339_error(value, "2006-01-02T15:04:05Z07:00") == error


@pytest.mark.parametrize("text,offset", [("YWJj", None), ("YWI=", None), ("YQ==", None), ("YWJ", 0), ("YW*j", 2),
                                         ("YQ==YQ==", 4), ("YW\nJj", None), ("=", 0)])
def test_base64_fails_where_go_s_decoder_does(text, offset):
    assert typed.base64_error_offset(text) == offset


def test_the_schema_compiles_from_the_served_field_tree(tmp_path):
    from kubenet.apiserver import openapi
    openapi.set_cache_dir(str(tmp_path))
    try:
        schema = typed.schema()
        deployment = schema.for_kind("apps/v1", "Deployment")
        assert deployment.fields["spec"].fields["replicas"].go == "int32"
        assert schema.for_kind("autoscaling/v1", "Scale") is not None
        body = json.loads(json.dumps({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}}))
        assert typed.decode(deployment, body) == []
    finally:
        openapi.set_cache_dir(None)

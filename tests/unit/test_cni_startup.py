"""What the kubenet-cni executable costs to start: the launcher an editable install writes, the modules a run
imports (no site, nothing heavy, nothing outside the standard library and cni/), and cni.jsonio against json."""
from __future__ import annotations

import ast
import errno
import importlib.util
import json
import math
import os
import subprocess
import sys

import pytest

from cni import jsonio, netns

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAUNCHER = os.path.join(ROOT, "bin", "kubenet-cni")
# Each of these once cost a plugin run milliseconds (re/enum, inspect/ast/dis, selectors, ipaddress with functools
# and collections, os with _collections_abc), is loaded only where it is used (threading for a netns in-process,
# subprocess for iptables), or is not stdlib.
HEAVY = {"typing", "dataclasses", "inspect", "ast", "re", "enum", "json", "socket", "selectors", "subprocess",
         "contextlib", "importlib", "warnings", "ctypes", "threading", "site", "kubenet", "yaml", "aiohttp",
         "pathlib", "ipaddress", "functools", "collections", "os"}


def build_scripts():
    spec = importlib.util.spec_from_file_location("kubenet_build_scripts", os.path.join(ROOT, "bin", "build_scripts.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def launcher_text() -> str:
    with open(LAUNCHER, encoding="utf-8") as f:
        return f.read()


def test_every_plugin_type_starts_on_light_standard_modules_only():
    code = ("import sys; sys.path.append(sys.argv[1]); import cni.main, cni.plugins, cni.bridge, cni.ipam, "
            "cni.portmap, cni.loopback; print(repr({n: getattr(m, '__file__', None) for n, m in sys.modules.items()}))")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code, ROOT], capture_output=True, text=True, check=True)
    modules = ast.literal_eval(out.stdout)
    assert not HEAVY & {name.split(".")[0] for name in modules}, sorted(HEAVY & set(modules))
    stdlib = os.path.dirname(os.__file__)
    for name, path in modules.items():
        assert path is None or path.startswith((stdlib, os.path.join(ROOT, "cni"))), (name, path)


def test_an_editable_build_bakes_the_interpreter_with_isolation_and_the_source_tree():
    baked = build_scripts().bake(launcher_text(), "/usr/bin/python3", "/src/kubenet")
    assert baked.startswith("#!/usr/bin/python3 -IS\n")
    assert "\nPROJECT = '/src/kubenet'\n" in baked and "\nPROJECT = None\n" not in baked
    with pytest.raises(ValueError):
        build_scripts().bake("#!python\nprint()\n", "/usr/bin/python3", "/src")


def version_of(cmd: list[str], env: dict[str, str]) -> dict:
    run = subprocess.run(cmd, input=b'{"cniVersion": "1.0.0"}', capture_output=True, check=False,
                         env={"PATH": "/usr/bin:/bin", "CNI_COMMAND": "VERSION", **env})
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_the_baked_launcher_answers_from_anywhere_whatever_pythonpath_says(tmp_path):
    copy = tmp_path / "bridge"  # dropped into a CNI bin dir under a plugin type's name
    copy.write_text(build_scripts().bake(launcher_text(), sys.executable, ROOT))
    copy.chmod(0o755)
    reply = version_of([str(copy)], {"PYTHONPATH": str(tmp_path)})
    assert reply["cniVersion"] == "1.0.0" and "1.1.0" in reply["supportedVersions"]


def test_an_unbaked_launcher_finds_cni_through_site_as_a_regular_install_does():
    # A wheel's launcher keeps PROJECT None and pip gives it a plain '#!<python>': cni comes from sys.path.
    reply = version_of([sys.executable, LAUNCHER], {"PYTHONPATH": ROOT})
    assert "0.3.1" in reply["supportedVersions"]


VALUES = [{"cniVersion": "1.0.0", "ipam": {"ranges": [[{"subnet": "10.0.0.0/24"}]]}, "n": [1, -2.5, 1e300, None,
          True, False], "s": "é\u2028\"\\/\x00", "nested": [[[{}]]], "big": 2**70}, [], "plain", 0, -0.0, 1.5]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_jsonio_round_trips_exactly_as_json(value):
    text = json.dumps(value)
    assert jsonio.dumps(value) == text
    assert repr(jsonio.loads(text)) == repr(json.loads(text))
    assert repr(jsonio.loads(text.encode())) == repr(json.loads(text.encode()))


def test_jsonio_takes_json_special_cases_and_raises_what_json_raises():
    assert math.isnan(jsonio.loads(" [NaN] \n")[0]) and jsonio.loads("-Infinity") == -math.inf
    assert jsonio.loads(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}  # json.loads takes a UTF-8 BOM in bytes
    assert jsonio.loads('{"a": 1, "a": 2}') == {"a": 2}
    for bad in (b"{oops", b"", b"{} {}", b"\xff", "\ufeff{}", b'{"a": 1,}'):
        with pytest.raises(ValueError) as ours:
            jsonio.loads(bad)
        with pytest.raises(ValueError) as theirs:
            json.loads(bad)
        assert (type(ours.value), str(ours.value)) == (type(theirs.value), str(theirs.value))
    with pytest.raises(TypeError, match="Object of type object is not JSON serializable"):
        jsonio.dumps({"a": object()})
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        jsonio.dumps(loop)
    assert jsonio.dumps({"x": [1]}) == '{"x": [1]}'  # an encoder that failed leaves nothing behind


def test_libc_calls_through_the_ctypes_c_module_return_ints_and_errno(tmp_path):
    assert netns._libc_function("getpid")() == os.getpid()
    plain = tmp_path / "not-a-netns"
    plain.write_text("")
    fd = os.open(plain, os.O_RDONLY)
    try:
        with pytest.raises(OSError) as not_a_netns:  # a file that is no namespace: setns(2) answers EINVAL
            netns.setns(fd)
    finally:
        os.close(fd)
    assert not_a_netns.value.errno == errno.EINVAL and "Invalid argument" in str(not_a_netns.value)

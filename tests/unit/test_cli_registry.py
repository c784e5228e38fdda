"""kubenet's verbs come from the modules that declare them: a new module plugs a verb in with no list edited."""
from __future__ import annotations

import sys
import textwrap

import pytest

import kubenet.cli
from kubenet.cli import registry
from kubenet.cli.main import build_parser


def test_the_cluster_verbs_come_first_in_their_order():
    assert [v.name for v in registry.discover()][:5] == ["up", "down", "status", "exec", "kubeconfig"]
    assert "{up,down,status,exec,kubeconfig}" in build_parser().format_usage()


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    """A directory on kubenet.cli's package path, as if a verb module had been added to the package."""
    monkeypatch.setattr(kubenet.cli, "__path__", [*kubenet.cli.__path__, str(tmp_path)])
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("kubenet.cli.kx")]:
        del sys.modules[name]


def test_a_module_that_declares_verbs_plugs_them_in(plugin_dir):
    (plugin_dir / "kxlab.py").write_text(textwrap.dedent("""\
        from kubenet.cli.registry import Verb

        def run(args):
            return 40 + len(args.lab)

        VERBS = [Verb("lab", "run a lab", run, lambda p: p.add_argument("lab"))]
    """))
    parser = build_parser()
    assert "{up,down,status,exec,kubeconfig,lab}" in parser.format_usage()
    args = parser.parse_args(["lab", "--name", "c1", "dns"])
    assert (args.name, args.func(args)) == ("c1", 43)


def test_a_verb_declared_twice_is_refused(plugin_dir):
    (plugin_dir / "kxdup.py").write_text("from kubenet.cli.registry import Verb\n"
                                         "VERBS = [Verb('down', 'again', lambda args: 0)]\n")
    with pytest.raises(RuntimeError, match="kubenet verbs declared twice: down"):
        registry.discover()

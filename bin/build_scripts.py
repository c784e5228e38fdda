"""setuptools' build_scripts for the kubenet-cni launcher (pyproject.toml [tool.setuptools.cmdclass]).

pip writes `#!<python>` over a script's `#!python` line and drops any interpreter flags, so an editable
install's launcher would start Python with site and every .pth hook. In editable mode (set on build
sub-commands by setuptools' editable_wheel), this bakes the building interpreter, which pip runs the
build with and installs for, with -I -S, and the source tree into bin/kubenet-cni. A wheel may be installed
elsewhere, so a regular build keeps the script as it is.
"""
from __future__ import annotations

import os
import sys

import setuptools  # noqa: F401 - first: `distutils` below is then setuptools' copy (Python 3.12 has none)

# isort: split
from distutils.command.build_scripts import build_scripts

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAUNCHER = "kubenet-cni"


def bake(text: str, interpreter: str, project: str) -> str:
    """The launcher's text with the interpreter line and the PROJECT assignment filled in."""
    _, body = text.split("\n", 1)
    if "\nPROJECT = None\n" not in body:
        raise ValueError(f"{LAUNCHER}: no 'PROJECT = None' line to fill in")
    return f"#!{interpreter} -IS\n" + body.replace("\nPROJECT = None\n", f"\nPROJECT = {project!r}\n", 1)


class BuildScripts(build_scripts):
    editable_mode = False

    def copy_scripts(self):  # type: ignore[no-untyped-def]
        outfiles, updated = super().copy_scripts()
        if self.editable_mode and os.path.isfile(os.path.join(ROOT, "cni", "__init__.py")):
            for path in outfiles:
                if os.path.basename(path) == LAUNCHER:
                    with open(path, encoding="utf-8") as f:
                        text = bake(f.read(), sys.executable, ROOT)
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(text)
        return outfiles, updated

"""Layer rules, checked in fresh interpreters: who may import torch and Textual."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import nntui


def modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def every_module(*packages: str) -> str:
    """An import statement for every module in these packages, found on disk (new ones included)."""
    names = []
    for package in packages:
        folder = Path(nntui.__file__).parent / package.split(".", 1)[1]
        names += [f"{package}.{module.name}" for module in pkgutil.iter_modules([str(folder)])]
    return "import " + ", ".join(sorted(names))


def test_lab_and_trainer_never_import_textual():
    loaded = modules_after(every_module("nntui.lab", "nntui.trainer", "nntui.spec") + ", nntui.headless")
    assert "torch" in loaded  # the probe really loaded the lab
    assert "textual" not in loaded


def test_ui_never_imports_torch():
    loaded = modules_after(
        every_module("nntui.widgets", "nntui.visuals", "nntui.screens", "nntui.curriculum", "nntui.runtime", "nntui.spec")
        + ", nntui.app"
    )
    assert "textual" in loaded
    assert "torch" not in loaded


@pytest.mark.parametrize("argv", [["--help"], ["list"], ["run", "--help"], ["run", "no-such-lesson"]])
def test_cli_commands_that_need_no_model_never_import_torch(argv):
    code = (
        "import sys\n"
        f"sys.argv = ['nntui', *{argv!r}]\n"
        "import nntui.cli\n"
        "try:\n    nntui.cli.main()\nexcept SystemExit:\n    pass\n"
    )
    assert "torch" not in modules_after(code)

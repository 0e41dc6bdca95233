"""Layer rules, checked in fresh interpreters: who may import torch and Textual."""

from __future__ import annotations

import subprocess
import sys

import pytest


def modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_lab_and_runtime_never_import_textual():
    loaded = modules_after(
        "import nntui.lab.mnist_mlp, nntui.lab.toy_fit, nntui.runtime.driver, nntui.runtime.worker, nntui.headless"
    )
    assert "torch" in loaded  # the probe really loaded the lab
    assert "textual" not in loaded


def test_ui_never_imports_torch():
    loaded = modules_after(
        "import nntui.app, nntui.screens.browser, nntui.screens.lesson, nntui.screens.help,"
        " nntui.screens.panels, nntui.widgets.chart, nntui.widgets.digits, nntui.widgets.controls,"
        " nntui.widgets.status, nntui.runtime.client, nntui.runtime.history, nntui.curriculum.loader"
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

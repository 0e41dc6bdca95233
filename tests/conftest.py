"""Shared test set-up: tests never touch the user's real progress file."""

from __future__ import annotations

import pytest

import nntui  # noqa: F401  first: it pins the CPU kernels before any test module imports torch


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("NNTUI_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def one_torch_thread():
    """Train as the trainer process does: one torch thread (small models are fastest so)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(params=[False, True], ids=["color", "nocolor"])
def no_color(request, monkeypatch) -> bool:
    """Each snapshot test runs twice: in colour and under NO_COLOR (read when an App is created)."""
    if request.param:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    return request.param

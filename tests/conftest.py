"""Shared test set-up: tests never touch the user's real progress file."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("NNTUI_HOME", str(tmp_path / "home"))
    return tmp_path / "home"

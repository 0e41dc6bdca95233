"""Ticks kept between sessions: each student's own when served, never lost between two apps."""

from __future__ import annotations

import json
import multiprocessing

from nntui.progress import Progress, default_path
from nntui.served import safe_name


def test_two_apps_on_one_file_keep_each_others_ticks(tmp_path):
    path = tmp_path / "progress.json"
    first, second = Progress(path), Progress(path)  # both read the empty file, then both write
    first.mark("neuron", "bumps")
    second.mark("neuron", "relu")
    second.mark("bptt", "short")
    assert json.loads(path.read_text())["done"] == {"bptt": ["short"], "neuron": ["bumps", "relu"]}
    first.refresh()
    assert first.steps_done("neuron") == {"bumps", "relu"} and first.lesson_done("bptt", ["short"])


def _tick_many(path, lesson, n):
    progress = Progress(path)
    for i in range(n):
        progress.mark(lesson, f"step-{i}")


def test_processes_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "progress.json"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_tick_many, args=(path, lesson, 25)) for lesson in ("a", "b", "c")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(20)
    done = json.loads(path.read_text())["done"]
    assert {lesson: len(steps) for lesson, steps in done.items()} == {"a": 25, "b": 25, "c": 25}


def test_served_each_login_has_a_file_of_its_own(tmp_path, monkeypatch):
    monkeypatch.setenv("NNTUI_HOME", str(tmp_path))
    assert default_path() == tmp_path / "progress.json"  # not served: the one learner's file
    monkeypatch.setenv("NNTUI_SERVED", "1")
    monkeypatch.setenv("NNTUI_USER", "ada")
    assert default_path() == tmp_path / "progress" / "ada.json"
    Progress().mark("neuron", "bumps")
    monkeypatch.setenv("NNTUI_USER", "../../etc/passwd")  # a name is only ever a file name
    assert default_path() == tmp_path / "progress" / ".._.._etc_passwd.json"
    assert Progress().steps_done("neuron") == set()  # another student sees none of ada's ticks


def test_a_login_name_becomes_a_safe_file_name():
    assert safe_name("ada") == "ada" and safe_name("a b\"c") == "a_b_c"
    assert safe_name("..") == "_" and len(safe_name("x" * 100)) == 32

"""The lesson loader: valid lessons load, every mistake is reported exactly where it is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nntui.curriculum import (
    BrokenLesson,
    Check,
    Clause,
    Control,
    Lesson,
    LessonError,
    Text,
    load_chapters,
    load_curriculum,
    load_lesson,
    parse_check,
)
from nntui.curriculum.locate import FieldLocator
from nntui.spec import catalog

# Line numbers in the comments on the right are the file's own: the malformed
# cases below quote them in their expected messages.
VALID = """\
+++
id = "ladder"
chapter = "basics"
order = 2
experiment = "mnist-mlp"
layout = ["loss", "accuracy", "digits"]

[title]
en = "Nielsen's ladder"
zh = "Nielsen 阶梯"

[summary]
en = "Climb the ladder."
zh = "爬梯子。"

[params]
hidden = 30
lr = 3

[controls.lr]
label = { en = "learning rate", zh = "学习率" }
min = 0.01
max = 10.0
step = 2.0
log = true

[controls.activation]
label = { en = "activation", zh = "激活函数" }
choices = ["sigmoid", "relu"]

[controls.hidden]
label = { en = "hidden units", zh = "隐藏单元" }
max = 300

[[steps]]
id = "quadratic"
set = { cost = "quadratic", lr = 3.0 }
check = "test_accuracy > 0.85 and epoch >= 1"

[[steps]]
id = "cross-entropy"
set = { cost = "cross-entropy" }
+++

## en: Nielsen's ladder {#intro}
What this lesson shows.

## zh: Nielsen 阶梯 {#intro}
本课内容。

## en: Rung 1: quadratic cost {#quadratic}
Press **r** to train.

```python
## not a heading inside a fence
```

## zh: 第一级：二次代价 {#quadratic}
按 **r** 训练。

## en: Rung 2: cross-entropy {#cross-entropy}
Faster learning.

## zh: 第二级：交叉熵 {#cross-entropy}
学得更快。
"""
#  1 +++                      17 hidden = 30               35 [[steps]]
#  2 id                       18 lr = 3                    36 id = "quadratic"
#  3 chapter                  20 [controls.lr]             37 set = {...}
#  4 order                    21 label                     38 check
#  5 experiment               22 min                       40 [[steps]]
#  6 layout                   23 max                       41 id = "cross-entropy"
#  8 [title]                  24 step                      42 set
#  9 en                       25 log                       43 +++
# 10 zh                       27 [controls.activation]     45 ## en ... {#intro}
# 12 [summary]                28 label                     48 ## zh ... {#intro}
# 16 [params]                 29 choices                   51 ## en ... {#quadratic}
#                             31 [controls.hidden]         58 ## zh ... {#quadratic}
#                             32 label  33 max             61 ## en ... {#cross-entropy}
#                                                          64 ## zh ... {#cross-entropy}


def write(directory: Path, text: str, name: str = "ladder") -> Path:
    path = directory / "lessons" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def here(tmp_path, monkeypatch):
    """Work in tmp_path so that messages name `lessons/<id>.md`, as in the README."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def error_of(text: str, name: str = "ladder") -> str:
    write(Path("."), text, name)
    with pytest.raises(LessonError) as info:
        load_lesson(Path("lessons") / f"{name}.md")
    return str(info.value)


# --------------------------------------------------------------------------- valid


def test_valid_lesson_loads_with_every_value(here):
    lesson = load_lesson(write(here, VALID))
    assert isinstance(lesson, Lesson) and not lesson.broken
    assert (lesson.id, lesson.chapter, lesson.order, lesson.experiment) == (
        "ladder", "basics", 2, "mnist-mlp",
    )
    assert lesson.title == Text("Nielsen's ladder", "Nielsen 阶梯")
    assert lesson.summary == Text("Climb the ladder.", "爬梯子。")
    assert lesson.layout == ("loss", "accuracy", "digits")

    expected_params = catalog.MNIST_MLP.defaults() | {"hidden": 30, "lr": 3.0}
    assert lesson.params == expected_params
    assert isinstance(lesson.params["lr"], float)

    lr, activation, hidden = lesson.controls
    assert lr == Control(
        param="lr", type="float", label=Text("learning rate", "学习率"),
        min=0.01, max=10.0, step=2.0, log=True, apply="live",
    )
    assert activation.type == "choice" and activation.choices == ("sigmoid", "relu")
    assert activation.apply == "restart" and activation.label.get("zh") == "激活函数"
    # unset bounds come from the experiment, set ones narrow it
    assert (hidden.type, hidden.min, hidden.max, hidden.apply) == ("int", 1, 300, "restart")

    assert lesson.intro.id == "intro"
    assert lesson.intro.title == Text("Nielsen's ladder", "Nielsen 阶梯")
    assert lesson.intro.body == Text("What this lesson shows.", "本课内容。")
    assert lesson.intro.set == {} and lesson.intro.check is None

    quadratic, cross = lesson.steps
    assert quadratic.id == "quadratic"
    assert quadratic.title == Text("Rung 1: quadratic cost", "第一级：二次代价")
    assert quadratic.body.en.startswith("Press **r** to train.")
    assert "## not a heading inside a fence" in quadratic.body.en
    assert quadratic.body.zh == "按 **r** 训练。"
    assert quadratic.set == {"cost": "quadratic", "lr": 3.0}
    assert quadratic.check == Check(
        "test_accuracy > 0.85 and epoch >= 1",
        (Clause("test_accuracy", ">", 0.85), Clause("epoch", ">=", 1.0)),
    )
    assert cross.id == "cross-entropy" and cross.check is None
    assert cross.set == {"cost": "cross-entropy"}
    assert cross.body == Text("Faster learning.", "学得更快。")
    assert [page.id for page in lesson.pages] == ["intro", "quadratic", "cross-entropy"]


def test_optional_parts_default_sensibly(here):
    text = (
        '+++\nid = "tiny"\nchapter = "basics"\norder = 1\nexperiment = "toy-fit"\n'
        'title = { en = "Tiny", zh = "小" }\nsummary = { en = "S", zh = "摘" }\n'
        '[controls.lr]\nlabel = { en = "lr", zh = "学习率" }\n'
        '[controls.activation]\nlabel = { en = "act", zh = "激活" }\n+++\n'
        "## en: Tiny {#intro}\n\n## zh: 小 {#intro}\n"
    )
    lesson = load_lesson(write(here, text, "tiny"))
    assert lesson.layout == catalog.TOY_FIT.visuals
    assert lesson.params == catalog.TOY_FIT.defaults()
    assert lesson.steps == ()
    assert lesson.intro.body == Text("", "")
    lr, activation = lesson.controls
    assert (lr.apply, lr.min, lr.max) == ("live", 1e-5, 1.0)
    assert activation.choices == catalog.TOY_FIT.params["activation"].choices


# --------------------------------------------------------------------------- malformed

L = "lessons/ladder.md"

MALFORMED = [
    # name, old, new, expected message
    ("no opening +++", "+++\nid", "id",
     f"{L}:1: front matter: expected '+++' on the first line"),
    ("no closing +++", 'cost = "cross-entropy" }\n+++\n', 'cost = "cross-entropy" }\n',
     f"{L}:1: front matter: the '+++' opened here is never closed by a '+++' line"),
    ("TOML syntax", "order = 2", "order = ",
     f"{L}:4: front matter: invalid TOML: Invalid value"),
    ("TOML duplicate key", "lr = 3\n", "lr = 3\nlr = 4\n",
     f"{L}:19: front matter: invalid TOML: Cannot overwrite a value"),
    ("unknown top-level key", 'experiment = "mnist-mlp"', 'tittle = "x"\nexperiment = "mnist-mlp"',
     f"{L}:5: tittle: unknown key (did you mean 'title'?)"),
    ("missing required key", "order = 2\n", "",
     f"{L}:1: order: required but missing"),
    ("id is not the file name", 'id = "ladder"', 'id = "ladders"',
     f"{L}:2: id: expected 'ladder' (the file name), got 'ladders'"),
    ("unknown chapter", 'chapter = "basics"', 'chapter = "basic"',
     f"{L}:3: chapter: unknown chapter 'basic' (known: basics, training, sequences, attention, generation)"),
    ("order not an integer", "order = 2", 'order = "2"',
     f"{L}:4: order: expected an integer, got '2'"),
    ("unknown experiment", 'experiment = "mnist-mlp"', 'experiment = "mnist"',
     f"{L}:5: experiment: unknown experiment 'mnist' (known: " + ", ".join(catalog.EXPERIMENTS) + ")"),
    ("layout widget unknown", '"accuracy", "digits"]', '"accuracy",\n  "digit"]',
     f"{L}:7: layout[2]: 'digit' is not a visual of mnist-mlp (offers: loss, accuracy, digits)"),
    ("title.zh missing", 'zh = "Nielsen 阶梯"\n', "",
     f"{L}:8: title.zh: required but missing"),
    ("summary.en empty", 'en = "Climb the ladder."', 'en = ""',
     f"{L}:13: summary.en: expected a non-empty string, got ''"),
    ("title in an unknown language", 'zh = "Nielsen 阶梯"', 'zh = "Nielsen 阶梯"\nfr = "x"',
     f"{L}:11: title.fr: unknown language (expected en and zh)"),
    ("unknown param in [params]", "hidden = 30", "hiden = 30",
     f"{L}:17: params.hiden: unknown parameter 'hiden' for mnist-mlp (did you mean 'hidden'? known: "
     "hidden, activation, cost, init, l2, dropout, optimizer, momentum, lr, batch, epochs, eval_every)"),
    ("bad param value", "hidden = 30", 'hidden = "many"',
     f"{L}:17: params.hidden: expected an integer, got 'many'"),
    ("param out of range", "lr = 3\n", "lr = 300\n",
     f"{L}:18: params.lr: 300 is outside 1e-05..100.0"),
    ("key meant for the top level lands in the open table", "[params]\nhidden = 30\nlr = 3\n",
     'params = { lr = 3, batch = 0 }\n', f"{L}:16: summary.params: unknown language (expected en and zh)"),
    ("control for an unknown param", "[controls.hidden]", "[controls.hiddn]",
     f"{L}:31: controls.hiddn: unknown parameter 'hiddn' for mnist-mlp (did you mean 'hidden'? known: "
     "hidden, activation, cost, init, l2, dropout, optimizer, momentum, lr, batch, epochs, eval_every)"),
    ("unknown control key", "step = 2.0", "stepp = 2.0",
     f"{L}:24: controls.lr.stepp: unknown key (did you mean 'step'?)"),
    ("control label missing", 'label = { en = "hidden units", zh = "隐藏单元" }\n', "",
     f"{L}:31: controls.hidden.label: required but missing"),
    ("control label zh missing", '{ en = "activation", zh = "激活函数" }', '{ en = "activation" }',
     f"{L}:28: controls.activation.label.zh: required but missing"),
    ("controls.lr.max not a number", "max = 10.0", 'max = "ten"',
     f"{L}:23: controls.lr.max: expected a number"),
    ("int control bound not an integer", "max = 300", "max = 30.5",
     f"{L}:33: controls.hidden.max: expected an integer"),
    ("min > max", "min = 0.01", "min = 20.0",
     f"{L}:22: controls.lr.min: min 20.0 is greater than max 10.0"),
    ("control bound outside the param's range", "max = 10.0", "max = 1000.0",
     f"{L}:23: controls.lr.max: 1000.0 is outside lr's range 1e-05..100.0"),
    ("control type mismatch", "max = 300", 'max = 300\ntype = "float"',
     f"{L}:34: controls.hidden.type: expected 'int' (as mnist-mlp declares hidden), got 'float'"),
    ("live on a restart-only param", "max = 300", 'max = 300\napply = "live"',
     f"{L}:34: controls.hidden.apply: hidden cannot change while mnist-mlp trains; use apply = \"restart\""),
    ("bad apply mode", "log = true", 'log = true\napply = "now"',
     f"{L}:26: controls.lr.apply: expected live or restart, got 'now'"),
    ("step not positive", "step = 2.0", "step = 0",
     f"{L}:24: controls.lr.step: expected a number > 0, got 0"),
    ("log factor not above 1", "step = 2.0", "step = 0.5",
     f"{L}:24: controls.lr.step: with log = true, step is a factor and must be > 1, got 0.5"),
    ("log on a choice param", 'choices = ["sigmoid", "relu"]', 'choices = ["sigmoid", "relu"]\nlog = true',
     f"{L}:30: controls.activation.log: only for int and float parameters; activation is choice"),
    ("choices not a subset", 'choices = ["sigmoid", "relu"]', 'choices = ["sigmoid",\n  "gelu"]',
     f"{L}:30: controls.activation.choices[1]: 'gelu' is not a choice of activation (choices: sigmoid, tanh, relu)"),
    ("a name for no choice", 'choices = ["sigmoid", "relu"]', 'choices = ["sigmoid", "relu"]\nnames = { gelu = { en = "gelu", zh = "高斯" } }',
     f"{L}:30: controls.activation.names.gelu: 'gelu' is not a choice of activation (choices: sigmoid, relu)"),
    ("a name in one language", 'choices = ["sigmoid", "relu"]', 'choices = ["sigmoid", "relu"]\nnames = { relu = { zh = "整流" } }',
     f"{L}:30: controls.activation.names.relu.en: required but missing"),
    ("duplicate step id", 'id = "cross-entropy"', 'id = "quadratic"',
     f"{L}:41: steps[1].id: duplicate step id 'quadratic' (also steps[0])"),
    ("step id 'intro' reserved", 'id = "cross-entropy"', 'id = "intro"',
     f"{L}:41: steps[1].id: 'intro' is reserved for the opening page"),
    ("step id 'summary' reserved", 'id = "cross-entropy"', 'id = "summary"',
     f"{L}:41: steps[1].id: 'summary' is reserved for the closing page, which is not a step"),
    ("pace not positive", 'set = { cost = "cross-entropy" }', 'set = { cost = "cross-entropy" }\npace = 0',
     f"{L}:43: steps[1].pace: expected steps per second > 0, got 0"),
    ("pause without a check", 'set = { cost = "cross-entropy" }', 'set = { cost = "cross-entropy" }\npause = true',
     f"{L}:43: steps[1].pause: pauses when the check first holds: the step needs a check"),
    ("pause not a bool", "test_accuracy > 0.85", 'test_accuracy > 0.85"\npause = "yes',
     f"{L}:39: steps[0].pause: expected true or false, got 'yes and epoch >= 1'"),
    ("aggregate of an unknown metric", "test_accuracy > 0.85", "max(test_acc) > 0.85",
     f"{L}:38: steps[0].check: unknown metric 'test_acc' for mnist-mlp (known: "
     "step, epoch, train_loss, test_loss, test_accuracy, train_accuracy, digits_answered)"),
    ("aggregate of the step", "test_accuracy > 0.85", "max(step) > 100",
     f"{L}:38: steps[0].check: max(step): step only grows; compare it directly"),
    ("summary in one language only", "## en: Nielsen's ladder {#intro}", "## en: In short {#summary}\nDone.\n\n## en: Nielsen's ladder {#intro}",
     f"{L}:45: body: missing section '## zh: <title> {{#summary}}'"),
    ("a link to a file", "What this lesson shows.", "See [the notes](file:///etc/passwd).",
     f"{L}:46: body: link to 'file:///etc/passwd': a lesson may only link to http(s) pages"),
    ("a javascript autolink", "What this lesson shows.", "Click <javascript:alert(1)>.",
     f"{L}:46: body: link to 'javascript:alert(1)': a lesson may only link to http(s) pages"),
    ("lesson id with markup", 'id = "ladder"', 'id = "ladder[/]"',
     f"{L}:2: id: expected lowercase letters, digits and '-', got 'ladder[/]'"),
    ("step id bad characters", 'id = "cross-entropy"', 'id = "Cross Entropy"',
     f"{L}:41: steps[1].id: expected lowercase letters, digits and '-', got 'Cross Entropy'"),
    ("step id missing", 'id = "cross-entropy"\n', "",
     f"{L}:40: steps[1].id: required but missing"),
    ("unknown step key", 'set = { cost = "cross-entropy" }', 'sett = { cost = "cross-entropy" }',
     f"{L}:42: steps[1].sett: unknown key (did you mean 'set'?)"),
    ("set names an unknown param", 'lr = 3.0 }', 'eta = 3.0 }',
     f"{L}:37: steps[0].set.eta: unknown parameter 'eta' for mnist-mlp (known: "
     "hidden, activation, cost, init, l2, dropout, optimizer, momentum, lr, batch, epochs, eval_every)"),
    ("set with a bad value", 'cost = "quadratic"', 'cost = "cubic"',
     f"{L}:37: steps[0].set.cost: expected one of quadratic, cross-entropy, got 'cubic'"),
    ("unknown metric in check", "test_accuracy > 0.85", "test_acc > 0.85",
     f"{L}:38: steps[0].check: unknown metric 'test_acc' for mnist-mlp (known: "
     "step, epoch, train_loss, test_loss, test_accuracy, train_accuracy, digits_answered)"),
    ("bad check syntax", "test_accuracy > 0.85", "test_accuracy >> 0.85",
     f"{L}:38: steps[0].check: cannot read 'test_accuracy >> 0.85': expected '<metric> <op> <number>' "
     "joined by 'and', op one of < <= > >= ==, metric a name or max(name) / min(name)"),
    ("missing zh section", "## zh: 第二级：交叉熵 {#cross-entropy}\n学得更快。\n", "",
     f"{L}:41: steps[1].id: missing section '## zh: <title> {{#cross-entropy}}'"),
    ("missing intro section", "## en: Nielsen's ladder {#intro}\nWhat this lesson shows.\n", "",
     f"{L}:43: body: missing section '## en: <title> {{#intro}}'"),
    ("section for an unknown id", "## en: Rung 2: cross-entropy {#cross-entropy}",
     "## en: Rung 2: cross-entropy {#crossentropy}",
     f"{L}:61: body: section {{#crossentropy}} names no step (known: intro, quadratic, cross-entropy, summary)"),
    ("duplicate section", "## zh: 第二级：交叉熵 {#cross-entropy}", "## en: Again {#quadratic}",
     f"{L}:64: body: duplicate en section {{#quadratic}} (first at line 51)"),
    ("empty section title", "## zh: 第一级：二次代价 {#quadratic}", "## zh:  {#quadratic}",
     f"{L}:58: body: empty title in the zh heading {{#quadratic}}"),
    ("unknown language heading", "## zh: 第一级：二次代价 {#quadratic}", "## fr: Échelon {#quadratic}",
     f"{L}:58: body: unknown language 'fr' (expected en or zh)"),
    ("heading without an id", "## zh: 第一级：二次代价 {#quadratic}", "## zh: 第一级：二次代价",
     f"{L}:58: body: expected a heading like '## en: <title> {{#<id>}}'"),
    ("text before the first heading", "+++\n\n## en: Nielsen's ladder", "+++\nStray words.\n## en: Nielsen's ladder",
     f"{L}:44: body: text before the first '## en: <title> {{#intro}}' heading"),
]


@pytest.mark.parametrize(
    "old, new, expected",
    [pytest.param(old, new, expected, id=name) for name, old, new, expected in MALFORMED],
)
def test_malformed_lesson_reports_exact_message(here, old, new, expected):
    assert old in VALID
    assert error_of(VALID.replace(old, new, 1)) == expected


def test_log_needs_a_positive_minimum(here):
    text = VALID.replace("[controls.hidden]", '[controls.l2]\nlabel = { en = "L2", zh = "L2" }\nlog = true\n\n[controls.hidden]')
    assert error_of(text) == f"{L}:33: controls.l2.log: a log scale needs min > 0 (min is 0.0)"
    fixed = text.replace("log = true\n\n[controls.hidden]", "log = true\nmin = 0.1\n\n[controls.hidden]")
    write(Path("."), fixed)
    assert load_lesson(Path(L)).controls[2].min == 0.1


def test_params_as_inline_table(here):
    text = VALID.replace("[params]\nhidden = 30\nlr = 3\n", "").replace(
        'layout = ["loss", "accuracy", "digits"]\n',
        'layout = ["loss", "accuracy", "digits"]\nparams = { lr = 3, batch = 0 }\n',
    )
    assert error_of(text) == f"{L}:7: params.batch: 0 is outside 1..4000"


def test_lesson_error_carries_its_parts(here):
    write(here, VALID.replace("max = 10.0", 'max = "ten"'))
    with pytest.raises(LessonError) as info:
        load_lesson(Path(L))
    error = info.value
    assert (error.path, error.line, error.field, error.message) == (
        Path(L), 23, "controls.lr.max", "expected a number",
    )
    assert isinstance(error, ValueError)


def test_front_matter_may_follow_blank_lines(here):
    text = "\n\n" + VALID.replace("max = 10.0", "max = [10]")
    assert error_of(text) == f"{L}:25: controls.lr.max: expected a number"


# --------------------------------------------------------------------------- locator


def test_locator_maps_paths_to_lines():
    toml = (
        'a = 1\n'                                  # 1
        'b.c = "x"  # comment [not.a.table]\n'     # 2
        '[t]\n'                                    # 3
        'k = { x = 1, y = { z = "}" } }\n'         # 4
        'arr = [\n'                                # 5
        '  "p",\n'                                 # 6
        '  "q",\n'                                 # 7
        ']\n'                                      # 8
        's = """\nmulti\n[fake]\n"""\n'            # 9-12
        '"quoted key" = 2\n'                       # 13
        '[[steps]]\n'                              # 14
        'id = "one"\n'                             # 15
        '[[steps]]\n'                              # 16
        'id = "two"\n'                             # 17
        '[steps.sub]\n'                            # 18
        'w = 1\n'                                  # 19
    )
    locate = FieldLocator(toml, offset=10)
    expected = {
        "a": 1, "b": 2, "b.c": 2, "t": 3, "t.k": 4, "t.k.y.z": 4, "t.arr": 5, "t.arr[1]": 7,
        "t.s": 9, "t.quoted key": 13, "steps[0]": 14, "steps[0].id": 15, "steps[1].id": 17,
        "steps[1].sub.w": 19, "t.missing.deeper": 3, "steps[1].check": 16,
    }
    assert {path: locate.line(path) for path in expected} == {p: n + 10 for p, n in expected.items()}
    assert locate.line("fake") is None and locate.line("nowhere") is None


# --------------------------------------------------------------------------- chapters


def test_shipped_chapters_in_file_order():
    chapters = load_chapters(Path(__file__).parent.parent / "lessons" / "chapters.toml")
    assert [c.id for c in chapters][:2] == ["basics", "training"]
    assert [c.order for c in chapters] == list(range(len(chapters)))
    assert chapters[0].title.get("zh") == "神经网络基础"


@pytest.mark.parametrize(
    "text, expected",
    [
        ('[[chapter]]\nid = "a"\nen = "A"\nzh = "甲"\n\n[[chapter]]\nid = "a"\nen = "B"\nzh = "乙"\n',
         "chapters.toml:7: chapter[1].id: duplicate chapter id 'a' (also chapter[0])"),
        ('[[chapter]]\nid = "a"\nen = "A"\n', "chapters.toml:1: chapter[0].zh: required but missing"),
        ('[[chapter]]\nid = "a"\nen = "A"\nzh = ""\n',
         "chapters.toml:4: chapter[0].zh: expected a non-empty string, got ''"),
        ('[[chapter]]\nid = "a"\nen = "A"\nzh = "甲"\ntitle = "x"\n',
         "chapters.toml:5: chapter[0].title: unknown key (known: id, en, zh)"),
        ('[[chapter]]\nid = "a"\nen = \n', "chapters.toml:3: invalid TOML: Invalid value"),
    ],
)
def test_bad_chapters(here, text, expected):
    Path("chapters.toml").write_text(text, encoding="utf-8")
    with pytest.raises(LessonError) as info:
        load_chapters(Path("chapters.toml"))
    assert str(info.value) == expected


# --------------------------------------------------------------------------- curriculum


def test_curriculum_keeps_broken_lessons_without_raising(here):
    lessons = here / "lessons"
    write(here, VALID)
    write(here, VALID.replace('id = "ladder"', 'id = "first"').replace("order = 2", "order = 1"), "first")
    write(here, VALID.replace('id = "ladder"', 'id = "later"').replace('chapter = "basics"', 'chapter = "training"')
          .replace("order = 2", "order = 0"), "later")
    write(here, VALID.replace('id = "ladder"', 'id = "broken"').replace("max = 10.0", 'max = "ten"'), "broken")
    write(here, "no front matter at all", "garbage")
    (lessons / "README.md").write_text("# not a lesson\n", encoding="utf-8")
    (lessons / "notes.txt").write_text("ignored\n", encoding="utf-8")

    curriculum = load_curriculum(Path("lessons"))
    assert [c.id for c in curriculum.chapters][0] == "basics"  # the shipped chapters
    ids = [lesson.id for lesson in curriculum.lessons]
    # basics by order (first=1, ladder=2, broken=2 keeps its chapter/order), then training, then unplaceable
    assert ids == ["first", "broken", "ladder", "later", "garbage"]

    broken = curriculum.find("broken")
    assert isinstance(broken, BrokenLesson) and broken.broken
    assert broken.error == "lessons/broken.md:23: controls.lr.max: expected a number"
    assert broken.path == Path("lessons/broken.md")
    assert (broken.chapter, broken.order) == ("basics", 2)
    assert broken.summary.en == broken.error
    garbage = curriculum.find("garbage")
    assert garbage.error == "lessons/garbage.md:1: front matter: expected '+++' on the first line"
    assert (garbage.chapter, garbage.order) == ("", 10**6)

    assert isinstance(curriculum.find("ladder"), Lesson)
    assert [lesson.id for lesson in curriculum.in_chapter("basics")] == ["first", "broken", "ladder"]
    assert curriculum.find("README") is None


def test_curriculum_uses_the_directorys_own_chapters(here):
    (here / "mine").mkdir()
    (here / "mine" / "chapters.toml").write_text('[[chapter]]\nid = "only"\nen = "Only"\nzh = "唯一"\n')
    (here / "mine" / "ladder.md").write_text(VALID.replace('chapter = "basics"', 'chapter = "only"'))
    (here / "mine" / "other.md").write_text(VALID.replace('id = "ladder"', 'id = "other"'))
    curriculum = load_curriculum(Path("mine"))
    assert [c.id for c in curriculum.chapters] == ["only"]
    assert isinstance(curriculum.find("ladder"), Lesson)
    assert curriculum.find("other").error == (
        "mine/other.md:3: chapter: unknown chapter 'basics' (known: only)"
    )


def test_every_shipped_lesson_loads():
    curriculum = load_curriculum()
    assert curriculum.lessons, "no lesson in lessons/"
    broken = [lesson.error for lesson in curriculum.lessons if lesson.broken]
    assert broken == []
    for lesson in curriculum.lessons:
        assert lesson.chapter in {c.id for c in curriculum.chapters}


def test_curriculum_never_imports_torch_or_textual():
    code = (
        "import sys; from nntui.curriculum import load_curriculum; load_curriculum(); "
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'textual')); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)


# --------------------------------------------------------------------------- checks


def test_parse_check_single_and_joined():
    assert parse_check("test_accuracy > 0.9") == Check(
        "test_accuracy > 0.9", (Clause("test_accuracy", ">", 0.9),)
    )
    check = parse_check("  train_loss<=1e-2 and step >= 2000 and epoch == 3  ")
    assert check.source == "train_loss<=1e-2 and step >= 2000 and epoch == 3"
    assert check.clauses == (
        Clause("train_loss", "<=", 0.01), Clause("step", ">=", 2000.0), Clause("epoch", "==", 3.0),
    )
    assert parse_check("x < -.5").clauses == (Clause("x", "<", -0.5),)


@pytest.mark.parametrize(
    "source, fragment",
    [
        ("", "empty check"),
        ("   ", "empty check"),
        ("test_accuracy", "cannot read 'test_accuracy'"),
        ("test_accuracy > high", "cannot read 'test_accuracy > high'"),
        ("test_accuracy => 0.9", "cannot read 'test_accuracy => 0.9'"),
        ("a > 1 or b < 2", "cannot read 'a > 1 or b < 2'"),
        ("a > 1 and", "cannot read 'a > 1 and'"),
        ("a > 1 and and b < 2", "cannot read"),
        ("0.9 < test_accuracy", "cannot read '0.9 < test_accuracy'"),
        (3, "expected a string"),
    ],
)
def test_parse_check_rejects(source, fragment):
    with pytest.raises(ValueError) as info:
        parse_check(source)
    assert fragment in str(info.value)


def test_check_holds_on_latest_metrics():
    check = parse_check("test_accuracy > 0.9 and step >= 100")
    assert check.holds({"test_accuracy": 0.95, "step": 100})
    assert not check.holds({"test_accuracy": 0.95, "step": 99})
    assert not check.holds({"test_accuracy": 0.9, "step": 500})
    assert not check.holds({"step": 500})  # a metric not reported yet never holds
    assert parse_check("epoch == 2").holds({"epoch": 2})
    assert parse_check("train_loss < 0.1").holds({"train_loss": 0.05})


# --------------------------------------------------------------------------- controls


def test_nudge_log_float_stays_in_range():
    lr = Control("lr", "float", Text("lr", "lr"), min=0.01, max=10.0, step=2.0, log=True)
    assert lr.nudge(3.0, +1) == 6.0
    assert lr.nudge(6.0, +1) == 10.0
    assert lr.nudge(3.0, -1) == 1.5
    assert lr.nudge(0.015, -1) == 0.01
    assert lr.nudge(0.1, +1) == 0.2  # rounded to 6 significant digits


def test_nudge_linear_int_and_float():
    hidden = Control("hidden", "int", Text("h", "h"), min=1, max=300, step=10)
    assert hidden.nudge(30, +1) == 40 and isinstance(hidden.nudge(30, +1), int)
    assert hidden.nudge(5, -1) == 1
    assert hidden.nudge(295, +1) == 300
    plain = Control("layers", "int", Text("l", "l"), min=1, max=6)
    assert plain.nudge(1, +1) == 2 and plain.nudge(1, -1) == 1
    dropout = Control("dropout", "float", Text("d", "d"), min=0.0, max=0.9, step=0.1)
    assert dropout.nudge(0.2, +1) == 0.3
    assert dropout.nudge(0.85, +1) == 0.9
    log_default = Control("lr", "float", Text("lr", "lr"), log=True)
    assert log_default.nudge(1.0, +1) == 2.0  # a factor of 2 when step is unset


def test_nudge_choice_cycles_and_bool_flips():
    act = Control("activation", "choice", Text("a", "a"), choices=("sigmoid", "tanh", "relu"))
    assert act.nudge("sigmoid", +1) == "tanh"
    assert act.nudge("relu", +1) == "sigmoid"
    assert act.nudge("sigmoid", -1) == "relu"
    assert act.nudge("gelu", +1) == "tanh"  # an unknown value counts as the first
    flag = Control("flag", "bool", Text("f", "f"))
    assert flag.nudge(True, +1) is False and flag.nudge(False, -1) is True


def test_layout_rows_put_widgets_side_by_side(tmp_path):
    text = VALID.replace('layout = ["loss", "accuracy", "digits"]', 'layout = [["loss", "accuracy"], "digits"]')
    lesson = load_lesson(write(tmp_path, text))
    assert lesson.rows == (("loss", "accuracy"), ("digits",))
    assert lesson.layout == ("loss", "accuracy", "digits")


def test_a_bad_name_inside_a_layout_row_is_located(tmp_path):
    text = VALID.replace('layout = ["loss", "accuracy", "digits"]', 'layout = [["loss", "acuracy"], "digits"]')
    with pytest.raises(LessonError) as error:
        load_lesson(write(tmp_path, text))
    assert str(error.value).endswith(
        ":6: layout[0][1]: 'acuracy' is not a visual of mnist-mlp (offers: loss, accuracy, digits)"
    )


def test_every_widget_an_experiment_offers_has_a_panel():
    from nntui.visuals import VISUALS

    for spec in catalog.EXPERIMENTS.values():
        assert set(spec.visuals) <= set(VISUALS), spec.name


# --------------------------------------------------------------------------- text parameters

TEXT_LESSON = """\
+++
id = "beams"
chapter = "generation"
order = 1
experiment = "decoding"
title = { en = "Beams", zh = "束搜索" }
summary = { en = "Greedy or beam.", zh = "贪心还是束搜索。" }

[params]
prompt = "ma"

[controls.prompt]
label = { en = "prompt", zh = "提示" }
apply = "live"

[[steps]]
id = "try"
set = { prompt = "wi" }
+++
## en: Beams {#intro}

## zh: 束搜索 {#intro}

## en: Try {#try}

## zh: 试试 {#try}
"""
#  9 [params]  10 prompt  12 [controls.prompt]  13 label  14 apply  16 [[steps]]  17 id  18 set


def test_a_text_control_loads_with_its_length_and_characters(here):
    lesson = load_lesson(write(here, TEXT_LESSON, "beams"))
    assert lesson.params["prompt"] == "ma" and lesson.steps[0].set == {"prompt": "wi"}
    (prompt,) = lesson.controls
    declared = catalog.DECODING.params["prompt"]
    assert prompt == Control(
        param="prompt", type="text", label=Text("prompt", "提示"),
        max=declared.max, choices="abcdefghijklmnopqrstuvwxyz", apply="live",
    )
    assert prompt.nudge("ma", +1) == "ma"  # typed, not nudged


@pytest.mark.parametrize(
    "old, new, expected",
    [
        pytest.param('prompt = "ma"', "prompt = 3", "10: params.prompt: expected text, got 3", id="not text"),
        pytest.param('{ prompt = "wi" }', '{ prompt = "Wi" }',
                     "18: steps[0].set.prompt: 'W' is not allowed (allowed: a-z)", id="bad character"),
        pytest.param('apply = "live"', 'apply = "live"\nmax = 4',
                     "15: controls.prompt.max: only for int and float parameters; prompt is text",
                     id="a range on text"),
    ],
)
def test_a_bad_text_value_is_located(here, old, new, expected):
    assert old in TEXT_LESSON
    assert error_of(TEXT_LESSON.replace(old, new, 1), "beams") == f"lessons/beams.md:{expected}"


def test_a_file_that_is_not_utf8_is_reported_at_its_line(here):
    path = write(Path("."), VALID)
    data = path.read_bytes().replace("学得更快".encode("utf-8"), "学得更快".encode("gbk"), 1)
    path.write_bytes(data)
    line = data[: data.index("学得更快".encode("gbk"))].count(b"\n") + 1
    with pytest.raises(LessonError) as info:
        load_lesson(path)
    assert str(info.value).startswith(f"{L}:{line}: not UTF-8 text (byte 0x")


def test_a_huge_or_deeply_nested_lesson_is_refused_with_a_message(here):
    huge = VALID + "\n" + "x" * (600 * 1024)
    assert error_of(huge) == f"{L}: {len(huge.encode()):,} bytes; a lesson may be at most {512 * 1024:,}"
    nested = VALID.replace("order = 2", "order = 2\ndeep = " + "[" * 3000 + "]" * 3000)
    assert error_of(nested) == f"{L}:1: front matter: nested too deep (a lesson needs a few levels)"


def test_broken_lessons_never_take_the_curriculum_down(here):
    write(Path("."), VALID)
    (Path("lessons") / "bytes.md").write_bytes(b"+++\nid = \"bytes\"\n\xff\xfe\n+++\n")
    curriculum = load_curriculum(Path("lessons"))
    broken = curriculum.find("bytes")
    assert broken.broken and broken.error.startswith("lessons/bytes.md:3: not UTF-8 text")
    assert not curriculum.find("ladder").broken

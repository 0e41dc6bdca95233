"""Load lessons and chapters (format: lessons/README.md): the curriculum's entry points.

One lesson is read by `LessonReader`, which stops at the first mistake with a
`LessonError` located in the file. The whole curriculum never stops: a lesson
that fails becomes a `BrokenLesson` that the browser shows with its error.

Never imports torch or textual, so `nntui list` and the lesson browser start
fast: experiments are checked against the torch-free `nntui.spec.catalog`.
"""

from __future__ import annotations

import tomllib
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Iterable, Protocol

from nntui.curriculum.checks import parse_check
from nntui.curriculum.frontmatter import fence_lines, file_lines, toml_error_at
from nntui.curriculum.hints import unknown_key
from nntui.curriculum.locate import FieldLocator
from nntui.curriculum.model import BrokenLesson, Chapter, Curriculum, Lesson, LessonError, Text
from nntui.curriculum.reader import LessonReader

__all__ = [
    "load_lesson",
    "load_chapters",
    "load_curriculum",
    "parse_check",  # re-exported: callers import it from here
    "shipped_lessons",
]

CHAPTER_KEYS = ("id", "en", "zh")
SHIPPED_SHOWN = Path("lessons")  # how messages name the shipped lessons directory
# The longest shipped lesson is about 40 KB; a 30 MB one once froze the UI for a minute.
MAX_LESSON_BYTES = 512 * 1024


class _Resource(Protocol):
    """What we need of a file: a pathlib.Path or an importlib.resources Traversable."""

    name: str

    def read_text(self, encoding: str = ...) -> str: ...

    def read_bytes(self) -> bytes: ...


def shipped_lessons():
    """The lessons directory shipped as the package `nntui.lessons` (a Traversable)."""
    return files("nntui.lessons")


def load_lesson(path: Path | str, *, chapters: Iterable[Chapter] | None = None,
                shown: Path | str | None = None) -> Lesson:
    """Read and validate one lesson file; raise LessonError at the first mistake.

    `chapters` defaults to the chapters.toml beside the file, else the shipped one.
    `shown` is the path used in messages (default: `path` as given).
    """
    path = Path(path)
    shown = Path(shown or path)
    if chapters is None:
        chapters = _chapters_in(path.parent, shown_dir=path.parent)
    try:
        return LessonReader(read_lesson_text(path, shown), shown, path, chapters).lesson()
    except LessonError:
        raise
    except Exception as exc:  # noqa: BLE001 - callers handle one error type, located in the file
        raise LessonError(shown, None, "", f"{type(exc).__name__}: {exc}") from None


def read_lesson_text(entry: Path | _Resource, shown: Path) -> str:
    """A lesson file's text; LessonError (with the line) when it is too long or not UTF-8."""
    try:
        data = entry.read_bytes()
    except OSError as exc:
        raise LessonError(shown, None, "", f"cannot read it: {exc.strerror or exc}") from None
    if len(data) > MAX_LESSON_BYTES:
        raise LessonError(shown, None, "", f"{len(data):,} bytes; a lesson may be at most {MAX_LESSON_BYTES:,}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LessonError(shown, line, "", f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8") from None


def load_chapters(path: Path | str | _Resource, *, shown: Path | str | None = None) -> tuple[Chapter, ...]:
    """Read chapters.toml: `[[chapter]]` entries with id, en and zh, in file order."""
    shown = Path(shown or str(path))
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, message = toml_error_at(exc)
        raise LessonError(shown, line, "", f"invalid TOML: {message}") from None
    locator = FieldLocator(text)

    def fail(field: str, message: str) -> LessonError:
        return LessonError(shown, locator.line(field) or 1, field, message)

    for key in data:
        if key != "chapter":
            raise fail(key, unknown_key(key, ("chapter",)))
    entries = data.get("chapter")
    if not isinstance(entries, list) or not entries:
        raise fail("chapter", "expected at least one [[chapter]] entry")
    chapters = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        base = f"chapter[{index}]"
        if not isinstance(entry, dict):
            raise fail(base, "expected a table")
        for key in entry:
            if key not in CHAPTER_KEYS:
                raise fail(f"{base}.{key}", unknown_key(key, CHAPTER_KEYS))
        for key in CHAPTER_KEYS:
            value = entry.get(key)
            if key not in entry:
                raise fail(f"{base}.{key}", "required but missing")
            if not isinstance(value, str) or not value.strip():
                raise fail(f"{base}.{key}", f"expected a non-empty string, got {value!r}")
        if entry["id"] in seen:
            raise fail(f"{base}.id", f"duplicate chapter id {entry['id']!r} (also chapter[{seen[entry['id']]}])")
        seen[entry["id"]] = index
        chapters.append(Chapter(entry["id"], index, Text(entry["en"].strip(), entry["zh"].strip())))
    return tuple(chapters)


def load_curriculum(directory: Path | str | None = None) -> Curriculum:
    """Every lesson in `directory` (default: the shipped lessons), broken ones included.

    Every `*.md` except README.md is a lesson; one that fails validation becomes a
    BrokenLesson carrying the message. Chapters come from the directory's
    chapters.toml, or the shipped one if it has none (a broken chapters.toml raises).
    """
    if directory is None:
        root = shipped_lessons()
        shown_dir = SHIPPED_SHOWN
    else:
        root = Path(directory)
        shown_dir = root
    chapters = _chapters_in(root, shown_dir)

    lessons: list[Lesson | BrokenLesson] = []
    for entry in root.iterdir():
        name = entry.name
        if not name.endswith(".md") or name == "README.md" or not entry.is_file():
            continue
        path = Path(str(entry))
        shown = shown_dir / name
        try:
            lessons.append(LessonReader(read_lesson_text(entry, shown), shown, path, chapters).lesson())
        except LessonError as exc:
            lessons.append(_broken(path, shown, str(exc), entry, chapters))
        except Exception as exc:  # noqa: BLE001 - a lesson must never take the app down
            lessons.append(_broken(path, shown, f"{shown}: {type(exc).__name__}: {exc}", entry, chapters))

    rank = {chapter.id: chapter.order for chapter in chapters}
    lessons.sort(key=lambda lesson: (rank.get(lesson.chapter, len(rank)), lesson.order, lesson.id))
    return Curriculum(chapters, tuple(lessons))


def _chapters_in(root: Path | Traversable, shown_dir: Path) -> tuple[Chapter, ...]:
    """The chapters.toml in `root` (a Path or Traversable), else the shipped one.

    A lesson directory of one's own may borrow the shipped chapters rather than
    copy them; its lessons must then name shipped chapter ids.
    """
    own = root / "chapters.toml"
    if own.is_file():
        return load_chapters(own, shown=shown_dir / "chapters.toml")
    return load_chapters(shipped_lessons() / "chapters.toml", shown=SHIPPED_SHOWN / "chapters.toml")


def _broken(path: Path, shown: Path, error: str, entry: Any, chapters: tuple[Chapter, ...]) -> BrokenLesson:
    """A BrokenLesson, filed under its chapter and order when those can still be read."""
    chapter, order = "", 10**6  # unreadable: last, in no chapter
    try:
        lines = file_lines(read_lesson_text(entry, shown))
        start, end = fence_lines(lines)
        if end is not None:
            data = tomllib.loads("\n".join(lines[start + 1:end]))
            if data.get("chapter") in {c.id for c in chapters}:
                chapter = data["chapter"]
            if isinstance(data.get("order"), int) and not isinstance(data["order"], bool):
                order = data["order"]
    except Exception:  # noqa: BLE001 - best effort only
        pass
    return BrokenLesson(id=path.stem, path=path, error=error, chapter=chapter, order=order)

"""The curriculum: lessons as validated data (format: lessons/README.md).

Torch- and Textual-free, so the lesson browser and `nntui list` load fast.
"""

from nntui.curriculum.loader import (
    load_chapters,
    load_curriculum,
    load_lesson,
    parse_check,
    shipped_lessons,
)
from nntui.curriculum.model import (
    LANGUAGES,
    BrokenLesson,
    Chapter,
    Check,
    Clause,
    Control,
    Curriculum,
    Lesson,
    LessonError,
    Step,
    Text,
)

__all__ = [
    "LANGUAGES",
    "BrokenLesson",
    "Chapter",
    "Check",
    "Clause",
    "Control",
    "Curriculum",
    "Lesson",
    "LessonError",
    "Step",
    "Text",
    "load_chapters",
    "load_curriculum",
    "load_lesson",
    "parse_check",
    "shipped_lessons",
]

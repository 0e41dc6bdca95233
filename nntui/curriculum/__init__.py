"""The curriculum: lessons as validated data (format: lessons/README.md).

Torch- and Textual-free, so the lesson browser and `nntui list` load fast.
The modules, in reading order: `model` (the data), `loader` (the entry points),
`reader` (one lesson's fields), `sections` (its Markdown pages), `checks`
(a step's `check`), `frontmatter`, `locate` (field path -> line) and `hints`.
"""

# The package's public face, for `from nntui.curriculum import ...`; each name
# is defined (and documented) in the module it comes from.
from nntui.curriculum.loader import load_chapters, load_curriculum, load_lesson, parse_check, shipped_lessons
from nntui.curriculum.model import (
    LANGUAGES, BrokenLesson, Chapter, Check, Clause, Control, Curriculum, Lesson, LessonError, Step, Text,
)

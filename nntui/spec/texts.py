"""Texts that the text lessons train on: the shipped Shakespeare, or a learner's own file.

Torch-free and Textual-free: the CLI checks a `--text FILE` here before anything starts, and
the lab reads the same text. Every error names the file and says what is wrong with it.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import numpy as np

MIN_TEXT_CHARS = 2_000  # less is too little to learn a vocabulary or embeddings from
MAX_TEXT_BYTES = 8 * 2**20  # a book is about 1 MB; more would only slow every lesson down


class TextFileError(ValueError):
    """A text file a lesson cannot use; the message starts with its path."""


@functools.cache
def shakespeare() -> dict[str, str]:
    """The shipped works by name (hamlet, macbeth, ..., sonnets), from nntui/data/shakespeare.npz."""
    with resources.files("nntui.data").joinpath("shakespeare.npz").open("rb") as f, np.load(f) as works:
        return {name: works[name].tobytes().decode("ascii") for name in sorted(works.files)}


def read_text_file(path: str | Path, min_chars: int = MIN_TEXT_CHARS) -> str:
    """The text of a learner's UTF-8 file, with "\\r\\n" line ends made "\\n"."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise TextFileError(f"{path}: not a file")
        if size > MAX_TEXT_BYTES:
            raise TextFileError(f"{path}: {size:,} bytes; a text of at most {MAX_TEXT_BYTES:,} bytes, please")
        data = path.read_bytes()
    except FileNotFoundError:
        raise TextFileError(f"{path}: no such file") from None
    except PermissionError:
        raise TextFileError(f"{path}: not readable (permission denied)") from None
    except IsADirectoryError:
        raise TextFileError(f"{path}: a folder, not a text file") from None
    nul = data.find(b"\0")
    if nul >= 0:
        raise TextFileError(f"{path}: binary data (a NUL byte at offset {nul:,}), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TextFileError(f"{path}: not UTF-8 (byte {exc.start:,} cannot be decoded)") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text.strip()) < min_chars:
        raise TextFileError(f"{path}: {len(text.strip()):,} characters; at least {min_chars:,} are needed")
    return text

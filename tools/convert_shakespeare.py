"""Convert ../shared/data/shakespeare/*.txt into nntui/data/shakespeare.npz (run once, by hand).

    python tools/convert_shakespeare.py ../shared/data/shakespeare nntui/data/shakespeare.npz

One array per work, named by its file (e.g. "macbeth"): the text's UTF-8 bytes (uint8),
copied unchanged (the sources are plain ASCII with "\\n" line ends). Compressed, all nine
works take about 450 KB.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np


def main(source: str, target: str) -> None:
    works = {path.stem: np.frombuffer(path.read_bytes(), dtype=np.uint8) for path in sorted(Path(source).glob("*.txt"))}
    if not works:
        sys.exit(f"{source}: no .txt files")
    np.savez_compressed(target, **works)
    print(f"{target}: {len(works)} works, {sum(len(w) for w in works.values()):,} characters")


if __name__ == "__main__":
    main(*sys.argv[1:3])

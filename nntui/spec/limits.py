"""What the command line and the trainer accept: threads, seeds, devices, output files.

Shared by nntui/cli.py, nntui/serve/cli.py, the trainer and the lab; torch-free, so `nntui
--help` loads it. Whether a named device exists needs torch: that is `lab.base.resolve_device`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# Torch starts this many OpenMP threads at once: 100,000 of them crash the process (a segfault,
# not an error), and more threads than cores only slow small models down.
MAX_THREADS = max(64, os.cpu_count() or 1)
MAX_SEED = 2**32 - 1  # numpy's generators take seeds below 2**32
DEVICE = re.compile(r"cpu|cuda(?::(\d{1,4}))?")


class DeviceError(ValueError):
    """A device this machine does not have; its message is the whole sentence to show."""


def check_device_name(name: str, flag: str = "--device") -> str:
    """cpu, cuda or cuda:N; anything else is a DeviceError naming the flag. Checks no hardware."""
    if DEVICE.fullmatch(name) is None:
        raise DeviceError(f"{flag}: expected cpu, cuda or cuda:N (N a device number), got {name!r}")
    return name


def check_out(path: Path, flag: str = "--out") -> Path:
    """A file we can write: checked before torch loads, so a typo costs milliseconds, not a
    run's worth of seconds and a traceback. Raises ValueError naming the flag and the path."""
    if path.is_dir():
        raise ValueError(f"{flag} {path}: is a folder; expected a file name in it")
    if not path.parent.is_dir():
        raise ValueError(f"{flag} {path}: no folder {path.parent} (create it first)")
    existed = path.exists()
    try:
        with path.open("a"):  # the only honest test: permissions, read-only disks, root's rights
            pass
    except OSError as exc:
        raise ValueError(f"{flag} {path}: cannot write here ({exc.strerror or exc})") from None
    if not existed:
        path.unlink(missing_ok=True)  # nothing left behind if a later check fails
    return path

"""What the command line accepts, shared by nntui/cli.py, nntui/serve/cli.py and the trainer.

Torch-free (only `device_exists` imports it, when asked): `nntui --help` loads this module.
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


def device_exists(name: str, flag: str = "--device") -> str:
    """`name`, if this machine has that device; else a DeviceError that reads as a sentence."""
    check_device_name(name, flag)
    if name == "cpu":
        return name
    import torch

    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count == 0:
        raise DeviceError(f"{flag} {name}: no CUDA device is available here; use --device cpu")
    index = DEVICE.fullmatch(name)[1]
    if index is not None and int(index) >= count:
        have = "cuda:0 is the only one" if count == 1 else f"there are cuda:0 to cuda:{count - 1}"
        raise DeviceError(f"{flag} {name}: no such CUDA device here ({have})")
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

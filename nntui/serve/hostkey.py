"""The server's SSH host key: made on first start, then kept, so students' known_hosts stay valid."""

from __future__ import annotations

import os
from pathlib import Path

from nntui.progress import data_dir

HOST_KEY_NAME = "ssh_host_ed25519_key"


class HostKeyError(OSError):
    pass


def host_key_path() -> Path:
    return data_dir() / HOST_KEY_NAME


def load_or_create_host_key(path: Path | None = None):
    """Return (key, path, created). The file is written 0600, and never overwritten."""
    import asyncssh

    path = path or host_key_path()
    try:
        return asyncssh.read_private_key(str(path)), path, False
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        # Making a new key would silently change the fingerprint every student has trusted.
        raise HostKeyError(f"cannot read the host key {path}: {exc}; move it away to make a new one") from None
    key = asyncssh.generate_private_key("ssh-ed25519")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two servers starting at once must not both write; 0600 from the first byte.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_or_create_host_key(path)
    except OSError as exc:
        raise HostKeyError(f"cannot write the host key {path}: {exc} (set NNTUI_HOME to a writable folder)") from None
    with os.fdopen(fd, "wb") as out:
        out.write(key.export_private_key())
    return key, path, True


def fingerprint(key) -> str:
    return key.get_fingerprint("sha256")

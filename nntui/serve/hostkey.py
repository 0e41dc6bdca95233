"""The server's SSH host key: made on first start, then kept, so students' known_hosts stay valid.

An existing key is checked before it is used, as sshd does: a regular file, readable, open to
no one else (anyone who can read it can pose as this server to every student). Each problem is
a HostKeyError saying what to do; none makes a new key in its place, as that would change the
fingerprint every student has trusted.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from nntui.progress import data_dir

HOST_KEY_NAME = "ssh_host_ed25519_key"
MAX_KEY_BYTES = 64 * 1024  # an OpenSSH private key is a few KB


class HostKeyError(OSError):
    pass


def host_key_path() -> Path:
    return data_dir() / HOST_KEY_NAME


def _read_key_file(path: Path) -> bytes:
    """The key file's bytes, or FileNotFoundError when nothing is there, or HostKeyError."""
    try:
        # O_NONBLOCK: a FIFO put in the key's place must not hang the server's start.
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise
    except PermissionError:
        raise HostKeyError(
            f"cannot read the host key {path}: permission denied; it must be readable by the user "
            "running the server (check `ls -l` of the file and of its folders)"
        ) from None
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:
            raise HostKeyError(f"cannot read the host key {path}: a part of that path is a file, not a folder") from None
        raise HostKeyError(f"cannot read the host key {path}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise HostKeyError(f"the host key {path} is not a regular file; move it away to make a new key")
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            raise HostKeyError(
                f"the host key {path} is open to other users (mode {mode:04o}): anyone who can read it can "
                f"pose as this server; run `chmod 600 {path}` (and, if others may have read it, move it "
                "away so that a new key is made, and tell your students the new fingerprint)"
            )
        if info.st_size > MAX_KEY_BYTES:
            raise HostKeyError(f"the host key {path} is {info.st_size} bytes, not a key; move it away to make a new one")
        return os.read(fd, MAX_KEY_BYTES + 1)
    finally:
        os.close(fd)


def _dangling_link(path: Path) -> str | None:
    """Where a symbolic link at `path` points, when that target does not exist."""
    try:
        return os.readlink(path) if path.is_symlink() else None
    except OSError:
        return None


def load_or_create_host_key(path: Path | None = None):
    """Return (key, path, created). A new key is written 0600, and no existing file is ever overwritten."""
    import asyncssh

    path = path or host_key_path()
    for _ in range(2):  # again only if another server wrote the key between our look and our write
        try:
            data = _read_key_file(path)
        except FileNotFoundError:
            pass
        else:
            try:
                return asyncssh.import_private_key(data), path, False
            except (ValueError, asyncssh.KeyImportError) as exc:
                raise HostKeyError(
                    f"cannot use the host key {path}: {exc}; move it away to make a new one"
                ) from None
        target = _dangling_link(path)
        if target is not None:
            raise HostKeyError(
                f"the host key {path} is a symbolic link to {target}, which does not exist; "
                "restore the key there, or remove the link to make a new key"
            )
        key = asyncssh.generate_private_key("ssh-ed25519")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL: two servers starting at once must not both write; 0600 from the first byte.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            continue
        except OSError as exc:
            raise HostKeyError(
                f"cannot write the host key {path}: {exc.strerror or exc} (set NNTUI_HOME to a writable folder)"
            ) from None
        with os.fdopen(fd, "wb") as out:
            out.write(key.export_private_key())
        return key, path, True
    raise HostKeyError(f"cannot read or make the host key {path}: it keeps appearing and vanishing")


def fingerprint(key) -> str:
    return key.get_fingerprint("sha256")

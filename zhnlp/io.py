"""Reading text corpora line by line with clear errors, and writing outputs atomically.

Lines end at LF, CRLF or CR (old Mac files); a UTF-8 BOM is dropped. Bad input (a
decoding error, NUL bytes, an over-long line, an empty file) raises :class:`InputError`
naming the file and line. Outputs go to a temporary file in the target folder and are
renamed into place only when complete, so a failed or interrupted run never leaves a
half-written file or clobbers an existing one.
"""
from __future__ import annotations

import codecs
import contextlib
import errno
import os
import re
import stat
import sys
import tempfile
from pathlib import Path
from typing import IO, Iterator

from .errors import InputError, OutputError

#: Default longest accepted line, in characters (a guard against binary or unsplit input).
MAX_LINE_CHARS = 100_000
_CHUNK = 1 << 20


def check_encoding(encoding: str, path: str | Path = "-") -> str:
    """Canonical codec name; only ASCII-compatible encodings can be split into lines as bytes."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(input_name(path), f"unknown encoding {encoding!r} (--encoding)") from None
    if name.startswith(("utf-16", "utf-32")):
        raise InputError(input_name(path), f"encoding {encoding} is not supported for corpora; "
                                           "convert to UTF-8") from None
    return name


def input_name(path: str | Path) -> str:
    return "<stdin>" if str(path) == "-" else str(path)


def open_binary(path: str | Path) -> IO[bytes]:
    """Open an input for reading bytes ('-' is stdin); a missing file or a folder is an InputError."""
    if str(path) == "-":
        return sys.stdin.buffer
    p = Path(path)
    if p.is_dir():
        raise InputError(p, "is a directory, not a text file")
    try:
        return open(p, "rb")
    except FileNotFoundError:
        raise InputError(p, "no such file") from None
    except OSError as exc:
        raise InputError(p, f"cannot read: {exc.strerror}") from None


def read_lines(path: str | Path, encoding: str = "utf-8", *, max_line_chars: int = MAX_LINE_CHARS,
               allow_empty: bool = False, progress=None,
               byte_range: tuple[int, int] | None = None) -> Iterator[str]:
    """Yield the decoded lines of a file (or stdin for '-') without their line endings.

    Streams in 1 MiB chunks: memory stays flat whatever the file size. ``progress`` is
    called with the number of bytes consumed after each chunk. ``byte_range=(start, end)``
    reads only those bytes (a block from :func:`line_blocks`; line numbers in errors then
    count from the block's start).
    """
    name = input_name(path)
    enc = check_encoding(encoding, path)
    decode = codecs.getdecoder(enc)
    max_bytes = max_line_chars * 4 + 4
    f = open_binary(path)
    lineno = 0
    seen_any = byte_range is not None and byte_range[0] > 0  # a later block: no BOM, never "empty"
    pending = b""
    left = None
    if byte_range is not None:
        f.seek(byte_range[0])
        left = byte_range[1] - byte_range[0]
        allow_empty = True
    try:
        while True:
            chunk = f.read(_CHUNK if left is None else min(_CHUNK, left))
            if left is not None:
                left -= len(chunk)
            if progress is not None and chunk:
                progress(len(chunk))
            if not chunk:
                break
            if not seen_any:
                seen_any = True
                if enc == "utf-8" and chunk.startswith(codecs.BOM_UTF8):
                    chunk = chunk[3:]
            data = pending + chunk if pending else chunk
            parts = data.splitlines(keepends=True)
            last = parts[-1] if parts else b""
            # The last part may continue in the next chunk (no ending yet, or a CR before LF).
            if last and (last[-1:] not in (b"\n", b"\r") or last.endswith(b"\r")):
                pending = parts.pop()
            else:
                pending = b""
            for raw in parts:
                lineno += 1
                yield _decode_line(raw.rstrip(b"\r\n"), decode, enc, name, lineno, max_line_chars)
            if len(pending) > max_bytes:
                raise InputError(name, f"line longer than {max_line_chars} characters "
                                       "(raise the limit with --max-line-length)", lineno + 1)
        if pending:
            lineno += 1
            yield _decode_line(pending.rstrip(b"\r\n"), decode, enc, name, lineno, max_line_chars)
        if not seen_any and not allow_empty and name != "<stdin>":
            raise InputError(name, "empty file (pass --allow-empty to accept it)")
    finally:
        if f is not sys.stdin.buffer:
            f.close()


def line_blocks(path: str | Path, block_size: int) -> list[tuple[int, int]]:
    """Byte ranges of about ``block_size`` bytes that cover the file and start at line starts.

    Each boundary sits just after a LF byte, which ends a line under LF and CRLF endings
    and in every encoding :func:`read_lines` accepts (in GBK/GB18030 too, 0x0A is never
    part of a character). A file with no LF (CR endings) is one block.
    """
    if block_size < 1:
        raise ValueError(f"block size must be at least 1 byte, not {block_size}")
    size = Path(path).stat().st_size
    bounds = [0]
    with open(path, "rb") as f:
        while bounds[-1] + block_size < size:
            f.seek(bounds[-1] + block_size - 1)
            pos = f.tell()
            while True:
                piece = f.read(1 << 16)
                if not piece:
                    pos = size
                    break
                i = piece.find(b"\n")
                if i >= 0:
                    pos += i + 1
                    break
                pos += len(piece)
            bounds.append(pos)
    if bounds[-1] < size:
        bounds.append(size)
    return list(zip(bounds[:-1], bounds[1:]))


def _decode_line(raw: bytes, decode, enc: str, name: str, lineno: int, max_chars: int) -> str:
    if b"\x00" in raw:
        raise InputError(name, "binary data (NUL byte); not a text file", lineno)
    try:
        line = decode(raw)[0]
    except UnicodeDecodeError as exc:
        hint = "pass --encoding gb18030 if this is GBK/GB18030 text" if enc == "utf-8" \
            else "pass the file's real encoding with --encoding"
        raise InputError(name, f"not valid {enc} (byte {raw[exc.start]:#04x} at column "
                               f"{exc.start + 1}); {hint}", lineno) from None
    if len(line) > max_chars:
        raise InputError(name, f"line of {len(line)} characters is longer than {max_chars} "
                               "(raise the limit with --max-line-length)", lineno)
    return line


_STD_STREAMS = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
_FD_PATH = re.compile(r"^/(?:dev/fd|proc/(?:self|thread-self|\d+)/fd)/(\d+)$")


def open_fd_of(path: str | Path) -> int | None:
    """The open file descriptor that ``path`` names (``/dev/stdout``, ``/dev/fd/N``, as bash's
    process substitution ``>(...)`` gives, ``/proc/self/fd/N``), or None. Writing through a
    duplicate of it keeps the stream's position and append mode, as a shell redirection does."""
    text = os.path.abspath(str(path))
    if text in _STD_STREAMS:
        return _STD_STREAMS[text]
    m = _FD_PATH.match(text)
    if m and (not text.startswith("/proc/") or text.split("/")[2] in ("self", "thread-self", str(os.getpid()))):
        return int(m.group(1))
    return None


def is_stream_target(path: str | Path) -> bool:
    """Whether an output is written in place rather than through a temporary file and a rename:
    an open file descriptor's name, a device (``/dev/null``), a named pipe or a socket.
    Renaming over those would replace the device or pipe with a regular file."""
    if open_fd_of(path) is not None:
        return True
    try:
        mode = os.stat(path).st_mode  # follows symlinks: a link to a pipe is a pipe
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def final_target(path: str | Path) -> Path:
    """The file a regular output really replaces: a symlink's target (the link stays a link)."""
    p = Path(path)
    return Path(os.path.realpath(p)) if p.is_symlink() else p


def check_output_path(path: str | Path, inputs: list[str] | tuple[str, ...] = ()) -> Path:
    """Fail early if ``path`` cannot be written or is one of the inputs; returns ``path``."""
    p = Path(path)
    if is_stream_target(p):
        fd = open_fd_of(p)
        if fd is not None and not _fd_open(fd):
            raise OutputError(f"{p}: file descriptor {fd} is not open")
        if fd is None and not os.access(p, os.W_OK):
            raise OutputError(f"{p}: permission denied")
        return p
    target = final_target(p)
    if target.is_dir():
        raise OutputError(f"{p}: is a directory; use --output-dir for one output per input")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{p}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise OutputError(f"{p}: permission denied")
    for i in inputs:
        if i != "-" and Path(i).exists() and target.exists() and os.path.samefile(i, target):
            raise OutputError(f"{p}: output would overwrite its own input")
    return p


def _fd_open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _anonymous_file(folder: Path) -> int | None:
    """An unnamed file in ``folder`` (Linux ``O_TMPFILE``), or None where that is unsupported.

    It has no name until :func:`_publish` links it in, so even a run killed with SIGKILL (which
    no clean-up code survives) leaves nothing behind in the output folder.
    """
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(folder, flag | os.O_RDWR, 0o666)
    except OSError:  # a file system without O_TMPFILE (EOPNOTSUPP), or an old kernel (EISDIR)
        return None


def _publish(fd: int, target: Path) -> None:
    """Give the unnamed file ``fd`` the name ``target`` (replacing any file there)."""
    name = target.parent / f".{target.name}.{os.getpid()}.{id(target):x}.part"
    # linkat(AT_SYMLINK_FOLLOW) on /proc/self/fd/N: CPython calls linkat (not link, which would
    # link the /proc symlink itself) only when a dir fd is given.
    folder = os.open(target.parent if str(target.parent) else ".", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.link(f"/proc/self/fd/{fd}", name.name, dst_dir_fd=folder, follow_symlinks=True)
    finally:
        os.close(folder)
    try:
        os.replace(name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def _set_mode(fd: int, target: Path) -> None:
    """An existing target's permissions, or the usual ones for a new file (0666 less umask)."""
    with contextlib.suppress(OSError):
        if target.exists():
            os.fchmod(fd, target.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(fd, 0o666 & ~umask)


@contextlib.contextmanager
def atomic_output(path: str | Path, encoding: str = "utf-8", binary: bool = False) -> Iterator[IO]:
    """A text (or ``binary``) file that appears at ``path`` only if the block completes without error.

    On Linux the data goes to an unnamed file in the target folder (``O_TMPFILE``), linked in
    and renamed over the target when complete: an interrupted or killed run leaves no trace.
    Elsewhere a hidden ``.NAME.*.part`` file is used, removed again on any error. A symlink
    is written through: its target is replaced, the link stays. Devices, pipes and open file
    descriptors (``/dev/stdout``, ``>(...)``) are written directly (:func:`is_stream_target`).
    """
    if is_stream_target(path):
        with _direct_output(Path(path), encoding, binary) as f:
            yield f
        return
    p = final_target(path)
    folder = p.parent if str(p.parent) else Path(".")
    fd = _anonymous_file(folder)
    tmp = None
    if fd is None:
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{p.name}.", suffix=".part")
        except OSError as exc:
            raise OutputError(f"{p}: cannot write: {exc.strerror}") from None
    f = _fdopen(fd, encoding, binary)
    try:
        with f:
            yield f
            f.flush()
            _set_mode(fd, p)
            if tmp is None:
                _publish(fd, p)
        if tmp is not None:
            os.replace(tmp, p)
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise


def _fdopen(fd: int, encoding: str, binary: bool) -> IO:
    """A file object over ``fd``: bytes, or text with LF line endings."""
    return os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding=encoding, newline="\n")


_WRITE_ERRORS = {errno.ENOSPC, errno.EIO, errno.EFBIG, errno.EDQUOT, errno.EROFS, errno.EBADF, errno.EINVAL}


@contextlib.contextmanager
def _direct_output(p: Path, encoding: str, binary: bool) -> Iterator[IO]:
    """Write to a device, pipe or open descriptor in place; a failed write is an OutputError."""
    own = open_fd_of(p)
    try:
        fd = os.dup(own) if own is not None else os.open(p, os.O_WRONLY)
    except OSError as exc:
        raise OutputError(f"{p}: cannot write: {exc.strerror}") from None
    f = _fdopen(fd, encoding, binary)
    try:
        with f:
            yield f
    except OSError as exc:
        if exc.errno not in _WRITE_ERRORS:
            raise
        raise OutputError(f"{p}: cannot write: {exc.strerror or exc}") from None


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A path for a writer that takes a file name (gensim), renamed to ``path`` only if the
    block completes; devices and pipes are handed over as they are (see :func:`atomic_output`)."""
    if is_stream_target(path):
        yield Path(path)
        return
    target = final_target(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".",
                                   prefix=f".{target.name}.", suffix=".part")
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror}") from None
    os.close(fd)
    try:
        yield Path(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            _set_mode(fd, target)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise

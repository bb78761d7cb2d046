"""Reading corpora line by line with errors that name file and line, and writing outputs atomically."""
from __future__ import annotations

import codecs
import contextlib
import errno
import itertools
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import InputError, OutputError

#: Default longest accepted line, in characters (a guard against binary or unsplit input).
MAX_LINE_CHARS = 100_000
_CHUNK = 1 << 20
#: Codecs without state or BOM across lines: a chunk of lines decodes at once as each line does alone.
_STATELESS = frozenset({"utf-8", "gb18030", "gbk", "gb2312", "big5", "ascii", "iso8859-1"})


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
    """How messages name an input ('-' is stdin)."""
    return "<stdin>" if str(path) == "-" else str(path)


def open_binary(path: str | Path, kind: str | None = None) -> IO[bytes]:
    """Open an input for reading bytes ('-' is stdin unless ``kind`` names a file kind, as ``dictionary``);
    a missing file or a folder is an InputError."""
    if str(path) == "-" and kind is None:
        return sys.stdin.buffer
    p = Path(path)
    if p.is_dir():
        raise InputError(p, f"is a directory, not a {kind or 'text'} file")
    try:
        return open(p, "rb")
    except FileNotFoundError:
        raise InputError(p, f"no such {kind + ' ' if kind else ''}file") from None
    except OSError as exc:
        raise InputError(p, f"cannot read: {exc.strerror}") from None


def read_lines(path: str | Path, encoding: str = "utf-8", *, max_line_chars: int = MAX_LINE_CHARS,
               allow_empty: bool = False, progress=None,
               byte_range: tuple[int, int] | None = None) -> Iterator[str]:
    """Yield a file's (or stdin's) lines without endings, in 1 MiB chunks; ``progress(bytes)`` after each chunk.
    ``byte_range=(start, end)`` reads one block of :func:`line_blocks` (error line numbers count from its start)."""
    name = input_name(path)
    enc = check_encoding(encoding, path)
    decode = codecs.getdecoder(enc)
    whole = enc in _STATELESS
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
            end = data.rfind(b"\n") + 1 if whole and b"\r" not in data else 0
            lines = _decode_block(data[:end], decode, max_line_chars) if end else None
            if lines is not None:  # the chunk's whole lines at once (errors and CR: line by line below)
                pending = data[end:]
                lineno += len(lines)
                yield from lines
            else:
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
    """Byte ranges of about ``block_size`` that cover the file, each starting after a LF (a line start)."""
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
    return list(itertools.pairwise(bounds))


def _decode_block(raw: bytes, decode, max_chars: int) -> list[str] | None:
    """The lines of ``raw`` (each ending in LF, no CR) decoded at once; None where one needs :func:`_decode_line`."""
    if b"\x00" in raw:
        return None
    try:
        lines = decode(raw)[0].split("\n")
    except UnicodeDecodeError:
        return None
    lines.pop()
    return lines if max(map(len, lines)) <= max_chars else None


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
    """The open descriptor ``path`` names (``/dev/stdout``, ``/dev/fd/N``), or None; its duplicate keeps append mode."""
    text = os.path.abspath(str(path))
    if text in _STD_STREAMS:
        return _STD_STREAMS[text]
    m = _FD_PATH.match(text)
    if m and (not text.startswith("/proc/") or text.split("/")[2] in ("self", "thread-self", str(os.getpid()))):
        return int(m.group(1))
    return None


def is_stream_target(path: str | Path) -> bool:
    """Whether an output is written in place (open descriptor, device, pipe, socket): a rename would replace it."""
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
    """An unnamed file in ``folder`` (Linux ``O_TMPFILE``, so even SIGKILL leaves nothing behind), or None."""
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
    # Only with a dir fd does CPython call linkat (following /proc/self/fd/N) rather than link the symlink itself.
    folder = os.open(target.parent if str(target.parent) else ".", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.link(f"/proc/self/fd/{fd}", name.name, dst_dir_fd=folder, follow_symlinks=True)
    finally:
        os.close(folder)
    with _removed_on_error(name):
        os.replace(name, target)


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
    """A text (or ``binary``) file that appears at ``path`` only if the block completes (devices written in place)."""
    if is_stream_target(path):
        with _direct_output(Path(path), encoding, binary) as f:
            yield f
        return
    p = final_target(path)
    fd = _anonymous_file(p.parent if str(p.parent) else Path("."))
    tmp = None
    if fd is None:
        fd, tmp = _part_file(p)
    with _removed_on_error(tmp):
        with _fdopen(fd, encoding, binary) as f:
            yield f
            f.flush()
            _set_mode(fd, p)
            if tmp is None:
                _publish(fd, p)
        if tmp is not None:
            os.replace(tmp, p)


def _part_file(target: Path) -> tuple[int, str]:
    """A hidden ``.NAME.*.part`` file beside ``target``, where O_TMPFILE is missing or a writer needs a name."""
    try:
        return tempfile.mkstemp(dir=target.parent if str(target.parent) else ".", prefix=f".{target.name}.",
                                suffix=".part")
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror}") from None


@contextlib.contextmanager
def _removed_on_error(path: str | Path | None) -> Iterator[None]:
    """Remove the temporary file ``path`` again if the block fails, so that no ``.part`` file is left."""
    try:
        yield
    except BaseException:
        if path is not None:
            with contextlib.suppress(OSError):
                os.unlink(path)
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
    """A temporary path for a writer that takes a file name (gensim), renamed to ``path`` if the block completes."""
    if is_stream_target(path):
        yield Path(path)
        return
    target = final_target(path)
    fd, tmp = _part_file(target)
    os.close(fd)
    with _removed_on_error(tmp):
        yield Path(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            _set_mode(fd, target)
        finally:
            os.close(fd)
        os.replace(tmp, target)

"""Accept a document as a path, as bytes, or as an open binary file, and read it safely."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

Source = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO


@contextmanager
def open_source(src: Source) -> Iterator[BinaryIO]:
    """Yield a seekable binary file positioned at the start of the document.

    Paths are opened (and closed afterwards); bytes are wrapped; an open file (a Django
    ``UploadedFile``, a ``FieldFile`` opened for reading) is rewound and left open.
    """
    if isinstance(src, bytes | bytearray | memoryview):
        yield io.BytesIO(bytes(src))
    elif isinstance(src, str | os.PathLike):
        with open(src, "rb") as fileobj:
            yield fileobj
    else:
        src.seek(0)
        yield src


def read_source(src: Source) -> bytes:
    """The whole document as bytes (for the parsers that want it in memory)."""
    if isinstance(src, bytes):
        return src
    with open_source(src) as fileobj:
        return fileobj.read()

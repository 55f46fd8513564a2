"""PDF plumbing under reportlab for big batches: images embedded without decoding, photo
bytes spooled out of memory, and the finished file written object by object.

reportlab keeps every object of a document in memory until ``save()``, then builds the
whole file as one more in-memory copy before writing it. With a distinct photo per badge a
1,000-badge batch is a ~100 MB PDF, so that would cost twice that in RAM. Here:

- photo JPEGs go to a spool (a temporary file once it passes a few MB), one copy per distinct
  photo, and are read back one at a time while the file is written;
- the document writes each object to the output as soon as it is formatted.

Memory then grows only with the pages' small content streams and the QR bitmaps. The only
reportlab internals touched are the image XObject's attributes and the document's
``format()`` loop, adapted from reportlab's own (BSD licence) and pinned by the tests.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import zlib
from collections.abc import Callable
from functools import lru_cache
from typing import BinaryIO

from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfutils import readJPEGInfo
from reportlab.pdfgen.canvas import Canvas

from .qr import qr_bitmap

__all__ = ["ImageStore", "new_canvas"]

SPOOL_IN_MEMORY = 8 * 1024 * 1024  # photos beyond this many bytes go to a temporary file


# --- a document that streams its output -----------------------------------------------------------


class _StreamingFile(pdfdoc.PDFFile):
    """reportlab's output collector, writing straight to the output instead of a list."""

    def __init__(self, sink: BinaryIO, pdf_version: tuple[int, int]) -> None:
        self.strings = []
        self.offset = 0
        self.write = sink.write
        self.add(
            pdfdoc.pdfdocEnc("%%PDF-%s.%s" % pdf_version)  # noqa: UP031 - reportlab's own format
            + b"\n%\223\214\213\236 ReportLab Generated PDF document (opensource)\n"
        )

    def format(self, document: pdfdoc.PDFDocument) -> bytes:
        return b""  # everything has been written already


class _StreamingDocument(pdfdoc.PDFDocument):
    """A PDFDocument whose ``format()`` writes each object to ``sink`` as soon as it is ready.

    The loop is reportlab 5.1's ``PDFDocument.format`` without the output list (and without
    digital signatures, which need the whole file, and debugging comments).
    """

    sink: BinaryIO

    def format(self) -> bytes:
        self.encrypt.prepare(self)
        catalog = self.Catalog
        info = self.info
        self.Reference(catalog)
        self.Reference(info)
        encrypt_info = self.encrypt.info()
        encrypt_ref = self.Reference(encrypt_info) if encrypt_info else None
        number_to_id = self.numberToId
        id_to_object = self.idToObject
        id_to_offset = self.idToOffset
        out = _StreamingFile(self.sink, self._pdfVersion)
        self.__accum__ = out
        ids = []
        counter = 0
        while True:  # objects may register more objects while they are formatted
            counter += 1
            if counter not in number_to_id:
                break
            oid = number_to_id[counter]
            formatted = pdfdoc.PDFIndirectObject(oid, id_to_object[oid]).format(self)
            id_to_offset[oid] = out.add(formatted)
            ids.append(oid)
        del self.__accum__
        if counter - 1 != len(number_to_id):
            raise ValueError("PDF object numbering is inconsistent")
        xref = pdfdoc.PDFCrossReferenceTable()
        xref.addsection(0, ids)
        xref_offset = out.add(xref.format(self))
        trailer = pdfdoc.PDFTrailer(
            startxref=xref_offset,
            Size=len(number_to_id) + 1,
            Root=self.Reference(catalog),
            Info=self.Reference(info),
            Encrypt=encrypt_ref,
            ID=self.ID(),
        )
        out.add(trailer.format(self))
        return out.format(self)


def new_canvas(out: BinaryIO, pagesize: tuple[float, float], *, initial_font: str) -> Canvas:
    """A canvas whose ``save()`` streams the file to ``out``."""
    canvas = Canvas(out, pagesize=pagesize, pageCompression=1, initialFontName=initial_font)
    canvas._doc.__class__ = _StreamingDocument
    canvas._doc.sink = out
    canvas.setCreator("Presspass")
    canvas.setTitle("Badges")
    return canvas


# --- images -------------------------------------------------------------------------------------


class _SpooledImage(pdfdoc.PDFImageXObject):
    """An image XObject whose stream bytes wait in the spool until the file is written."""

    def __init__(self, name: str, spool: BinaryIO, offset: int, length: int) -> None:
        super().__init__(name)
        self._spool, self._offset, self._length = spool, offset, length

    def format(self, document: pdfdoc.PDFDocument) -> bytes:
        self._spool.seek(self._offset)
        self.streamContent = self._spool.read(self._length)
        try:
            return super().format(document)
        finally:
            self.streamContent = b""


class ImageStore:
    """Places images on a canvas as XObjects, each distinct image stored once per document.

    reportlab's ``drawImage`` would decode an image's pixels just to name it; here a photo is
    named by a digest of its bytes and its JPEG goes into the PDF as it is (DCTDecode).
    """

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)

    def close(self) -> None:
        self.spool.close()

    def _place(self, name: str, build: Callable[[], pdfdoc.PDFImageXObject], x, y, w, h) -> None:
        c = self.canvas
        doc = c._doc
        reg_name = doc.getXObjectName(name)
        if doc.idToObject.get(reg_name) is None:
            obj = build()
            obj.name = name
            doc.Reference(obj, reg_name)
            doc.addForm(name, obj)
        c._currentPageHasImages = 1
        c.saveState()
        c.transform(w, 0, 0, h, x, y)
        c._code.append(f"/{reg_name} Do")
        c.restoreState()
        c._formsinuse.append(name)

    def jpeg(self, data: bytes, x: float, y: float, w: float, h: float) -> None:
        """Fill the box with the photo, centred and cropped if its aspect differs."""
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        info = _jpeg_info(digest, data)
        if info is None:  # not a JPEG reportlab can pass through: re-encode it once
            data = _to_jpeg(data)
            digest = hashlib.blake2b(data, digest_size=16).hexdigest()
            info = _jpeg_info(digest, data)
            if info is None:
                raise ValueError("the badge photo cannot be read as an image")
        width, height, components = info

        def build() -> pdfdoc.PDFImageXObject:
            self.spool.seek(0, io.SEEK_END)
            offset = self.spool.tell()
            self.spool.write(data)
            obj = _SpooledImage("photo", self.spool, offset, len(data))
            obj.width, obj.height, obj.bitsPerComponent = width, height, 8
            obj.colorSpace = {1: "DeviceGray", 3: "DeviceRGB"}.get(components, "DeviceCMYK")
            if components == 4:
                obj._dotrans = 1  # Adobe CMYK JPEGs are stored inverted
            obj._filters = ("DCTDecode",)
            obj.mask = None
            return obj

        cx, cy, cw, ch = _cover(x, y, w, h, width / height)
        if (cx, cy, cw, ch) == (x, y, w, h):
            self._place("jpg" + digest, build, x, y, w, h)
            return
        c = self.canvas
        c.saveState()
        clip = c.beginPath()
        clip.rect(x, y, w, h)
        c.clipPath(clip, stroke=0, fill=0)
        self._place("jpg" + digest, build, cx, cy, cw, ch)
        c.restoreState()

    def qr(self, text: str, x: float, y: float, side: float) -> None:
        """The QR code as one 1-bit image, one pixel per module, quiet zone included."""
        bitmap = qr_bitmap(text)

        def build() -> pdfdoc.PDFImageXObject:
            obj = pdfdoc.PDFImageXObject("qr")
            obj.width = obj.height = bitmap.size
            obj.bitsPerComponent = 1
            obj.colorSpace = "DeviceGray"
            obj.streamContent = zlib.compress(bitmap.data)
            obj._filters = ("FlateDecode",)
            obj.mask = None
            return obj

        name = "qr" + hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
        self._place(name, build, x, y, side, side)


def _cover(
    x: float, y: float, w: float, h: float, aspect: float
) -> tuple[float, float, float, float]:
    """The box an image of this aspect must fill to cover the given one, centred on it."""
    if abs(aspect - w / h) < 0.005:
        return x, y, w, h
    if aspect > w / h:
        cover_w = h * aspect
        return x - (cover_w - w) / 2, y, cover_w, h
    cover_h = w / aspect
    return x, y - (cover_h - h) / 2, w, cover_h


# JPEG headers already read, by digest: a batch often repeats a photo (and a retry repeats all).
_JPEG_INFO: dict[str, tuple[int, int, int] | None] = {}
_JPEG_INFO_LIMIT = 4096


def _jpeg_info(digest: str, data: bytes) -> tuple[int, int, int] | None:
    """(width, height, components) if reportlab can embed these bytes as they are, else None."""
    try:
        return _JPEG_INFO[digest]
    except KeyError:
        pass
    info = None
    if data.startswith(b"\xff\xd8"):
        try:
            width, height, components, _dpi = readJPEGInfo(io.BytesIO(data))
        except Exception:  # noqa: BLE001 - anything unreadable goes the Pillow way instead
            pass
        else:
            if width > 0 and height > 0 and components in (1, 3, 4):
                info = (width, height, components)
    if len(_JPEG_INFO) >= _JPEG_INFO_LIMIT:
        _JPEG_INFO.clear()
    _JPEG_INFO[digest] = info
    return info


@lru_cache(maxsize=8)
def _to_jpeg(data: bytes) -> bytes:
    """The slow path for a photo that is not a plain JPEG: decode once, re-encode as JPEG."""
    from PIL import Image, ImageOps

    # Only what the checks made: their normalised JPEG, or a PNG photo (never another format).
    with Image.open(io.BytesIO(data), formats=["JPEG", "PNG"]) as image:
        rgb = ImageOps.exif_transpose(image).convert("RGB")
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=90)
    return out.getvalue()

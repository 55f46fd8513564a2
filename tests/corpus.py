"""Test documents, generated when a test asks for them: nothing binary is committed.

Every ``make_*`` function writes one file at ``path`` and returns ``path``. The pictures are
real photographs where it matters: scikit-image ships NASA's public-domain portrait of
astronaut Eileen Collins (``skimage.data.astronaut()``), which a face detector finds, and a
cup of coffee (``skimage.data.coffee()``), which it must not.

    from tests import corpus
    photo = corpus.make_portrait(tmp_path / "photo.jpg", size=(3000, 4000))
"""

from __future__ import annotations

import io
import struct
import zlib
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

# Where the astronaut's face sits in the 512×512 original, and two 3:4 framings around it:
# head and shoulders, as an ID photo is taken, and half-length, as a phone photo often is
# (on which, shrunk from 12 MP, OpenCV's default parameters find a second, false face).
ASTRONAUT_FACE = (177, 66, 95, 95)  # x, y, width, height as found by OpenCV's cascade
FRAMINGS = {
    "head": (112, 0, 337, 300),  # 225×300
    "half": (38, 0, 422, 512),  # 384×512
}

# Marrakech, the kind of position a phone writes into every photo it takes.
GPS_LATITUDE = (31.0, 37.0, 41.64)
GPS_LONGITUDE = (8.0, 1.0, 30.0)

UPRIGHT_TOP = (220, 30, 30)  # red band along the top of an orientation test picture
UPRIGHT_BOTTOM = (30, 30, 220)  # blue below it
UPRIGHT_LEFT = (30, 200, 30)  # green column on the left

EXIF_ORIENTATION = 0x0112
EXIF_GPS_IFD = 0x8825

# The inverse of what a viewer applies for each EXIF orientation: storing
# ``upright.transpose(_STORED_FOR_ORIENTATION[n])`` and tagging it n displays ``upright``.
_STORED_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}

A4_POINTS = (595, 842)


# --- pictures in memory -------------------------------------------------------------------


@cache
def _astronaut_pixels() -> np.ndarray:
    from skimage import data

    return data.astronaut()


@cache
def _coffee_pixels() -> np.ndarray:
    from skimage import data

    return data.coffee()


def astronaut() -> Image.Image:
    """The 512×512 RGB original."""
    return Image.fromarray(_astronaut_pixels())


def portrait_image(
    size: tuple[int, int] = (600, 800), *, framing: str = "head", grain: float = 0.0
) -> Image.Image:
    """The astronaut cropped to 3:4 around her face (see FRAMINGS) and scaled to ``size``.

    ``grain`` adds Gaussian sensor noise (standard deviation in 0–255 units), as a real
    camera's picture has; an upscaled 512-pixel original is otherwise unnaturally smooth and
    compresses to a third of a real 12 MP photo's size.
    """
    image = astronaut().crop(FRAMINGS[framing])
    if image.size != size:
        image = image.resize(size, Image.Resampling.BICUBIC)
    return add_grain(image, grain) if grain else image


def add_grain(image: Image.Image, sigma: float, *, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, sigma, (image.height, image.width, 1)).astype(np.float32)
    pixels = np.asarray(image, dtype=np.float32) + noise
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def no_face_image(size: tuple[int, int] = (600, 800)) -> Image.Image:
    """A colour photograph of a cup of coffee: detailed, sharp, and nobody in it."""
    return Image.fromarray(_coffee_pixels()).resize(size, Image.Resampling.BICUBIC)


def orientation_pattern(size: tuple[int, int]) -> Image.Image:
    """Red band on top, green column on the left, blue elsewhere: shows any rotation or flip."""
    width, height = size
    image = Image.new("RGB", size, UPRIGHT_BOTTOM)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, height // 5), fill=UPRIGHT_TOP)
    draw.rectangle((0, height // 5, width // 10, height), fill=UPRIGHT_LEFT)
    return image


def scan_image(size: tuple[int, int] = (2480, 3508), *, seed: int = 1) -> Image.Image:
    """An A4 page as a colour scanner at 300 dpi sees it: off-white paper with grain, lines
    of dark text, a colour photograph and a blue stamp."""
    width, height = size
    rng = np.random.default_rng(seed)
    paper = rng.normal(240, 7, (height, width)).clip(0, 255).astype(np.uint8)
    page = Image.fromarray(
        np.dstack([paper, paper, (paper.astype(np.int16) - 6).clip(0, 255).astype(np.uint8)])
    )
    draw = ImageDraw.Draw(page)
    margin = width // 10
    line_height = max(4, height // 90)
    photo_width = width // 4
    y = margin + photo_width * 4 // 3 + line_height * 2
    while y < height - margin:
        x = margin
        line_end = width - margin - int(rng.integers(0, width // 4))
        while x < line_end:
            word = int(rng.integers(line_height, line_height * 6))
            draw.rectangle(
                (x, y, min(x + word, line_end), y + line_height * 2 // 3), fill=(35, 35, 40)
            )
            x += word + line_height
        y += line_height * 2
    photo = astronaut().resize((photo_width, photo_width * 4 // 3), Image.Resampling.BICUBIC)
    page.paste(photo, (width - margin - photo_width, margin))
    draw.ellipse(
        (margin, margin, margin + width // 5, margin + width // 5),
        outline=(40, 60, 190),
        width=max(2, width // 100),
    )
    return page


# --- files ----------------------------------------------------------------------------------


def make_jpeg(
    path: Path,
    size: tuple[int, int] = (800, 600),
    *,
    exif_orientation: int | None = None,
    gps: bool = False,
    extra_metadata: bool = False,
    image: Image.Image | None = None,
    quality: int = 90,
    progressive: bool = False,
) -> Path:
    """A JPEG that *displays* as ``image`` (default: the orientation pattern) at ``size``.

    With ``exif_orientation`` the pixels are stored turned the other way and the EXIF tag
    tells viewers how to put them upright, as phones do. ``gps`` writes a GPS position (and
    the camera's make and model); ``extra_metadata`` adds an XMP packet, an ICC profile and a
    comment, so that a test can prove every one of them is gone.
    """
    upright = image if image is not None else orientation_pattern(size)
    if upright.size != size:
        upright = upright.resize(size, Image.Resampling.BICUBIC)
    stored = upright
    exif = Image.Exif()
    if exif_orientation is not None:
        exif[EXIF_ORIENTATION] = exif_orientation
        if exif_orientation in _STORED_FOR_ORIENTATION:
            stored = upright.transpose(_STORED_FOR_ORIENTATION[exif_orientation])
    if gps:
        exif[0x010F] = "PresspassPhone"  # Make
        exif[0x0110] = "Model 12"  # Model
        gps_ifd = exif.get_ifd(EXIF_GPS_IFD)
        gps_ifd.update({1: "N", 2: GPS_LATITUDE, 3: "W", 4: GPS_LONGITUDE})
    options: dict[str, object] = {"quality": quality, "progressive": progressive}
    if len(exif):
        options["exif"] = exif.tobytes()
    if extra_metadata:
        from PIL import ImageCms

        options["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        options["comment"] = b"taken at 31.6278 N, 8.0083 W by a PresspassPhone"
        options["xmp"] = (
            b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
            b'02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/"'
            b' exif:GPSLatitude="31,37.69N"/></rdf:RDF></x:xmpmeta>'
        )
    stored.save(path, "JPEG", **options)
    return path


def make_png(
    path: Path,
    size: tuple[int, int] = (800, 600),
    *,
    mode: str = "RGB",
    image: Image.Image | None = None,
) -> Path:
    """A PNG of ``image`` (default: the orientation pattern) converted to ``mode``."""
    picture = image if image is not None else orientation_pattern(size)
    if picture.size != size:
        picture = picture.resize(size, Image.Resampling.BICUBIC)
    if mode == "RGBA":
        picture = picture.convert("RGBA")
        picture.putalpha(Image.new("L", size, 128))
    elif mode != picture.mode:
        picture = picture.convert(mode)
    picture.save(path, "PNG")
    return path


def make_portrait(
    path: Path,
    size: tuple[int, int] = (600, 800),
    *,
    framing: str = "head",
    quality: int = 90,
    grain: float | None = None,
    exif_orientation: int | None = None,
) -> Path:
    """The astronaut as a 3:4 portrait JPEG. ``size=(3000, 4000), framing="half"`` is a
    12 MP phone photo; large sizes get camera grain by default (σ = 3) so that the file is
    about as big as a real one (≈ 2 MB)."""
    if grain is None:
        grain = 3.0 if size[0] * size[1] >= 4_000_000 else 0.0
    return make_jpeg(
        path,
        size,
        image=portrait_image(size, framing=framing, grain=grain),
        quality=quality,
        exif_orientation=exif_orientation,
    )


def make_blurred_portrait(
    path: Path, size: tuple[int, int] = (600, 800), *, radius: float | None = None
) -> Path:
    """The portrait out of focus: a Gaussian blur of ``radius`` (default: 1 % of the width,
    which is 6 px at 600×800 and 30 px at 12 MP)."""
    if radius is None:
        radius = size[0] / 100
    image = portrait_image(size).filter(ImageFilter.GaussianBlur(radius))
    return make_jpeg(path, size, image=image)


def make_greyscale_portrait(path: Path, size: tuple[int, int] = (600, 800)) -> Path:
    """The portrait in black and white, saved as an RGB JPEG (as phone filters do)."""
    image = portrait_image(size).convert("L").convert("RGB")
    return make_jpeg(path, size, image=image)


def make_no_face_picture(path: Path, size: tuple[int, int] = (600, 800)) -> Path:
    return make_jpeg(path, size, image=no_face_image(size))


def make_two_faces_picture(path: Path, size: tuple[int, int] = (1600, 1000)) -> Path:
    """Two people side by side: the astronaut twice."""
    canvas = Image.new("RGB", size, (235, 235, 235))
    half = (size[0] // 2, size[1])
    face = portrait_image((half[1] * 3 // 4, half[1]))
    for index in range(2):
        canvas.paste(face, (index * half[0] + (half[0] - face.width) // 2, 0))
    return make_jpeg(path, size, image=canvas)


def make_scan(path: Path, size: tuple[int, int] = (2480, 3508), *, quality: int = 88) -> Path:
    """An A4 page scanned in colour at 300 dpi: about 2 MB, like a scanner's JPEG."""
    return make_jpeg(path, size, image=scan_image(size), quality=quality)


def make_truncated(path: Path, *, kind: str = "jpeg", keep: float = 0.5) -> Path:
    """A valid JPEG, PNG or PDF cut off after ``keep`` of its bytes (an interrupted upload)."""
    scratch = io.BytesIO()
    if kind == "jpeg":
        portrait_image((600, 800)).save(scratch, "JPEG", quality=90)
    elif kind == "png":
        portrait_image((600, 800)).save(scratch, "PNG")
    elif kind == "pdf":
        scratch.write(pdf_bytes(pages=2, image=portrait_image((600, 800))))
    else:
        raise ValueError(kind)
    whole = scratch.getvalue()
    path.write_bytes(whole[: int(len(whole) * keep)])
    return path


def make_garbage(path: Path, *, header: bytes = b"", size: int = 4096, seed: int = 2) -> Path:
    """Random bytes, optionally behind a believable signature (b"%PDF-1.7\\n", b"\\xff\\xd8\\xff")."""
    rng = np.random.default_rng(seed)
    path.write_bytes(header + rng.integers(0, 256, size, dtype=np.uint8).tobytes())
    return path


def make_decompression_bomb(path: Path, *, side: int = 50_000, kind: str = "png") -> Path:
    """A picture that declares ``side``×``side`` pixels.

    ``png``: a genuine, valid 1-bit PNG of that size, all black; at 50,000² it is about
    300 KB on disk and 2.5 gigapixels (7.5 GB as RGB) decoded. ``jpeg``: a small JPEG whose
    frame header has been rewritten to claim the size (at most 65,535, JPEG's limit).
    """
    if kind == "png":
        row = b"\x00" * (1 + (side + 7) // 8)  # filter type 0, then the packed bits
        compressor = zlib.compressobj(9)
        chunks = [compressor.compress(row) for _ in range(side)]
        idat = b"".join(chunks) + compressor.flush()
        ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
        path.write_bytes(
            b"\x89PNG\r\n\x1a\n"
            + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", idat)
            + _png_chunk(b"IEND", b"")
        )
        return path
    if kind == "jpeg":
        if side > 65_535:
            raise ValueError("a JPEG cannot declare more than 65,535 pixels a side")
        scratch = io.BytesIO()
        Image.new("RGB", (64, 64), (200, 200, 200)).save(scratch, "JPEG")
        data = bytearray(scratch.getvalue())
        sof = data.index(b"\xff\xc0")
        struct.pack_into(">HH", data, sof + 5, side, side)
        path.write_bytes(bytes(data))
        return path
    raise ValueError(kind)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def make_png_named_pdf(path: Path) -> Path:
    """A PNG saved under a ``.pdf`` name: the content decides, not the name."""
    assert path.suffix == ".pdf"
    portrait_image((450, 600)).save(path, "PNG")
    return path


# --- PDFs -----------------------------------------------------------------------------------


def pdf_bytes(
    pages: int = 1,
    *,
    image: Image.Image | None = None,
    dpi: float | None = None,
    javascript: bool = False,
    encrypted: bool = False,
    user_password: str = "secret",
    embedded_file: bool = False,
    launch_action: bool = False,
    quality: int = 85,
) -> bytes:
    """A PDF of ``pages`` A4 pages, each showing ``image`` (default: a small grey page).

    ``javascript`` adds a document-level script run on opening (the /Names /JavaScript tree);
    ``launch_action`` asks the viewer to run a program when page 1 opens (/AA /O /Launch);
    ``embedded_file`` attaches a file; ``encrypted`` protects it with ``user_password``
    (an empty one makes a PDF anyone can open but that is encrypted all the same).
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    picture = image if image is not None else Image.new("RGB", (124, 175), (230, 230, 230))
    resolution = dpi if dpi is not None else picture.width * 72 / A4_POINTS[0]
    scratch = io.BytesIO()
    picture.convert("RGB").save(
        scratch,
        "PDF",
        resolution=resolution,
        save_all=pages > 1,
        append_images=[picture.convert("RGB")] * (pages - 1),
        quality=quality,
    )
    if not (javascript or encrypted or embedded_file or launch_action):
        return scratch.getvalue()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(scratch.getvalue())))
    if javascript:
        from pypdf.actions import JavaScript

        writer.add_open_action(JavaScript("app.alert('Presspass test: this PDF runs JavaScript');"))
    if launch_action:
        launch = DictionaryObject(
            {
                NameObject("/S"): NameObject("/Launch"),
                NameObject("/F"): TextStringObject("C:\\Windows\\System32\\calc.exe"),
            }
        )
        writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): launch})
    if embedded_file:
        writer.add_attachment("invoice.exe", b"MZ" + b"\x00" * 1022)
    if encrypted:
        writer.encrypt(
            user_password=user_password, owner_password="owner-secret", algorithm="AES-128"
        )
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def make_pdf(
    path: Path,
    pages: int = 1,
    *,
    javascript: bool = False,
    encrypted: bool = False,
    user_password: str = "secret",
    embedded_file: bool = False,
    launch_action: bool = False,
    image: Image.Image | None = None,
    dpi: float | None = None,
    quality: int = 85,
) -> Path:
    """Write :func:`pdf_bytes` to ``path``."""
    path.write_bytes(
        pdf_bytes(
            pages,
            image=image,
            dpi=dpi,
            javascript=javascript,
            encrypted=encrypted,
            user_password=user_password,
            embedded_file=embedded_file,
            launch_action=launch_action,
            quality=quality,
        )
    )
    return path


def make_scanned_letter_pdf(path: Path, *, dpi: int = 200, quality: int = 88) -> Path:
    """A one-page mission letter as an office scanner makes it: an A4 page scanned in colour
    at 200 dpi, in a PDF of about 1 MB."""
    size = (round(8.27 * dpi), round(11.69 * dpi))
    return make_pdf(path, image=scan_image(size), dpi=dpi, quality=quality)


def make_broken_pdf(path: Path) -> Path:
    """A PDF header followed by nonsense: no cross-reference table, no objects."""
    return make_garbage(path, header=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")


def make_hidden_javascript_pdf(path: Path) -> Path:
    """JavaScript where a quick look at the catalogue does not find it: on a link
    annotation's action, with the name written in #-escapes (/Java#53cript)."""
    return hand_built_pdf(
        path,
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>",
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842]"
            b" /A << /S /Java#53cript /JS (app.alert\\(1\\)) >> >>",
        ],
    )


def make_open_action_pdf(path: Path, *, action: str = "JavaScript") -> Path:
    """A PDF whose catalogue runs an action on opening: ``JavaScript`` or ``Launch``."""
    if action == "JavaScript":
        open_action = b"<< /S /JavaScript /JS (app.launchURL\\(\\)) >>"
    elif action == "Launch":
        open_action = b"<< /S /Launch /Win << /F (cmd.exe) /P (/c calc) >> >>"
    else:
        raise ValueError(action)
    return hand_built_pdf(
        path,
        [
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction " + open_action + b" >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        ],
    )


def make_xfa_form_pdf(path: Path) -> Path:
    """A PDF with an XFA form (XML forms that may carry scripts), and no /JS anywhere."""
    xfa = b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'><template/></xdp:xdp>"
    return hand_built_pdf(
        path,
        [
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA 4 0 R >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
            b"<< /Length " + str(len(xfa)).encode() + b" >>\nstream\n" + xfa + b"\nendstream",
        ],
    )


def make_huge_image_pdf(path: Path, *, side: int = 60_000) -> Path:
    """A one-page PDF drawing a picture that declares ``side``×``side`` pixels (3.6 gigapixels
    at the default) from a few bytes of Flate data: a bomb for whatever renders it."""
    pixels = zlib.compress(b"\x00" * 1024)
    content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    return hand_built_pdf(
        path,
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
            b" /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
            b"<< /Length "
            + str(len(content)).encode()
            + b" >>\nstream\n"
            + content
            + b"\nendstream",
            b"<< /Type /XObject /Subtype /Image /Width "
            + str(side).encode()
            + b" /Height "
            + str(side).encode()
            + b" /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length "
            + str(len(pixels)).encode()
            + b" >>\nstream\n"
            + pixels
            + b"\nendstream",
        ],
    )


def hand_built_pdf(path: Path, objects: list[bytes]) -> Path:
    """A PDF written byte by byte: ``objects[0]`` is object 1, the catalogue."""
    body = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n".encode() + content + b"\nendobj\n"
    xref_at = len(body)
    body += f"xref\n0 {len(objects) + 1}\n".encode() + b"0000000000 65535 f \n"
    body += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    body += f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n".encode()
    path.write_bytes(bytes(body))
    return path


def make_deep_png(path: Path, *, width: int = 6000, height: int = 4000) -> Path:
    """A valid 16-bit RGBA PNG of ``width``×``height`` (24 MP by default) that is about 190 KB
    on disk: small to upload, about 190 MB of pixels once decoded. Written chunk by chunk."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00\x01" * (width * 4)  # filter byte, then 16-bit R, G, B, A
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path

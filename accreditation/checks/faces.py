"""Is this photo usable on a badge? One face, frontal, sharp, in colour, and croppable to 3:4.

The detector is OpenCV's Haar cascade ``haarcascade_frontalface_alt2``, run on a grey copy
whose long side is 320 pixels. Its parameters were chosen on purpose (see the constants):
with the library's default cascade and parameters, a 12-megapixel photo shrunk to 600×800
gives a false second face on the astronaut's shoulder, larger than her real face, so "take
the largest face" alone would crop the badge around her shoulder. ``alt2`` with
``minNeighbors=5`` and a minimum face size of 15 % of the picture's short side finds exactly
one face on the same photo at every size tried (512 px to 12 MP), and nothing on photographs
without people; scale factor 1.15 and the 320-pixel copy keep detection near 40 ms. Smaller
copies (a short side of 133–180 pixels instead of 240) halve that time but miss faces of
15–17 % of the picture's width, a person photographed at half-body distance; scale factor
1.2 and more misses them too.

Everything here takes the decoded picture from :func:`accreditation.checks.images.normalise_image`
(or any PIL image); nothing is decoded twice.
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass, field

import cv2
import numpy as np
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from PIL import Image

from accreditation.checks.images import NormalisedImage, is_greyscale, make_preview
from accreditation.checks.results import CheckResult, Outcome, interpolate

READABLE = "portrait.readable"
SIZE = "portrait.size"
COLOUR = "portrait.colour"
FACE_COUNT = "portrait.face_count"
FRONTAL = "portrait.frontal"
FACE_SIZE = "portrait.face_size"
PLACEMENT = "portrait.placement"
SHARPNESS = "portrait.sharpness"

# The photo specification: at least 354×472 (width × height) as uploaded.
MIN_SOURCE_SIZE = (354, 472)
BADGE_SIZE = (600, 800)

# Detection (see the module docstring for why these values).
FACE_CASCADE = "haarcascade_frontalface_alt2.xml"
EYE_CASCADE = "haarcascade_eye.xml"
DETECTION_LONG_SIDE = 320
SCALE_FACTOR = 1.15
MIN_NEIGHBOURS = 5
MIN_FACE_SHARE = 0.15  # of the short side of the picture; smaller faces are not looked for
# A second face counts when it is at least half as wide as the largest one; smaller
# detections are people far in the background (or noise) and do not spoil a badge crop.
SECOND_FACE_MIN_RATIO = 0.5

# Frontal: the eyes are looked for in the upper part of the face box, scaled to 100 px.
EYE_FACE_WIDTH = 100
MAX_EYE_TILT_DEGREES = 10.0  # the astronaut rotated by 10° measures 7°, by 20° measures 15°
MAX_EYE_OFFSET = 0.12  # eye midpoint vs. face centre, as a share of the face width

# Sharpness: variance of the Laplacian of the face, resized to 96×96 grey pixels, so that the
# measure depends on focus rather than on how many pixels the face has. Measured on the
# astronaut (600×800 to 1500×2000, face 150 to 670 px wide, JPEG q90): sharp 390–460;
# Gaussian blur with a radius of 0.6 % of the face's width ≈ 175, 1 % ≈ 70, 1.2 % ≈ 52,
# 2 % ≈ 18, 4 % ≈ 7. A 354×472 upload blown up measures 320, JPEG q40 about 400.
SHARPNESS_FACE_SIZE = 96
BLURRED_BELOW = 30.0  # FAIL: plainly out of focus (blur over ≈ 1.6 % of the face's width)
SOFT_BELOW = 100.0  # WARNING: soft enough that a reviewer should look (≈ 0.8 %)

# The badge crop: 3:4 and 2.5 face boxes high, with the box's centre 47 % down from the top.
# The cascade's box runs from the eyebrows to the chin, and the crown of the head is about
# half a box above it; so the head (crown to chin) fills about 56 % of the badge's height,
# with about 8 % of headroom, and the eyes sit about 42 % down: an ID-photo framing.
CROP_HEIGHT_PER_FACE = 2.5
FACE_CENTRE_FROM_TOP = 0.47
# Placement tolerances once the crop has been shifted or shrunk to fit inside the picture.
PLACEMENT_OK = {"zoom": 0.9, "offset": 0.10, "top": (0.35, 0.55)}
PLACEMENT_POOR = {"zoom": 0.7, "offset": 0.25, "top": (0.25, 0.65)}
BADGE_JPEG_QUALITY = 90

_local = threading.local()


@dataclass(frozen=True)
class PortraitReport:
    """``badge_jpeg`` is a 600×800 JPEG cut around the face (around the centre of the picture
    when no face was found, so that a reviewer may still accept it); ``face_box`` is
    ``(x, y, width, height)`` and ``crop_box`` ``(left, top, right, bottom)``, both in the
    pixels of the picture that was checked (the normalised copy)."""

    results: list[CheckResult]
    badge_jpeg: bytes | None = field(default=None, repr=False)
    face_box: tuple[int, int, int, int] | None = None
    crop_box: tuple[int, int, int, int] | None = None
    faces_found: int = 0
    sharpness: float | None = None

    @property
    def ok(self) -> bool:
        return not any(result.failed for result in self.results)


def check_portrait(
    image: NormalisedImage | Image.Image, *, min_size: tuple[int, int] = MIN_SOURCE_SIZE
) -> PortraitReport:
    """Check a badge photo and cut the badge picture out of it. Never raises on bad input."""
    if isinstance(image, NormalisedImage):
        picture, preview = image.image, image.preview
        source_size = (image.source_width, image.source_height)
    else:
        picture, preview = image, None
        source_size = image.size
    if picture is None:
        return PortraitReport(
            [
                CheckResult(
                    READABLE,
                    Outcome.FAIL,
                    _("The photo could not be read, so it could not be checked."),
                )
            ]
        )
    if picture.mode not in ("RGB", "L"):
        picture = picture.convert("RGB")
    if preview is None:
        preview = make_preview(picture)

    results = [_size_result(source_size, min_size), _colour_result(preview)]
    faces = detect_faces(preview, scale=picture.width / preview.width)
    if not faces:
        results.append(
            CheckResult(
                FACE_COUNT,
                Outcome.FAIL,
                _(
                    "No face was found. The face must look at the camera and fill a good "
                    "part of the picture."
                ),
                "0",
            )
        )
        crop = _centre_crop(picture.size)
        return PortraitReport(results, _badge_jpeg(picture, crop), crop_box=crop)

    face = faces[0]
    comparable = [f for f in faces if f[2] >= SECOND_FACE_MIN_RATIO * face[2]]
    if len(comparable) > 1:
        results.append(
            CheckResult(
                FACE_COUNT,
                Outcome.FAIL,
                interpolate(
                    ngettext_lazy(
                        "%(count)s face was found; the photo must show only the applicant.",
                        "%(count)s faces were found; the photo must show only the applicant.",
                        len(comparable),
                    ),
                    count=len(comparable),
                ),
                str(len(comparable)),
            )
        )
    else:
        results.append(CheckResult(FACE_COUNT, Outcome.PASS, _("One face was found."), "1"))

    face_pixels = _face_grey(picture, face)
    results.append(_frontal_result(face_pixels))
    sharpness = laplacian_variance(face_pixels)
    results.append(_sharpness_result(sharpness))
    crop, placement = plan_badge_crop(picture.size, face)
    results.extend(_placement_results(crop, placement))
    return PortraitReport(
        results,
        _badge_jpeg(picture, crop),
        face_box=face,
        crop_box=crop,
        faces_found=len(faces),
        sharpness=sharpness,
    )


# --- detection ------------------------------------------------------------------------------


def _cascade(name: str) -> cv2.CascadeClassifier:
    """One classifier per thread and cascade (OpenCV does not promise that one is shareable)."""
    cache = getattr(_local, "cascades", None)
    if cache is None:
        cache = _local.cascades = {}
    if name not in cache:
        classifier = cv2.CascadeClassifier(cv2.data.haarcascades + name)
        if classifier.empty():
            raise RuntimeError(f"OpenCV cascade {name} could not be loaded")
        cache[name] = classifier
    return cache[name]


def detection_copy(preview: Image.Image) -> np.ndarray:
    """A grey copy with a long side of DETECTION_LONG_SIDE pixels (or less, never enlarged)."""
    grey = np.asarray(preview.convert("L") if preview.mode != "L" else preview)
    shrink = DETECTION_LONG_SIDE / max(grey.shape)
    if shrink < 1:
        size = (max(1, round(grey.shape[1] * shrink)), max(1, round(grey.shape[0] * shrink)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    return grey


def detect_faces(preview: Image.Image, *, scale: float = 1.0) -> list[tuple[int, int, int, int]]:
    """Frontal faces as ``(x, y, width, height)``, largest first.

    ``preview`` is searched (see :func:`accreditation.checks.images.make_preview`); the boxes
    are multiplied by ``scale`` to give the full picture's pixels.
    """
    grey = detection_copy(preview)
    back = scale * preview.width / grey.shape[1]
    min_face = max(20, int(min(grey.shape) * MIN_FACE_SHARE))
    found = _cascade(FACE_CASCADE).detectMultiScale(
        grey, scaleFactor=SCALE_FACTOR, minNeighbors=MIN_NEIGHBOURS, minSize=(min_face, min_face)
    )
    faces = [
        (round(x * back), round(y * back), round(w * back), round(h * back))
        for x, y, w, h in (found.tolist() if len(found) else [])
    ]
    return sorted(faces, key=lambda f: f[2] * f[3], reverse=True)


def _face_grey(picture: Image.Image, face: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = face
    region = picture.crop((x, y, x + w, y + h))
    return np.asarray(region.convert("L") if region.mode != "L" else region)


def find_eyes(face_pixels: np.ndarray) -> list[tuple[float, float]]:
    """Eye centres as shares of the face box's width and height (0–1), left to right."""
    size = EYE_FACE_WIDTH
    face = cv2.resize(face_pixels, (size, size), interpolation=cv2.INTER_AREA)
    top, bottom = int(size * 0.15), int(size * 0.6)
    found = _cascade(EYE_CASCADE).detectMultiScale(
        face[top:bottom],
        scaleFactor=1.1,
        minNeighbors=3,
        minSize=(int(size * 0.15),) * 2,
        maxSize=(int(size * 0.4),) * 2,
    )
    eyes = [
        ((x + w / 2) / size, (top + y + h / 2) / size)
        for x, y, w, h in (found.tolist() if len(found) else [])
    ]
    return sorted(eyes)


def laplacian_variance(face_pixels: np.ndarray) -> float:
    size = SHARPNESS_FACE_SIZE
    face = cv2.resize(face_pixels, (size, size), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(face, cv2.CV_64F).var())


# --- the badge crop -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Placement:
    """How the face sits in the crop: ``zoom`` < 1 when the crop had to be made smaller than
    planned (face too close to the camera or to an edge); ``offset`` is the face centre's
    horizontal distance from the crop's centre and ``top`` its height from the crop's top,
    both as shares of the crop; ``inside`` says whether the whole face box is in the crop."""

    zoom: float
    offset: float
    top: float
    inside: bool


def plan_badge_crop(
    size: tuple[int, int], face: tuple[int, int, int, int]
) -> tuple[tuple[int, int, int, int], Placement]:
    width, height = size
    x, y, w, h = face
    centre_x, centre_y = x + w / 2, y + h / 2
    crop_height = CROP_HEIGHT_PER_FACE * h
    crop_width = crop_height * 3 / 4
    zoom = min(1.0, height / crop_height, width / crop_width)
    crop_height *= zoom
    crop_width *= zoom
    left = min(max(centre_x - crop_width / 2, 0.0), width - crop_width)
    top = min(max(centre_y - FACE_CENTRE_FROM_TOP * crop_height, 0.0), height - crop_height)
    box = (round(left), round(top), round(left + crop_width), round(top + crop_height))
    placement = Placement(
        zoom=zoom,
        offset=(centre_x - (left + crop_width / 2)) / crop_width,
        top=(centre_y - top) / crop_height,
        inside=box[0] <= x and box[1] <= y and x + w <= box[2] and y + h <= box[3],
    )
    return box, placement


def _centre_crop(size: tuple[int, int]) -> tuple[int, int, int, int]:
    width, height = size
    crop_width, crop_height = min(width, height * 3 / 4), min(height, width * 4 / 3)
    left, top = (width - crop_width) / 2, (height - crop_height) / 2
    return (round(left), round(top), round(left + crop_width), round(top + crop_height))


def badge_picture(picture: Image.Image, crop: tuple[int, int, int, int]) -> Image.Image:
    """``crop`` of ``picture`` at BADGE_SIZE.

    An integer box reduction first brings the crop within 2× of the badge, then OpenCV
    resizes the rest of the way (bilinear down, bicubic up): a third of the time Pillow's
    bicubic resize takes on this hardware, for the same look at 600×800.
    """
    factor = (crop[3] - crop[1]) // BADGE_SIZE[1]
    region = picture.reduce(factor, box=crop) if factor >= 2 else picture.crop(crop)
    if region.mode != "RGB":
        region = region.convert("RGB")
    upscale = region.height < BADGE_SIZE[1]
    pixels = cv2.resize(
        np.asarray(region),
        BADGE_SIZE,
        interpolation=cv2.INTER_CUBIC if upscale else cv2.INTER_LINEAR,
    )
    return Image.fromarray(pixels, "RGB")


def _badge_jpeg(picture: Image.Image, crop: tuple[int, int, int, int]) -> bytes:
    badge = badge_picture(picture, crop)
    buffer = io.BytesIO()
    badge.save(buffer, "JPEG", quality=BADGE_JPEG_QUALITY)
    return buffer.getvalue()


# --- results --------------------------------------------------------------------------------


def _size_result(source_size: tuple[int, int], min_size: tuple[int, int]) -> CheckResult:
    dimensions = f"{source_size[0]}×{source_size[1]}"
    if source_size[0] < min_size[0] or source_size[1] < min_size[1]:
        return CheckResult(
            SIZE,
            Outcome.FAIL,
            interpolate(
                _(
                    "The photo is %(dimensions)s pixels; it must be at least %(minimum)s "
                    "(width × height)."
                ),
                dimensions=dimensions,
                minimum=f"{min_size[0]}×{min_size[1]}",
            ),
            dimensions,
        )
    return CheckResult(SIZE, Outcome.PASS, _("The photo is large enough."), dimensions)


def _colour_result(picture: Image.Image) -> CheckResult:
    if is_greyscale(picture):
        return CheckResult(
            COLOUR,
            Outcome.FAIL,
            _("The photo is black and white; it must be in colour."),
            "greyscale",
        )
    return CheckResult(COLOUR, Outcome.PASS, _("The photo is in colour."), "colour")


def _frontal_result(face_pixels: np.ndarray) -> CheckResult:
    eyes = find_eyes(face_pixels)
    if len(eyes) < 2:
        return CheckResult(
            FRONTAL,
            Outcome.WARNING,
            _(
                "The eyes are not clearly visible: check for sunglasses, hair over the eyes "
                "or a head turned away."
            ),
            f"{len(eyes)} eyes",
        )
    (left_x, left_y), (right_x, right_y) = eyes[0], eyes[-1]
    tilt = abs(math.degrees(math.atan2(right_y - left_y, right_x - left_x)))
    offset = abs((left_x + right_x) / 2 - 0.5)
    value = f"tilt {tilt:.0f}°, offset {offset:.0%}"
    if tilt > MAX_EYE_TILT_DEGREES:
        return CheckResult(
            FRONTAL, Outcome.WARNING, _("The head is tilted; it should be upright."), value
        )
    if offset > MAX_EYE_OFFSET:
        return CheckResult(
            FRONTAL,
            Outcome.WARNING,
            _("The head seems turned; the face should look straight at the camera."),
            value,
        )
    return CheckResult(FRONTAL, Outcome.PASS, _("The face looks at the camera."), value)


def _sharpness_result(sharpness: float) -> CheckResult:
    value = f"{sharpness:.0f}"
    if sharpness < BLURRED_BELOW:
        return CheckResult(
            SHARPNESS, Outcome.FAIL, _("The face is blurred; the photo must be sharp."), value
        )
    if sharpness < SOFT_BELOW:
        return CheckResult(SHARPNESS, Outcome.WARNING, _("The face is slightly blurred."), value)
    return CheckResult(SHARPNESS, Outcome.PASS, _("The face is sharp."), value)


def _placement_results(crop: tuple[int, int, int, int], placement: Placement) -> list[CheckResult]:
    crop_height = crop[3] - crop[1]
    if crop_height < BADGE_BLURRY_CROP_HEIGHT:
        size = CheckResult(
            FACE_SIZE,
            Outcome.FAIL,
            _("The face is too small in the picture for a sharp badge photo; come closer."),
            f"{crop_height} px",
        )
    elif crop_height < BADGE_MIN_CROP_HEIGHT:
        size = CheckResult(
            FACE_SIZE,
            Outcome.WARNING,
            _("The face is small in the picture; the badge photo will be soft."),
            f"{crop_height} px",
        )
    else:
        size = CheckResult(
            FACE_SIZE, Outcome.PASS, _("The face is large enough."), f"{crop_height} px"
        )
    value = f"zoom {placement.zoom:.2f}, offset {placement.offset:+.0%}, top {placement.top:.0%}"
    if _within(placement, PLACEMENT_OK):
        where = CheckResult(
            PLACEMENT, Outcome.PASS, _("The face is placed well for a 3:4 badge photo."), value
        )
    elif _within(placement, PLACEMENT_POOR):
        where = CheckResult(
            PLACEMENT,
            Outcome.WARNING,
            _("The face is close to an edge or to the camera; check the badge crop."),
            value,
        )
    else:
        where = CheckResult(
            PLACEMENT,
            Outcome.FAIL,
            _(
                "A 3:4 badge photo cannot be cut from this picture: the face is too close to "
                "an edge or to the camera."
            ),
            value,
        )
    return [size, where]


# The badge crop is cut from the checked picture. At least the specification's 472 pixels
# high passes; below 300 pixels (a 33 mm tall badge photo printed at under 230 dpi) the
# printed face is visibly soft, which fails; in between is a warning.
BADGE_MIN_CROP_HEIGHT = MIN_SOURCE_SIZE[1]
BADGE_BLURRY_CROP_HEIGHT = 300


def _within(placement: Placement, limits: dict) -> bool:
    low, high = limits["top"]
    return (
        placement.inside
        and placement.zoom >= limits["zoom"]
        and abs(placement.offset) <= limits["offset"]
        and low <= placement.top <= high
    )

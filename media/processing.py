"""Image processing with Pillow (M1, M2, M4, M7): inspect an upload, render its WebP variants.

Pure Pillow: no models, no storage, no cache. Every limit is an explicit parameter, so callers (the
upload service, the worker, the tests, the benchmark) decide where the figures come from; only
`default_variant_specs` and `variant_spec_on_demand` read Django settings.

Two steps, both refusing bad input with `ImageRejected` (a 4xx for the API, never a 500):

- `image_inspect` runs in the upload request. It checks the byte size, parses only the allowed
  formats (Pillow's ``formats=``: a hostile file never reaches a rarely used decoder), checks the
  pixel count from the header *before* anything is decoded, the frame count, and proves the data
  is complete by decoding it cheaply (a JPEG at 1/8 scale).
- `variants_render` (the worker) and `variant_render` (one on-demand size) decode once, apply the
  EXIF orientation, convert the colour mode, and fit each variant in its box from the largest to
  the smallest, each resized from the one before. A JPEG is decoded by libjpeg at the smallest DCT
  scale (1/1, 1/2, 1/4, 1/8) that still covers the largest variant. Outputs are WebP with no EXIF,
  XMP or ICC profile: camera metadata (GPS included) never leaves this module.

Pillow's own decompression-bomb guard (`Image.MAX_IMAGE_PIXELS`, process-wide) is left as it is.
It warns above MAX_IMAGE_PIXELS and raises above twice that; inside this module the warning is
turned into an error (`warnings.catch_warnings`, restored on exit) and both become
"too_many_pixels", so Pillow's limit applies in addition to ``max_pixels``. Python 3.11's
``catch_warnings`` swaps the process-wide filter list, so two threads inside it at once may restore
each other's filters; Celery's prefork workers and Django's one sync thread are unaffected, and the
worst case is the same DecompressionBombWarning becoming an error elsewhere.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageMath, ImageOps, UnidentifiedImageError

# Saving: libwebp's method 4 (0 fastest .. 6 smallest) is its default balance of speed and size.
WEBP_METHOD = 4
# Resizing: Image.reduce() by an integer factor first, LANCZOS for the rest, keeping at least
# this much headroom for LANCZOS (Pillow: 3.0 is indistinguishable from a pure LANCZOS resize).
REDUCING_GAP = 3.0

ORIENTATION_TAG = 0x0112
# EXIF orientations 5-8 rotate by 90° (or transpose): the displayed width is the stored height.
_SWAPPING_ORIENTATIONS = frozenset({5, 6, 7, 8})

REJECTION_CODES = (
    "empty",
    "too_large",
    "not_an_image",
    "truncated",
    "too_many_pixels",
    "too_many_frames",
)

# What Pillow raises on hostile or damaged input, besides UnidentifiedImageError (an OSError) and
# the decompression-bomb error/warning, which are told apart first.
_PILLOW_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    SyntaxError,
    ValueError,
    struct.error,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    OverflowError,
)
_DISPLAY_FORMAT = {"WEBP": "WebP"}


class ImageRejected(ValueError):
    """A file we will not store.

    ``code`` is one of `REJECTION_CODES`: "empty", "too_large", "not_an_image", "truncated"
    (incomplete or damaged data in an accepted format), "too_many_pixels", "too_many_frames".
    ``message`` (also ``str(exc)``) is a sentence for the user, lazily translated.
    """

    code: str
    message: str | Promise

    def __init__(self, code: str, message: str | Promise) -> None:
        if code not in REJECTION_CODES:
            raise ValueError(f"unknown rejection code {code!r}")
        super().__init__(code, message)  # both in args, so the exception pickles
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return str(self.message)

    @classmethod
    def empty(cls) -> ImageRejected:
        return cls("empty", _("The file is empty."))

    @classmethod
    def too_large(cls, max_bytes: int) -> ImageRejected:
        message = _("The file is too large: the limit is {limit}.")
        return cls("too_large", format_lazy(message, limit=_bytes_text(max_bytes)))

    @classmethod
    def not_an_image(cls, allowed_formats: Sequence[str]) -> ImageRejected:
        names = ", ".join(_DISPLAY_FORMAT.get(name, name) for name in allowed_formats)
        message = _("The file is not an image in an accepted format ({formats}).")
        return cls("not_an_image", format_lazy(message, formats=names))

    @classmethod
    def truncated(cls) -> ImageRejected:
        return cls("truncated", _("The image file is incomplete or damaged."))

    @classmethod
    def too_many_pixels(cls, max_pixels: int) -> ImageRejected:
        message = _("The image has too many pixels: the limit is {limit} megapixels.")
        return cls("too_many_pixels", format_lazy(message, limit=f"{max_pixels / 1e6:.3g}"))

    @classmethod
    def too_many_frames(cls, max_frames: int) -> ImageRejected:
        message = _("The animation has too many frames: the limit is {limit}.")
        return cls("too_many_frames", format_lazy(message, limit=max_frames))


@dataclass(frozen=True)
class VariantSpec:
    """One output: fitted within ``width`` x ``height`` (aspect kept, never upscaled, no crop),
    saved as WebP at ``quality`` (0-100)."""

    name: str
    width: int
    height: int
    quality: int

    def __post_init__(self) -> None:
        if self.width < 1 or self.height < 1:
            raise ValueError(f"variant {self.name!r}: size must be positive")
        if not 0 <= self.quality <= 100:
            raise ValueError(f"variant {self.name!r}: quality must be within 0-100")


@dataclass(frozen=True)
class ImageFacts:
    """What `image_inspect` learnt. ``format`` as Pillow names it ("JPEG", "PNG", "GIF",
    "WEBP"; a multi-picture JPEG from a phone, Pillow's "MPO", is "JPEG" with one frame);
    ``width`` x ``height`` as displayed (after the EXIF orientation); ``mode`` of the first frame
    as stored (e.g. "RGB", "CMYK", "P", "I;16")."""

    format: str
    width: int
    height: int
    frames: int
    mode: str


@dataclass(frozen=True)
class RenderedVariant:
    """A rendered variant: its spec's name, its actual size and its WebP bytes."""

    name: str
    width: int
    height: int
    data: bytes


# --- settings ---------------------------------------------------------------------------------


def size_parse(text: str) -> tuple[int, int]:
    """``"400x300"`` -> ``(400, 300)``; ValueError for anything else."""
    width, sep, height = text.strip().lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit() or not int(width) or not int(height):
        raise ValueError(f"not a size like 400x300: {text!r}")
    return int(width), int(height)


def default_variant_specs() -> list[VariantSpec]:
    """The variants every upload gets (M2), from settings: thumbnail (MEDIA_THUMBNAIL_SIZE at
    MEDIA_THUMBNAIL_QUALITY), preview (MEDIA_PREVIEW_SIZE / _QUALITY) and full (fitted within
    MEDIA_MAX_WIDTH x MEDIA_MAX_HEIGHT at MEDIA_FULL_QUALITY)."""
    from django.conf import settings

    thumbnail = size_parse(settings.MEDIA_THUMBNAIL_SIZE)
    preview = size_parse(settings.MEDIA_PREVIEW_SIZE)
    return [
        VariantSpec("thumbnail", *thumbnail, quality=settings.MEDIA_THUMBNAIL_QUALITY),
        VariantSpec("preview", *preview, quality=settings.MEDIA_PREVIEW_QUALITY),
        VariantSpec(
            "full",
            settings.MEDIA_MAX_WIDTH,
            settings.MEDIA_MAX_HEIGHT,
            quality=settings.MEDIA_FULL_QUALITY,
        ),
    ]


def variant_spec_on_demand(size: str) -> VariantSpec:
    """The spec of an on-demand size (M4) such as ``"200x200"``, named by that size, at
    MEDIA_ON_DEMAND_QUALITY. ValueError unless the size is one of MEDIA_ON_DEMAND_SIZES."""
    from django.conf import settings

    allowed = {size_parse(text) for text in settings.MEDIA_ON_DEMAND_SIZES}
    width, height = size_parse(size)
    if (width, height) not in allowed:
        raise ValueError(f"{size!r} is not one of MEDIA_ON_DEMAND_SIZES")
    return VariantSpec(f"{width}x{height}", width, height, settings.MEDIA_ON_DEMAND_QUALITY)


# --- inspecting -------------------------------------------------------------------------------


def image_inspect(
    source: BinaryIO,
    *,
    size_bytes: int,
    allowed_formats: Sequence[str],
    max_bytes: int,
    max_pixels: int,
    max_frames: int,
) -> ImageFacts:
    """Check an upload, fast enough for the request, and return its facts; `ImageRejected`
    otherwise. In this order:

    1. ``size_bytes`` (the caller's, e.g. ``UploadedFile.size``): 0 is "empty", over
       ``max_bytes`` "too_large"; nothing is read for either.
    2. Parsed only as one of ``allowed_formats``: anything else (a renamed executable, a text, a
       valid BMP or TIFF) is "not_an_image", and so is most damage to the headers; a file Pillow
       recognises but cannot set up a decoder for (e.g. a WebP cut short) is "truncated".
    3. Width x height from the header over ``max_pixels`` (or over Pillow's own limit) is
       "too_many_pixels", before any pixel is decoded.
    4. More than ``max_frames`` frames is "too_many_frames".
    5. The data is decoded to prove it complete ("truncated" otherwise): a JPEG at 1/8 scale
       (libjpeg still reads every coefficient), anything else in full. An animation's last frame
       is decoded too (which decodes those before it) when all its frames together hold at most
       ``max_pixels`` pixels; a longer one has its first frame decoded and its frame structure
       read, not every frame's pixels.

    ``source`` must be seekable; it is read from its start and left at its start.
    """
    if size_bytes <= 0:
        raise ImageRejected.empty()
    if size_bytes > max_bytes:
        raise ImageRejected.too_large(max_bytes)
    formats = _formats(allowed_formats)
    try:
        with _pillow_errors(formats, max_pixels), _open(source, formats) as image:
            image_format = _format_of(image)
            width, height = image.size
            _check_pixels(width, height, max_pixels)
            frames = 1 if image_format != image.format else getattr(image, "n_frames", 1)
            if frames > max_frames:
                raise ImageRejected.too_many_frames(max_frames)
            mode = image.mode
            if image_format == "JPEG":
                image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
            image.load()
            _check_pixels(*image.size, max_pixels)  # a GIF frame may grow the canvas
            orientation = _orientation(image)
            if frames > 1 and width * height * frames <= max_pixels:
                image.seek(frames - 1)
                image.load()
                _check_pixels(*image.size, max_pixels)
    finally:
        source.seek(0)
    if orientation in _SWAPPING_ORIENTATIONS:
        width, height = height, width
    return ImageFacts(format=image_format, width=width, height=height, frames=frames, mode=mode)


# --- rendering --------------------------------------------------------------------------------


def variants_render(
    source: BinaryIO,
    specs: Sequence[VariantSpec],
    *,
    allowed_formats: Sequence[str],
    max_pixels: int,
) -> list[RenderedVariant]:
    """Render every spec from one decode of ``source``; returned in the order of ``specs``.

    - Parsed only as one of ``allowed_formats``, refused over ``max_pixels`` before decoding;
      failures are `ImageRejected` as in `image_inspect`.
    - A JPEG is decoded at the smallest DCT scale whose result still covers the largest variant
      (its box swapped when the EXIF orientation turns the image by 90°).
    - An animation contributes its first frame only: the variants are still images.
    - EXIF orientation applied. Colours: CMYK to RGB through the embedded ICC profile when there
      is one (else Pillow's conversion); RGB with a non-sRGB ICC profile converted to sRGB;
      palette, grey or RGB with transparency to RGBA/LA (alpha kept, resized premultiplied);
      1-bit to L; 16-bit grey scaled to 8 bits (not clipped); a 1-, 2-, 4- or 16-bit grey tRNS
      colour kept as alpha (LA).
    - Each variant fitted within its box keeping the aspect ratio, never upscaled, never
      cropped; from the largest to the smallest, each resized from the one before.
    - WebP at the spec's quality, libwebp method `WEBP_METHOD`, without EXIF, XMP or ICC.
    """
    if not specs:
        return []
    formats = _formats(allowed_formats)
    try:
        with _pillow_errors(formats, max_pixels):
            image, shown = _decode(source, specs, formats, max_pixels)
    finally:
        source.seek(0)
    targets = [_fit(shown, (spec.width, spec.height)) for spec in specs]
    rendered: list[RenderedVariant | None] = [None] * len(specs)
    current = image
    # Largest first; the fitted sizes share one aspect ratio, so each fits inside the one before.
    for index in sorted(range(len(specs)), key=lambda i: targets[i], reverse=True):
        if current.size != targets[index]:
            current = _resize(current, targets[index])
        data = _webp(current, specs[index].quality)
        rendered[index] = RenderedVariant(specs[index].name, *current.size, data=data)
    return [variant for variant in rendered if variant is not None]


def variant_render(
    source: BinaryIO,
    spec: VariantSpec,
    *,
    allowed_formats: Sequence[str],
    max_pixels: int,
) -> RenderedVariant:
    """One variant, e.g. an on-demand size (M4): ``200x200`` means fitted within 200 x 200
    keeping the aspect ratio (a 4:3 photo gives 200 x 150), not cropped, never upscaled. Same
    decoding, conversions and refusals as `variants_render`."""
    (rendered,) = variants_render(
        source, [spec], allowed_formats=allowed_formats, max_pixels=max_pixels
    )
    return rendered


# --- internals --------------------------------------------------------------------------------


def _formats(allowed_formats: Sequence[str]) -> tuple[str, ...]:
    names = ("JPEG" if name.upper() == "JPG" else name.upper() for name in allowed_formats)
    formats = tuple(dict.fromkeys(names))
    if not formats:
        raise ValueError("no allowed image formats")
    unknown = [name for name in formats if name not in Image.OPEN]
    if unknown:
        Image.init()  # registers the plugins (nothing is parsed), then looks again
        unknown = [name for name in formats if name not in Image.OPEN]
    if unknown:
        raise ValueError(f"Pillow cannot open these formats: {', '.join(unknown)}")
    return formats


@contextmanager
def _pillow_errors(formats: tuple[str, ...], max_pixels: int) -> Iterator[None]:
    """Pillow's failures as `ImageRejected`; its bomb warning raised as an error meanwhile."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected.too_many_pixels(max_pixels) from exc
        except UnidentifiedImageError as exc:
            raise ImageRejected.not_an_image(formats) from exc
        except _PILLOW_ERRORS as exc:
            raise ImageRejected.truncated() from exc


@contextmanager
def _open(source: BinaryIO, formats: tuple[str, ...]) -> Iterator[Image.Image]:
    source.seek(0)
    # Pillow closes only files it opened itself: the caller's ``source`` stays open.
    with Image.open(source, formats=formats) as image:
        if _format_of(image) not in formats:  # an MPO is read by the JPEG plugin
            raise ImageRejected.not_an_image(formats)
        yield image


def _format_of(image: Image.Image) -> str:
    # Phones write JPEGs with a multi-picture (MPF) index; Pillow's JPEG plugin reads them as
    # "MPO". Its first picture is the photo: a JPEG for us.
    return "JPEG" if image.format == "MPO" else (image.format or "")


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ImageRejected.too_many_pixels(max_pixels)


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(ORIENTATION_TAG, 1)
    except _PILLOW_ERRORS:  # an unreadable EXIF block: shown as stored
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """``size`` scaled to fit within ``box``, aspect ratio kept (rounded half up), never up."""
    (width, height), (box_width, box_height) = size, box
    if width <= box_width and height <= box_height:
        return width, height
    if width * box_height >= height * box_width:  # wider than the box: the width limits
        return box_width, max(1, (2 * height * box_width + width) // (2 * width))
    return max(1, (2 * width * box_height + height) // (2 * height)), box_height


def _decode(
    source: BinaryIO,
    specs: Sequence[VariantSpec],
    formats: tuple[str, ...],
    max_pixels: int,
) -> tuple[Image.Image, tuple[int, int]]:
    """The first frame, upright, in a mode to resize (L, LA, RGB, RGBA), metadata dropped; and
    the displayed size at full resolution (the variants are fitted against that)."""
    with _open(source, formats) as image:
        stored = image.size
        _check_pixels(*stored, max_pixels)
        if _format_of(image) == "JPEG":
            orientation = _orientation(image)  # from the JPEG's header: nothing decoded yet
            shown = stored[::-1] if orientation in _SWAPPING_ORIENTATIONS else stored
            largest = max(_fit(shown, (spec.width, spec.height)) for spec in specs)
            needed = largest[::-1] if orientation in _SWAPPING_ORIENTATIONS else largest
            image.draft(image.mode, needed)  # libjpeg scales by 1/2, 1/4 or 1/8 while decoding
        grey_step = _low_bit_grey_step(image)
        image.load()  # the first frame
        if grey_step and isinstance(image.info.get("transparency"), int):
            image.info["transparency"] *= grey_step
        _check_pixels(*image.size, max_pixels)
        orientation = _orientation(image)
        shown = stored[::-1] if orientation in _SWAPPING_ORIENTATIONS else stored
        if orientation != 1:  # (an unreadable EXIF block counts as 1, as in image_inspect)
            ImageOps.exif_transpose(image, in_place=True)
        converted = _mode_for_resizing(image)
    converted.info = {}  # EXIF, XMP, ICC, comments: nothing travels to the variants
    return converted, shown


# Pillow reads a 2- or 4-bit grey PNG's pixels onto 0..255 but leaves its tRNS grey on the file's
# scale (3 is white in 2 bits): the value times this step is the transparent pixels' value.
_PNG_GREY_STEPS = {"L;2": 255 // 3, "L;4": 255 // 15}


def _low_bit_grey_step(image: Image.Image) -> int | None:
    """For a 2- or 4-bit grey PNG not yet loaded, what its tRNS value must be multiplied by."""
    if _format_of(image) != "PNG" or image.mode != "L" or not image.tile:
        return None
    rawmode = image.tile[0].args
    return _PNG_GREY_STEPS.get(rawmode) if isinstance(rawmode, str) else None


_SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _mode_for_resizing(image: Image.Image) -> Image.Image:
    """L, LA, RGB or RGBA (may be ``image`` itself)."""
    mode = image.mode
    if mode == "CMYK":
        return _to_srgb(image) or image.convert("RGB")
    if mode == "I" or mode.startswith("I;16"):
        # 16-bit grey: 0..65535 onto 0..255 (Pillow's convert("L") would clip at 255).
        wide = image.convert("I")
        grey = wide.point(lambda value: value * (1 / 257)).convert("L")
        transparent = image.info.get("transparency")
        if isinstance(transparent, int):  # a tRNS grey: matched on the 16-bit value, not 8
            grey.putalpha(_alpha_where_not(wide, transparent))
        return grey
    if mode == "1":
        # Pillow's "1" -> "LA" reads the tRNS value; "L" would drop it.
        return image.convert("LA" if image.has_transparency_data else "L")
    if mode in ("L", "LA", "RGB", "RGBA"):
        if mode in ("L", "RGB") and image.has_transparency_data:  # a tRNS colour
            return image.convert(mode + "A")
        if mode in ("RGB", "RGBA"):
            return _to_srgb(image) or image
        return image
    # P, PA, RGBa, YCbCr, LAB, ...
    return image.convert("RGBA" if image.has_transparency_data else "RGB")


def _alpha_where_not(wide: Image.Image, value: int) -> Image.Image:
    """An L mask of the "I" image ``wide``: 0 where a pixel equals ``value``, 255 elsewhere."""
    return ImageMath.lambda_eval(
        lambda env: env["convert"](255 - env["equal"](env["im"], value) * 255, "L"), im=wide
    )


def _to_srgb(image: Image.Image) -> Image.Image | None:
    """``image`` (CMYK, RGB or RGBA) converted to sRGB through its embedded ICC profile; None
    when it has none, it is sRGB already, or it cannot be used (the caller falls back)."""
    icc = image.info.get("icc_profile")
    if not icc:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if image.mode != "CMYK" and ImageCms.getProfileDescription(profile).startswith("sRGB"):
            return None
        if image.mode == "RGBA":
            converted = ImageCms.profileToProfile(
                image.convert("RGB"), profile, _SRGB_PROFILE, outputMode="RGB"
            )
            if converted is None:  # only with inPlace=True
                return None
            converted.putalpha(image.getchannel("A"))
            return converted
        return ImageCms.profileToProfile(image, profile, _SRGB_PROFILE, outputMode="RGB")
    except (ImageCms.PyCMSError, *_PILLOW_ERRORS):
        return None


def _resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    # Alpha is resized premultiplied (no dark fringes), and stays so along the cascade.
    if image.mode in ("RGBA", "LA"):
        image = image.convert({"RGBA": "RGBa", "LA": "La"}[image.mode])
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)


def _webp(image: Image.Image, quality: int) -> bytes:
    if image.mode == "RGBa":
        image = image.convert("RGBA")
    elif image.mode == "La":
        image = image.convert("LA")
    out = io.BytesIO()
    # Pillow's WebP writer takes metadata only from these arguments: empty, stated anyway.
    image.save(
        out, "WEBP", quality=quality, method=WEBP_METHOD, exif=b"", xmp=b"", icc_profile=None
    )
    return out.getvalue()


def _bytes_text(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.3g} MB"
    if count >= 1024:
        return f"{count / 1024:.3g} KB"
    return f"{count} bytes"

"""Small real images, made in memory with Pillow, and the bad inputs media must refuse (M1, M7).

Nothing is kept in the repository: every function builds its bytes (deterministically; the larger
ones are cached per process). `good_samples()` and `bad_samples()` list them with what is expected
of each, for the processing tests and for the upload API tests alike.

Orientation images are drawn as they should be *displayed*: a red block in the top-left corner,
the rest blue, wider than tall; the stored pixels are that picture turned so that applying the
EXIF orientation gives it back.
"""

from __future__ import annotations

import functools
import io
import random
import struct
import zlib
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageDraw

RED = (220, 20, 20)
BLUE = (30, 60, 200)
GREEN = (20, 180, 40)
ORIENTED_SIZE = (96, 64)  # as displayed
BLOCK = 32  # the red block's side, at the displayed top-left

# The transposition that turns the displayed picture into the stored one, per EXIF orientation
# (the inverse of what a viewer applies).
_STORED_FROM_DISPLAYED = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}

GPS_INFO = {1: "N", 2: (37.0, 33.0, 59.0), 3: "E", 4: (126.0, 58.0, 41.0)}  # Seoul
XMP_WITH_GPS = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="37,33.98N" '
    b'exif:GPSLongitude="126,58.68E"/></rdf:RDF></x:xmpmeta>'
)


@dataclass(frozen=True)
class Sample:
    """One upload: ``format`` (Pillow's name) and ``size`` (displayed) for an image we accept,
    ``code`` (an `ImageRejected` code) for one we refuse."""

    name: str
    filename: str
    content_type: str
    data: bytes
    format: str | None = None
    size: tuple[int, int] | None = None
    frames: int = 1
    code: str | None = None


def _save(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def _noise(size: tuple[int, int], seed: int, mode: str = "RGB") -> Image.Image:
    """Random pixels: they do not compress, so a file cut in half is cut in its pixel data."""
    bands = len(mode)
    return Image.frombytes(mode, size, random.Random(seed).randbytes(size[0] * size[1] * bands))


def displayed_picture(size: tuple[int, int] = ORIENTED_SIZE) -> Image.Image:
    """Blue, with a red block at the top-left: the upright picture the orientation tests expect."""
    image = Image.new("RGB", size, BLUE)
    block = max(1, min(size) // 2)
    image.paste(RED, (0, 0, block, block))
    return image


def stored_for(picture: Image.Image, orientation: int) -> Image.Image:
    """``picture`` as a camera would store it with EXIF ``orientation``."""
    method = _STORED_FROM_DISPLAYED[orientation]
    return picture if method is None else picture.transpose(method)


def _exif(orientation: int | None = None, gps: bool = False) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "InsightStock Test Camera"  # Make
    if orientation is not None:
        exif[0x0112] = orientation
    if gps:
        exif.get_ifd(0x8825).update(GPS_INFO)
    return exif.tobytes()


def jpeg_oriented(orientation: int) -> bytes:
    """A 96 x 64 (displayed) JPEG with EXIF ``orientation`` 1-8, red block displayed top-left."""
    stored = stored_for(displayed_picture(), orientation)
    return _save(stored, "JPEG", quality=95, exif=_exif(orientation))


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def jpeg_with_metadata() -> bytes:
    """A JPEG carrying what must never reach a variant: EXIF with a GPS position, XMP with a GPS
    position, an ICC profile, a comment."""
    image = displayed_picture((120, 80))
    return _save(
        image,
        "JPEG",
        quality=95,
        exif=_exif(1, gps=True),
        xmp=XMP_WITH_GPS,
        icc_profile=srgb_icc(),
        comment=b"shot at home",
    )


def jpeg_cmyk() -> bytes:
    """A CMYK JPEG (as print workflows export): red on the left half, blue on the right."""
    image = Image.new("CMYK", (64, 48), (0, 255, 255, 0))  # red
    image.paste((255, 200, 0, 0), (32, 0, 64, 48))  # blue
    return _save(image, "JPEG", quality=95)


def jpeg_mpo() -> bytes:
    """A JPEG with a multi-picture index (MPF), as phones write; Pillow calls it "MPO"."""
    first = displayed_picture((80, 60))
    return _save(first, "MPO", save_all=True, append_images=[first.resize((40, 30))])


def png_alpha() -> bytes:
    """An RGBA PNG: left half fully transparent, right half opaque green."""
    image = Image.new("RGBA", (64, 48), (0, 0, 0, 0))
    image.paste((*GREEN, 255), (32, 0, 64, 48))
    return _save(image, "PNG")


def gif_palette_transparent() -> bytes:
    """A palette GIF: index 0 transparent (left half), index 1 red (right half)."""
    image = Image.new("P", (64, 48), 0)
    image.putpalette([255, 255, 255, *RED] + [0, 0, 0] * 254)
    image.paste(1, (32, 0, 64, 48))
    return _save(image, "GIF", transparency=0)


def gif_animated(frames: int = 3, size: tuple[int, int] = (16, 12)) -> bytes:
    """An animated GIF of ``frames`` frames: red, green, blue, red, ... (the first is red)."""
    colours = [RED, GREEN, BLUE]
    images = [Image.new("RGB", size, colours[i % 3]) for i in range(frames)]
    return _save(images[0], "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)


def gif_noise_animated(frames: int = 6) -> bytes:
    """An animated GIF of grey noise frames (64 x 64): its bytes are mostly pixel data."""
    images = [_noise((64, 64), seed=10 + i, mode="L") for i in range(frames)]
    return _save(images[0], "GIF", save_all=True, append_images=images[1:], duration=100)


def png_16bit() -> bytes:
    """A 16-bit grey PNG: a left-to-right gradient over the whole 0..65535 range."""
    width, height = 256, 32
    row = b"".join((x * 257).to_bytes(2, "little") for x in range(width))
    return _save(Image.frombytes("I;16", (width, height), row * height), "PNG")


def webp() -> bytes:
    """A lossy RGB WebP, red block top-left."""
    return _save(displayed_picture((80, 60)), "WEBP", quality=90)


def webp_animated(frames: int = 3) -> bytes:
    colours = [RED, GREEN, BLUE]
    images = [Image.new("RGB", (16, 12), colours[i % 3]) for i in range(frames)]
    return _save(images[0], "WEBP", save_all=True, append_images=images[1:], duration=100)


@functools.lru_cache(maxsize=8)
def jpeg_large(orientation: int = 1, size: tuple[int, int] = (4000, 3000)) -> bytes:
    """A 12-megapixel photo-sized JPEG (``size`` as displayed) with EXIF ``orientation``: smooth
    gradients, a red block at the displayed top-left, some shapes; big enough for draft()."""
    width, height = size
    picture = Image.merge(
        "RGB",
        [
            Image.linear_gradient("L").resize(size),
            Image.linear_gradient("L").rotate(90).resize(size),
            Image.radial_gradient("L").resize(size),
        ],
    )
    draw = ImageDraw.Draw(picture)
    for i in range(12):
        x, y = (i * 331) % width, (i * 197) % height
        draw.ellipse((x, y, x + width // 8, y + height // 8), fill=(i * 20, 255 - i * 20, 128))
    draw.rectangle((0, 0, width // 4, height // 4), fill=RED)
    stored = stored_for(picture, orientation)
    return _save(stored, "JPEG", quality=85, exif=_exif(orientation))


# --- bad inputs -------------------------------------------------------------------------------


def empty() -> bytes:
    return b""


def text() -> bytes:
    return "종목 메모: 삼성전자 005930 매수\nnot an image at all\n".encode() * 20


def executable() -> bytes:
    """An ELF header and junk, as a program renamed to photo.jpg would start."""
    header = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + struct.pack("<HHI", 2, 0x3E, 1)
    return header + random.Random(7).randbytes(4000)


def jpeg_noise() -> bytes:
    """A 256 x 256 JPEG of noise: about 100 KB of entropy-coded data."""
    return _save(_noise((256, 256), seed=1), "JPEG", quality=90)


def png_noise() -> bytes:
    return _save(_noise((256, 256), seed=2), "PNG")


def truncated(data: bytes) -> bytes:
    """The first half of ``data``: an upload cut off mid-way."""
    return data[: len(data) // 2]


@functools.lru_cache(maxsize=8)
def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of ``width`` x ``height`` black pixels: a few KB claiming millions of
    pixels (a decompression bomb). Built chunk by chunk, never held decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    row = bytes(1 + (width + 7) // 8)  # filter byte 0, then zero bits
    compressor = zlib.compressobj(9)
    rows_per_piece = max(1, (1 << 22) // len(row))
    parts = []
    for start in range(0, height, rows_per_piece):
        parts.append(compressor.compress(row * min(rows_per_piece, height - start)))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", b"".join(parts))
        + chunk(b"IEND", b"")
    )


def bmp() -> bytes:
    """A valid BMP: Pillow reads it, we must not even try."""
    return _save(displayed_picture((32, 24)), "BMP")


def tiff() -> bytes:
    return _save(displayed_picture((32, 24)), "TIFF")


def oversized(min_bytes: int) -> bytes:
    """A valid JPEG of at least ``min_bytes`` (padding after its end marker, which decoders
    ignore): only the size limit refuses it."""
    data = _save(displayed_picture((32, 24)), "JPEG")
    return data + bytes(max(0, min_bytes - len(data)))


# --- catalogues -------------------------------------------------------------------------------


def good_samples() -> list[Sample]:
    """Images we accept, with their expected format, displayed size and frame count."""
    oriented = [
        Sample(
            f"jpeg-orientation-{o}",
            f"oriented-{o}.jpg",
            "image/jpeg",
            jpeg_oriented(o),
            "JPEG",
            ORIENTED_SIZE,
        )
        for o in range(1, 9)
    ]
    return [
        *oriented,
        Sample("jpeg-gps", "gps.jpg", "image/jpeg", jpeg_with_metadata(), "JPEG", (120, 80)),
        Sample("jpeg-cmyk", "cmyk.jpg", "image/jpeg", jpeg_cmyk(), "JPEG", (64, 48)),
        Sample("jpeg-mpo", "phone.jpg", "image/jpeg", jpeg_mpo(), "JPEG", (80, 60)),
        Sample("png-alpha", "alpha.png", "image/png", png_alpha(), "PNG", (64, 48)),
        Sample("gif-palette", "p.gif", "image/gif", gif_palette_transparent(), "GIF", (64, 48)),
        Sample("gif-animated", "a.gif", "image/gif", gif_animated(3), "GIF", (16, 12), frames=3),
        Sample("png-16bit", "16bit.png", "image/png", png_16bit(), "PNG", (256, 32)),
        Sample("webp", "photo.webp", "image/webp", webp(), "WEBP", (80, 60)),
        Sample("webp-animated", "a.webp", "image/webp", webp_animated(3), "WEBP", (16, 12), 3),
        Sample("png-named-jpg", "really-png.jpg", "image/jpeg", png_alpha(), "PNG", (64, 48)),
    ]


def bad_samples(*, max_frames: int) -> list[Sample]:
    """Uploads we refuse, with their `ImageRejected` code, under the default limits
    (MEDIA_MAX_PIXELS of 50 megapixels or less). The oversize case depends on the byte limit:
    see `oversized`."""
    return [
        Sample("empty", "empty.jpg", "image/jpeg", empty(), code="empty"),
        Sample("text", "notes.jpg", "image/jpeg", text(), code="not_an_image"),
        Sample("executable", "photo.jpg", "image/jpeg", executable(), code="not_an_image"),
        Sample("bmp", "old.bmp", "image/bmp", bmp(), code="not_an_image"),
        Sample("tiff", "scan.tiff", "image/tiff", tiff(), code="not_an_image"),
        Sample(
            "jpeg-truncated", "cut.jpg", "image/jpeg", truncated(jpeg_noise()), code="truncated"
        ),
        Sample("png-truncated", "cut.png", "image/png", truncated(png_noise()), code="truncated"),
        Sample(
            "gif-truncated",
            "cut.gif",
            "image/gif",
            truncated(gif_noise_animated(6)),
            code="truncated",
        ),
        Sample(
            "png-bomb", "bomb.png", "image/png", png_bomb(20_000, 20_000), code="too_many_pixels"
        ),
        Sample(
            "gif-too-many-frames",
            "long.gif",
            "image/gif",
            gif_animated(max_frames + 1),
            code="too_many_frames",
        ),
    ]

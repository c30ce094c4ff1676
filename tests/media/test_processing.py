"""media.processing on the corpus of tests/media/corpus.py: facts, orientation, metadata, colour
modes, sizes, and every bad input refused with its code (M1, M2, M4, M7). No database."""

from __future__ import annotations

import io
import pickle
import warnings
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from PIL import BmpImagePlugin, Image, JpegImagePlugin, TiffImagePlugin

from media import processing
from media.processing import (
    ImageFacts,
    ImageRejected,
    RenderedVariant,
    VariantSpec,
    default_variant_specs,
    image_inspect,
    size_parse,
    variant_render,
    variant_spec_on_demand,
    variants_render,
)
from tests.media import corpus

FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 50_000_000
MAX_FRAMES = 100
SPECS = [
    VariantSpec("thumbnail", 400, 300, 70),
    VariantSpec("preview", 800, 800, 80),
    VariantSpec("full", 1920, 1080, 85),
]

GOOD = corpus.good_samples()
BAD = corpus.bad_samples(max_frames=MAX_FRAMES)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The messages are asserted in English (the site's default language is Korean)."""
    with translation.override("en"):
        yield


def inspect(data: bytes, **limits: int) -> ImageFacts:
    params = {"max_bytes": MAX_BYTES, "max_pixels": MAX_PIXELS, "max_frames": MAX_FRAMES}
    params.update(limits)
    return image_inspect(io.BytesIO(data), size_bytes=len(data), allowed_formats=FORMATS, **params)


def render(data: bytes, specs=SPECS, max_pixels: int = MAX_PIXELS) -> list[RenderedVariant]:
    return variants_render(io.BytesIO(data), specs, allowed_formats=FORMATS, max_pixels=max_pixels)


def opened(variant: RenderedVariant) -> Image.Image:
    image = Image.open(io.BytesIO(variant.data))
    image.load()
    return image


def close_to(pixel, expected, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=False))


# --- accepted images --------------------------------------------------------------------------


@pytest.mark.parametrize("sample", GOOD, ids=[s.name for s in GOOD])
def test_facts_of_each_accepted_image(sample: corpus.Sample) -> None:
    facts = inspect(sample.data)

    assert (facts.format, (facts.width, facts.height), facts.frames) == (
        sample.format,
        sample.size,
        sample.frames,
    )


@pytest.mark.parametrize("sample", GOOD, ids=[s.name for s in GOOD])
def test_every_accepted_image_renders_webp_variants_without_metadata(sample) -> None:
    variants = render(sample.data)

    assert [v.name for v in variants] == ["thumbnail", "preview", "full"]
    for variant in variants:
        image = opened(variant)
        assert image.format == "WEBP"
        assert image.size == (variant.width, variant.height)
        assert image.mode in ("RGB", "RGBA")
        assert not {"exif", "xmp", "icc_profile"} & set(image.info)
        assert not image.getexif()


def test_inspect_leaves_the_source_at_its_start() -> None:
    source = io.BytesIO(corpus.jpeg_oriented(6))

    image_inspect(
        source,
        size_bytes=len(source.getvalue()),
        allowed_formats=FORMATS,
        max_bytes=MAX_BYTES,
        max_pixels=MAX_PIXELS,
        max_frames=MAX_FRAMES,
    )

    assert source.tell() == 0
    assert not source.closed


def test_facts_mode_is_the_stored_one() -> None:
    assert inspect(corpus.jpeg_cmyk()).mode == "CMYK"
    assert inspect(corpus.gif_palette_transparent()).mode == "P"
    assert inspect(corpus.png_16bit()).mode.startswith("I")


@pytest.mark.parametrize("orientation", range(1, 9))
def test_each_exif_orientation_comes_out_upright(orientation: int) -> None:
    data = corpus.jpeg_oriented(orientation)

    (full,) = render(data, [VariantSpec("full", 1920, 1080, 90)])
    image = opened(full).convert("RGB")

    width, height = corpus.ORIENTED_SIZE
    assert image.size == (width, height)  # turned back to landscape where it was stored rotated
    inset = 6
    corners = {
        "top-left": (inset, inset),
        "top-right": (width - inset, inset),
        "bottom-left": (inset, height - inset),
        "bottom-right": (width - inset, height - inset),
    }
    red = {name for name, xy in corners.items() if close_to(image.getpixel(xy), corpus.RED)}
    assert red == {"top-left"}


def test_orientation_swaps_the_fitted_sizes_of_a_large_photo() -> None:
    data = corpus.jpeg_large(orientation=6, size=(3000, 4000))  # stored 4000 x 3000

    assert (inspect(data).width, inspect(data).height) == (3000, 4000)
    sizes = {v.name: (v.width, v.height) for v in render(data)}
    assert sizes == {"thumbnail": (225, 300), "preview": (600, 800), "full": (810, 1080)}
    thumbnail = opened(render(data, [SPECS[0]])[0]).convert("RGB")
    assert close_to(thumbnail.getpixel((10, 10)), corpus.RED)  # still upright after draft


def test_variants_are_fitted_in_their_boxes() -> None:
    variants = render(corpus.jpeg_large())

    assert [(v.name, v.width, v.height) for v in variants] == [
        ("thumbnail", 400, 300),
        ("preview", 800, 600),
        ("full", 1440, 1080),
    ]
    assert all(opened(v).size == (v.width, v.height) for v in variants)


def test_variants_come_back_in_the_order_asked() -> None:
    specs = [SPECS[2], SPECS[0], VariantSpec("200x200", 200, 200, 80), SPECS[1]]

    assert [v.name for v in render(corpus.jpeg_large(), specs)] == [
        "full",
        "thumbnail",
        "200x200",
        "preview",
    ]


def test_a_small_image_is_never_upscaled() -> None:
    variants = render(corpus.webp())

    assert {(v.width, v.height) for v in variants} == {(80, 60)}


def test_a_wide_panorama_is_limited_by_its_width() -> None:
    data = corpus.jpeg_large(size=(4000, 500))

    sizes = [(v.width, v.height) for v in render(data)]

    assert sizes == [(400, 50), (800, 100), (1920, 240)]


def test_jpeg_is_decoded_once_at_the_smallest_dct_scale_covering_the_largest_variant(
    monkeypatch,
) -> None:
    drafts: list[tuple[tuple[int, int], tuple[int, int]]] = []
    loads: list[tuple[int, int]] = []
    original_draft = JpegImagePlugin.JpegImageFile.draft
    original_load = JpegImagePlugin.JpegImageFile.load

    def draft(self, mode, size):
        before = self.size
        result = original_draft(self, mode, size)
        drafts.append((before, self.size))
        return result

    def load(self):
        if self.tile:  # decoding, not a no-op on a loaded image
            loads.append(self.size)
        return original_load(self)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", draft)
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", load)
    data = corpus.jpeg_large()

    render(data)  # the largest variant is 1440 x 1080: libjpeg's 1/2 scale covers it
    assert drafts == [((4000, 3000), (2000, 1500))]
    assert loads == [(2000, 1500)]  # one decode for all three variants

    drafts.clear()
    loads.clear()
    (small,) = render(data, [VariantSpec("200x200", 200, 200, 80)])  # 1/8: 500 x 375
    assert drafts == [((4000, 3000), (500, 375))]
    assert (small.width, small.height) == (200, 150)

    drafts.clear()
    inspect(data)  # proving the file complete decodes at 1/8 as well
    assert drafts == [((4000, 3000), (500, 375))]

    # Stored 4000 x 2000, shown 2000 x 4000 (orientation 6): full is 540 x 1080, so the decode
    # must cover 1080 x 540 of the stored pixels: 1/2 scale. Unswapped it would take 1/1.
    drafts.clear()
    (full,) = render(corpus.jpeg_large(orientation=6, size=(2000, 4000)), [SPECS[2]])
    assert drafts == [((4000, 2000), (2000, 1000))]
    assert (full.width, full.height) == (540, 1080)


def test_gps_exif_xmp_and_icc_are_stripped() -> None:
    data = corpus.jpeg_with_metadata()
    with Image.open(io.BytesIO(data)) as source:  # the corpus does carry them
        assert source.getexif().get_ifd(0x8825)
        assert {"exif", "xmp", "icc_profile"} <= set(source.info)

    for variant in render(data):
        assert b"GPS" not in variant.data
        assert b"Exif" not in variant.data
        assert b"xmpmeta" not in variant.data
        chunks = _webp_chunks(variant.data)
        assert not {b"EXIF", b"XMP ", b"ICCP"} & set(chunks)
        image = opened(variant)
        assert not image.getexif().get_ifd(0x8825)
        assert "comment" not in image.info


def _webp_chunks(data: bytes) -> list[bytes]:
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    chunks, offset = [], 12
    while offset + 8 <= len(data):
        kind, size = (
            data[offset : offset + 4],
            int.from_bytes(data[offset + 4 : offset + 8], "little"),
        )
        chunks.append(kind)
        offset += 8 + size + (size & 1)
    return chunks


def test_png_alpha_is_kept() -> None:
    (full,) = render(corpus.png_alpha(), [SPECS[2]])
    image = opened(full)

    assert image.mode == "RGBA"
    assert image.getpixel((5, 5))[3] == 0  # transparent half
    assert image.getpixel((60, 40))[3] == 255
    assert close_to(image.getpixel((60, 40))[:3], corpus.GREEN)


def test_alpha_survives_resizing_without_dark_fringes() -> None:
    (small,) = render(corpus.png_alpha(), [VariantSpec("t", 32, 24, 90)])
    image = opened(small)

    assert image.mode == "RGBA"
    assert image.getpixel((2, 12))[3] == 0
    # Next to the transparent half an opaque pixel keeps its colour (premultiplied resizing).
    pixel = image.getpixel((18, 12))
    assert pixel[3] > 200 and close_to(pixel[:3], corpus.GREEN, 50)


def test_palette_gif_transparency_is_kept() -> None:
    (full,) = render(corpus.gif_palette_transparent(), [SPECS[2]])
    image = opened(full)

    assert image.mode == "RGBA"
    assert image.getpixel((5, 5))[3] == 0
    assert image.getpixel((60, 40))[3] == 255
    assert close_to(image.getpixel((60, 40))[:3], corpus.RED)


def _png_with_trns(mode: str, left: int, right: int, transparent: int) -> bytes:
    """A 64x32 PNG of ``mode``: ``left`` on the left half, ``right`` on the right, and a tRNS
    chunk naming ``transparent`` as the see-through grey."""
    image = Image.new(mode, (64, 32), right)
    for x in range(32):  # (Pillow's paste of a 16-bit value writes its low byte twice)
        for y in range(32):
            image.putpixel((x, y), left)
    out = io.BytesIO()
    image.save(out, "PNG", transparency=transparent)
    reopened = Image.open(io.BytesIO(out.getvalue()))
    assert (reopened.mode, reopened.has_transparency_data) == (mode, True)  # what we meant
    return out.getvalue()


def test_one_bit_png_tRNS_colour_stays_transparent() -> None:  # noqa: N802 - the chunk's name
    (full,) = render(_png_with_trns("1", left=1, right=0, transparent=1), [SPECS[2]])
    image = opened(full).convert("RGBA")

    assert opened(full).mode == "RGBA"  # the variant carries alpha
    assert image.getpixel((5, 16))[3] == 0  # white was the tRNS colour: see-through
    assert image.getpixel((60, 16)) == (0, 0, 0, 255)  # black stays opaque


def test_sixteen_bit_grey_png_tRNS_colour_stays_transparent() -> None:  # noqa: N802
    # 1000 and 1001 are the same grey in 8 bits: only the 16-bit value tells them apart.
    (full,) = render(_png_with_trns("I;16", left=1000, right=1001, transparent=1000), [SPECS[2]])
    image = opened(full).convert("RGBA")

    assert opened(full).mode == "RGBA"
    assert image.getpixel((5, 16))[3] == 0
    assert image.getpixel((60, 16))[3] == 255
    assert close_to(image.getpixel((60, 16))[:3], (4, 4, 4), 3)  # 1001 / 257, scaled


@pytest.mark.parametrize(("bits", "left", "right"), [(2, 255, 0), (4, 85, 170)])
def test_two_and_four_bit_grey_png_tRNS_colour_stays_transparent(  # noqa: N802
    bits: int, left: int, right: int
) -> None:
    """The tRNS grey of a 2- or 4-bit PNG is on the file's scale (3 is white in 2 bits) while
    Pillow reads its pixels onto 0..255."""
    image = Image.new("L", (64, 32), right)
    image.paste(left, (0, 0, 32, 32))
    out = io.BytesIO()
    image.save(out, "PNG", bits=bits, transparency=left * (2**bits - 1) // 255)
    assert Image.open(io.BytesIO(out.getvalue())).tile[0].args == f"L;{bits}"  # what we meant

    (full,) = render(out.getvalue(), [SPECS[2]])
    rendered = opened(full).convert("RGBA")

    assert opened(full).mode == "RGBA"
    assert rendered.getpixel((5, 16))[3] == 0
    assert rendered.getpixel((60, 16)) == (right, right, right, 255)


def test_cmyk_is_converted_to_rgb_with_its_colours() -> None:
    (full,) = render(corpus.jpeg_cmyk(), [SPECS[2]])
    image = opened(full)

    assert image.mode == "RGB"
    assert close_to(image.getpixel((8, 24)), (255, 0, 0), 50)  # C0 M255 Y255 K0: red
    red, green, blue = image.getpixel((56, 24))  # C255 M200 Y0 K0: blue
    assert blue > 150 and red < 60 and green < 100


def test_sixteen_bit_grey_is_scaled_not_clipped() -> None:
    (full,) = render(corpus.png_16bit(), [SPECS[2]])
    image = opened(full).convert("L")

    assert image.size == (256, 32)
    assert image.getpixel((2, 16)) < 20
    assert 110 <= image.getpixel((128, 16)) <= 146  # half of 65535: half of 255
    assert image.getpixel((253, 16)) > 235
    low, high = image.getextrema()
    assert high - low > 200


def test_an_animation_gives_its_first_frame() -> None:
    assert inspect(corpus.gif_animated(3)).frames == 3

    for data in (corpus.gif_animated(3), corpus.webp_animated(3)):
        (full,) = render(data, [SPECS[2]])
        image = opened(full)
        assert getattr(image, "n_frames", 1) == 1
        assert close_to(image.convert("RGB").getpixel((8, 6)), corpus.RED)


def test_a_phone_jpeg_with_a_multi_picture_index_is_a_jpeg() -> None:
    facts = inspect(corpus.jpeg_mpo())

    assert (facts.format, facts.frames) == ("JPEG", 1)
    assert render(corpus.jpeg_mpo(), [SPECS[0]])[0].width == 80


def test_the_extension_does_not_matter_only_the_content() -> None:
    sample = next(s for s in GOOD if s.name == "png-named-jpg")

    assert sample.filename.endswith(".jpg") and inspect(sample.data).format == "PNG"


def test_variant_render_fits_an_on_demand_size_without_cropping() -> None:
    variant = variant_render(
        io.BytesIO(corpus.jpeg_large()),
        VariantSpec("200x200", 200, 200, 80),
        allowed_formats=FORMATS,
        max_pixels=MAX_PIXELS,
    )

    assert (variant.name, variant.width, variant.height) == ("200x200", 200, 150)
    assert opened(variant).size == (200, 150)


# --- specs from settings ----------------------------------------------------------------------


def test_default_specs_come_from_settings(settings) -> None:
    settings.MEDIA_THUMBNAIL_SIZE = "320x240"
    settings.MEDIA_THUMBNAIL_QUALITY = 60

    specs = default_variant_specs()

    assert specs == [
        VariantSpec("thumbnail", 320, 240, 60),
        VariantSpec("preview", *size_parse(settings.MEDIA_PREVIEW_SIZE), 80),
        VariantSpec("full", settings.MEDIA_MAX_WIDTH, settings.MEDIA_MAX_HEIGHT, 85),
    ]


def test_default_specs_match_the_product_defaults() -> None:
    assert [(s.name, s.width, s.height, s.quality) for s in default_variant_specs()] == [
        ("thumbnail", 400, 300, settings.MEDIA_THUMBNAIL_QUALITY),
        ("preview", 800, 800, settings.MEDIA_PREVIEW_QUALITY),
        ("full", 1920, 1080, settings.MEDIA_FULL_QUALITY),
    ]


def test_on_demand_specs_only_for_configured_sizes() -> None:
    spec = variant_spec_on_demand("200x200")

    assert spec == VariantSpec("200x200", 200, 200, settings.MEDIA_ON_DEMAND_QUALITY)
    with pytest.raises(ValueError):
        variant_spec_on_demand("201x200")
    with pytest.raises(ValueError):
        variant_spec_on_demand("huge")


@pytest.mark.parametrize("text", ["", "400", "400x", "x300", "0x300", "-4x3", "4x3x2", "ax3"])
def test_size_parse_refuses_what_is_not_a_size(text: str) -> None:
    with pytest.raises(ValueError):
        size_parse(text)


def test_a_spec_must_be_sensible() -> None:
    with pytest.raises(ValueError):
        VariantSpec("bad", 0, 10, 80)
    with pytest.raises(ValueError):
        VariantSpec("bad", 10, 10, 101)


# --- refused inputs ---------------------------------------------------------------------------


@pytest.mark.parametrize("sample", BAD, ids=[s.name for s in BAD])
def test_each_bad_input_is_refused_with_its_code(sample: corpus.Sample) -> None:
    with pytest.raises(ImageRejected) as caught:
        inspect(sample.data)

    assert caught.value.code == sample.code
    assert str(caught.value).endswith(".")


# Rendering has no byte or frame limit (inspection refused those) and reads the first frame only,
# so a GIF cut after its first frame renders; everything else is refused alike.
RENDER_REFUSES = [s for s in BAD if s.name not in ("empty", "gif-too-many-frames", "gif-truncated")]


@pytest.mark.parametrize("sample", RENDER_REFUSES, ids=[s.name for s in RENDER_REFUSES])
def test_rendering_refuses_what_inspecting_refuses(sample: corpus.Sample) -> None:
    with pytest.raises(ImageRejected) as caught:
        render(sample.data, [SPECS[0]])

    assert caught.value.code == sample.code


def test_rendering_an_empty_file_is_not_an_image() -> None:
    with pytest.raises(ImageRejected) as caught:
        render(b"", [SPECS[0]])

    assert caught.value.code == "not_an_image"


class Unreadable(io.BytesIO):
    def read(self, *args):
        raise AssertionError("read")

    def seek(self, *args):
        raise AssertionError("seek")


def test_a_file_over_the_byte_limit_is_refused_before_reading() -> None:
    data = corpus.oversized(20_000)

    with pytest.raises(ImageRejected) as caught:
        image_inspect(
            Unreadable(data),
            size_bytes=len(data),
            allowed_formats=FORMATS,
            max_bytes=10_000,
            max_pixels=MAX_PIXELS,
            max_frames=MAX_FRAMES,
        )

    assert caught.value.code == "too_large"
    assert str(caught.value) == "The file is too large: the limit is 9.77 KB."
    assert inspect(data).format == "JPEG"  # the same file under a larger limit is fine


def test_zero_bytes_is_empty_and_nothing_is_read() -> None:
    with pytest.raises(ImageRejected) as caught:
        image_inspect(
            Unreadable(b""),
            size_bytes=0,
            allowed_formats=FORMATS,
            max_bytes=MAX_BYTES,
            max_pixels=MAX_PIXELS,
            max_frames=MAX_FRAMES,
        )
    assert caught.value.code == "empty"


def test_our_pixel_limit_is_checked_from_the_header() -> None:
    data = corpus.jpeg_large()  # 12 megapixels

    with pytest.raises(ImageRejected) as caught:
        inspect(data, max_pixels=10_000_000)
    assert caught.value.code == "too_many_pixels"
    assert "10 megapixels" in str(caught.value)
    with pytest.raises(ImageRejected):
        render(data, max_pixels=10_000_000)


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (8_000, 8_000),  # 64 MP: over our 50, under Pillow's own limit
        (10_000, 10_000),  # 100 MP: Pillow warns (DecompressionBombWarning)
        (20_000, 20_000),  # 400 MP: Pillow raises DecompressionBombError
    ],
)
def test_decompression_bombs_are_too_many_pixels(width: int, height: int) -> None:
    data = corpus.png_bomb(width, height)
    assert len(data) < 100_000

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning escapes either
        with pytest.raises(ImageRejected) as caught:
            inspect(data)
        with pytest.raises(ImageRejected) as rendering:
            render(data)

    assert caught.value.code == rendering.value.code == "too_many_pixels"


def test_pillows_bomb_warning_is_an_error_even_under_a_higher_limit_of_ours() -> None:
    data = corpus.png_bomb(10_000, 10_000)
    pillow_limit = Image.MAX_IMAGE_PIXELS
    filters = list(warnings.filters)

    with pytest.raises(ImageRejected) as caught:
        inspect(data, max_pixels=10**9)

    assert caught.value.code == "too_many_pixels"
    assert pillow_limit == Image.MAX_IMAGE_PIXELS  # the process-wide limit is untouched
    assert warnings.filters == filters  # and so are the warning filters


def test_truncated_animation_is_caught_on_its_last_frame() -> None:
    data = corpus.truncated(corpus.gif_noise_animated(6))

    with pytest.raises(ImageRejected) as caught:
        inspect(data)
    assert caught.value.code == "truncated"


def test_a_long_animation_over_the_decode_budget_is_checked_by_its_first_frame() -> None:
    data = corpus.gif_noise_animated(6)  # 6 x 64 x 64 pixels

    facts = inspect(data, max_pixels=10_000)  # one frame fits, all six do not

    assert facts.frames == 6


@pytest.mark.parametrize(
    ("data", "plugin"),
    [(corpus.bmp(), BmpImagePlugin.BmpImageFile), (corpus.tiff(), TiffImagePlugin.TiffImageFile)],
    ids=["bmp", "tiff"],
)
def test_a_format_we_do_not_accept_never_reaches_its_decoder(monkeypatch, data, plugin) -> None:
    with Image.open(io.BytesIO(data)) as image:  # Pillow itself would read it
        assert isinstance(image, plugin)

    def refuse(self):
        raise AssertionError(f"{plugin.__name__} was asked to parse an upload")

    monkeypatch.setattr(plugin, "_open", refuse)

    with pytest.raises(ImageRejected) as caught:
        inspect(data)
    assert caught.value.code == "not_an_image"
    with pytest.raises(ImageRejected):
        render(data)


def test_allowed_formats_are_the_callers() -> None:
    with pytest.raises(ImageRejected) as caught:
        image_inspect(
            io.BytesIO(corpus.webp()),
            size_bytes=len(corpus.webp()),
            allowed_formats=["jpeg", "png"],
            max_bytes=MAX_BYTES,
            max_pixels=MAX_PIXELS,
            max_frames=MAX_FRAMES,
        )

    assert caught.value.code == "not_an_image"
    assert "(JPEG, PNG)" in str(caught.value)


def test_an_unknown_allowed_format_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="NOPE") as caught:
        variants_render(
            io.BytesIO(corpus.webp()), [SPECS[0]], allowed_formats=["NOPE"], max_pixels=1
        )
    assert not isinstance(caught.value, ImageRejected)  # a 500 for the operator, not a 4xx


def test_rejection_messages_are_translatable_and_pickle() -> None:
    rejected = ImageRejected.too_many_frames(100)

    assert rejected.code == "too_many_frames"
    assert str(rejected) == "The animation has too many frames: the limit is 100."
    assert isinstance(rejected.message, Promise)  # translated when shown, in the user's language
    again = pickle.loads(pickle.dumps(rejected))  # noqa: S301 - our own bytes
    assert (again.code, str(again)) == (rejected.code, str(rejected))
    assert isinstance(rejected, ValueError)
    assert set(processing.REJECTION_CODES) == {
        "empty",
        "too_large",
        "not_an_image",
        "truncated",
        "too_many_pixels",
        "too_many_frames",
    }

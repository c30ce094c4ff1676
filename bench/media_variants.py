"""Media variants (M1, M2): the three WebP variants of a 12-megapixel JPEG, a naive Pillow pipeline
against `media.processing.variants_render`, measured in one run.

One generated 4000 x 3000 JPEG, photo-like (gradients, soft shapes, fine and coarse grain, so it
is not trivially small), the product's default variants (thumbnail 400x300 q70, preview 800x800
q80, full 1920x1080 q85; WebP method 4 everywhere). Pipelines:

- naive: `Image.open`, full decode (`exif_transpose`), then per variant `copy()` + `resize()` to
  the fitted size with LANCZOS + save;
- naive with `thumbnail()`: the same, per variant `copy()` + `thumbnail(box, LANCZOS)` (Pillow's
  default ``reducing_gap=2`` lets it `reduce()` first);
- ours: `variants_render`: libjpeg decodes at the smallest DCT scale still covering the largest
  variant (1/2 here), once, and each variant is resized from the one before.

Each pipeline runs in fresh child processes (rounds alternate between pipelines): an untimed first
run whose peak RSS over the process's idle baseline (/proc's VmHWM - VmRSS: Pillow's pixel buffers
live outside Python's allocator) is the memory figure, then timed runs, then one run under
tracemalloc (Python objects only: the input and output bytes). The full-size variants are compared
with a reference (full decode, one LANCZOS resize, not encoded) by PSNR. No database.

    python -m bench.media_variants measure PIPELINE JPEG_PATH OUT_DIR   # prints one JSON line
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

SIZE = (4000, 3000)
JPEG_QUALITY = 90
SEED = 20_261_123
# (name, box width, box height, WebP quality): the settings' defaults (config/settings/media.py).
VARIANTS = [("thumbnail", 400, 300, 70), ("preview", 800, 800, 80), ("full", 1920, 1080, 85)]
WEBP_METHOD = 4
ROUNDS = 3  # child processes per pipeline, alternating
REPEATS = 4  # timed runs per child, after one untimed
PIPELINES = {
    "naive": "naive: full decode, `copy()` + `resize(LANCZOS)` per variant",
    "naive_thumbnail": "naive with `thumbnail()`: full decode, `copy()` + `thumbnail(LANCZOS)` "
    "per variant",
    "ours": "`variants_render`: DCT-scaled decode once, variants cascaded",
}


# --- the input --------------------------------------------------------------------------------


def photo_jpeg(size: tuple[int, int] = SIZE) -> bytes:
    """A deterministic photo-like JPEG: smooth light, soft-edged shapes, coarse texture and fine
    grain (a flat synthetic image would make every decoder look fast)."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(SEED)
    width, height = size
    light = Image.merge(
        "RGB",
        [
            Image.linear_gradient("L").resize(size),
            Image.radial_gradient("L").resize(size),
            Image.linear_gradient("L").rotate(90).resize(size),
        ],
    )
    shapes = Image.new("RGB", size, (90, 110, 80))
    draw = ImageDraw.Draw(shapes)
    for _ in range(60):
        x, y = rng.randrange(width), rng.randrange(height)
        w, h = rng.randrange(width // 20, width // 4), rng.randrange(height // 20, height // 4)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x, y, x + w, y + h), fill=colour)
    shapes = shapes.filter(ImageFilter.GaussianBlur(6))
    picture = Image.blend(light, shapes, 0.6)
    coarse_size = (width // 8, height // 8)
    coarse = Image.frombytes("RGB", coarse_size, rng.randbytes(coarse_size[0] * coarse_size[1] * 3))
    picture = Image.blend(picture, coarse.resize(size, Image.Resampling.BICUBIC), 0.18)
    grain = Image.frombytes("L", size, rng.randbytes(width * height)).convert("RGB")
    picture = Image.blend(picture, grain, 0.06)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


# --- the pipelines (the naive ones live here, not in product code) ------------------------------


def _fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    scale = min(box[0] / size[0], box[1] / size[1], 1.0)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _save_webp(image: Any, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", quality=quality, method=WEBP_METHOD)
    return out.getvalue()


def naive(data: bytes) -> dict[str, bytes]:
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))  # full decode, upright copy
    outputs = {}
    for name, width, height, quality in VARIANTS:
        variant = image.copy().resize(_fit(image.size, (width, height)), Image.Resampling.LANCZOS)
        outputs[name] = _save_webp(variant, quality)
    return outputs


def naive_thumbnail(data: bytes) -> dict[str, bytes]:
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))  # full decode, upright copy
    outputs = {}
    for name, width, height, quality in VARIANTS:
        variant = image.copy()
        variant.thumbnail((width, height), Image.Resampling.LANCZOS)
        outputs[name] = _save_webp(variant, quality)
    return outputs


def ours(data: bytes) -> dict[str, bytes]:
    from media.processing import VariantSpec, variants_render

    specs = [VariantSpec(*variant) for variant in VARIANTS]
    rendered = variants_render(
        io.BytesIO(data), specs, allowed_formats=("JPEG",), max_pixels=50_000_000
    )
    return {variant.name: variant.data for variant in rendered}


# --- one child: one pipeline ------------------------------------------------------------------


def _memory_kb(field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of this process, in KB. ``ru_maxrss`` would not do: Linux
    carries the parent's high-water mark over a (v)fork + exec, so a child starts at the parent's
    peak. Without /proc, ``ru_maxrss`` is the fallback."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(pipeline: str, jpeg_path: str, out_dir: str) -> dict[str, Any]:
    from PIL import Image  # noqa: F401 - imported before the baseline, as in a worker

    import media.processing  # noqa: F401

    render: Callable[[bytes], dict[str, bytes]] = {
        "naive": naive,
        "naive_thumbnail": naive_thumbnail,
        "ours": ours,
    }[pipeline]
    data = Path(jpeg_path).read_bytes()
    baseline = _memory_kb("VmRSS")
    with contextlib.suppress(OSError):  # the peak restarts from here (Linux 4.0+)
        Path("/proc/self/clear_refs").write_text("5")
    outputs = render(data)  # untimed, in a fresh process: its peak is the memory figure
    peak = _memory_kb("VmHWM")
    seconds = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        render(data)
        seconds.append(time.perf_counter() - began)
    tracemalloc.start()
    render(data)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    for name, webp in outputs.items():
        (Path(out_dir) / f"{pipeline}-{name}.webp").write_bytes(webp)
    return {
        "seconds": seconds,
        "rss_baseline_kb": baseline,
        "rss_peak_kb": peak,
        "traced_peak_bytes": traced_peak,
        "bytes": {name: len(webp) for name, webp in outputs.items()},
    }


# --- the parent -------------------------------------------------------------------------------


def _child(pipeline: str, jpeg: Path, out_dir: Path, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.media_variants",
            "measure",
            pipeline,
            str(jpeg),
            str(out_dir),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _psnr(image: Any, reference: Any) -> float:
    from PIL import ImageChops, ImageStat

    difference = ImageChops.difference(image.convert("RGB"), reference)
    mse = statistics.fmean(ImageStat.Stat(difference).sum2) / (reference.width * reference.height)
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def _references(data: bytes) -> dict[str, Any]:
    """Each variant's ideal: full decode, one LANCZOS resize, not encoded."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGB")
    return {
        name: image.resize(_fit(image.size, (width, height)), Image.Resampling.LANCZOS)
        for name, width, height, _ in VARIANTS
    }


def _mb(kb: float) -> str:
    return f"{kb / 1024:.0f} MB"


def run(env: dict[str, str]) -> str:
    from PIL import Image

    began = time.perf_counter()
    env = {**env, "PYTHONPATH": str(ROOT)}
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in PIPELINES}
    with tempfile.TemporaryDirectory(prefix="bench-media-") as tmp:
        directory = Path(tmp)
        data = photo_jpeg()
        jpeg = directory / "photo.jpg"
        jpeg.write_bytes(data)
        for _ in range(ROUNDS):
            for name in PIPELINES:
                results[name].append(_child(name, jpeg, directory, env))
        references = _references(data)
        quality = {}
        for name in PIPELINES:
            quality[name] = {}
            for variant, reference in references.items():
                with Image.open(directory / f"{name}-{variant}.webp") as output:
                    sized = output.size == reference.size
                    quality[name][variant] = _psnr(output, reference) if sized else math.nan

    summary = {}
    for name, children in results.items():
        seconds = [s for child in children for s in child["seconds"]]
        summary[name] = {
            "median": statistics.median(seconds),
            "min": min(seconds),
            "max": max(seconds),
            "rise_kb": statistics.median(c["rss_peak_kb"] - c["rss_baseline_kb"] for c in children),
            "peak_kb": statistics.median(c["rss_peak_kb"] for c in children),
            "traced": statistics.median(c["traced_peak_bytes"] for c in children),
            "bytes": children[-1]["bytes"],
        }
    ours_row = summary["ours"]
    lines = [
        "## Media variants: naive Pillow vs `media.processing`",
        "",
        f"All three variants (thumbnail 400×300 q70, preview 800×800 q80, full 1920×1080 q85: "
        f"the defaults; WebP method {WEBP_METHOD}) of one generated {SIZE[0]}×{SIZE[1]} JPEG "
        f"({len(data) / 1e6:.1f} MB, q{JPEG_QUALITY}, photo-like: gradients, soft shapes, grain). "
        f"Each pipeline in its own fresh processes, {ROUNDS} rounds alternating between "
        f"pipelines, {REPEATS} timed runs per process after an untimed first; "
        f"{ROUNDS * REPEATS} timings each.",
        "",
        "| pipeline | median | min–max | peak RSS rise | peak RSS | tracemalloc peak |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, label in PIPELINES.items():
        row = summary[name]
        lines.append(
            f"| {label} | {row['median'] * 1000:.0f} ms | {row['min'] * 1000:.0f}–"
            f"{row['max'] * 1000:.0f} ms | {_mb(row['rise_kb'])} | {_mb(row['peak_kb'])} | "
            f"{row['traced'] / 1e6:.1f} MB |"
        )
    lines += [
        "",
        "| against ours | time | peak RSS rise |",
        "|---|---:|---:|",
    ]
    for name in ("naive", "naive_thumbnail"):
        row = summary[name]
        lines.append(
            f"| {name.replace('_', ' with ')} ÷ ours | "
            f"{row['median'] / ours_row['median']:.1f}× | "
            f"{row['rise_kb'] / max(1, ours_row['rise_kb']):.1f}× |"
        )
    lines += [
        "",
        "Quality: PSNR of each decoded WebP against the ideal (full-resolution decode, one LANCZOS "
        "resize, not encoded), and the WebP sizes:",
        "",
        "| pipeline | " + " | ".join(f"{variant} PSNR, bytes" for variant, *_ in VARIANTS) + " |",
        "|---|" + "---:|" * len(VARIANTS),
    ]
    for name in PIPELINES:
        cells = [
            f"{quality[name][variant]:.1f} dB, {summary[name]['bytes'][variant] / 1000:.0f} KB"
            for variant, *_ in VARIANTS
        ]
        lines.append(f"| {name.replace('_', ' with ')} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Peak RSS rise: the child's peak RSS (VmHWM) during its first run minus its RSS just "
        "before (idle, input read). Pillow's pixel buffers are allocated in C, so tracemalloc "
        "sees only the input and output bytes. Ours decodes 2000×1500 instead of 4000×3000 "
        "(libjpeg's 1/2 DCT scale still covers the 1440×1080 full variant) and resizes each "
        f"variant from the previous one. Whole benchmark: {time.perf_counter() - began:.0f} s.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:2] == ["measure"]:
        print(json.dumps(measure(*sys.argv[2:5])))
    else:
        sys.path.insert(0, str(ROOT))
        print(run(dict(os.environ)))

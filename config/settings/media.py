"""Media (M1-M7): image uploads, their processing and variants."""

from config.env import env

# Uploads larger than this are refused (bytes), before anything is stored.
MEDIA_MAX_UPLOAD_BYTES = env.int("MEDIA_MAX_UPLOAD_BYTES", default=15 * 1024 * 1024)
# Only these formats are ever parsed (Pillow's `formats=`): nothing else reaches a decoder.
MEDIA_ALLOWED_FORMATS = tuple(
    env.list("MEDIA_ALLOWED_FORMATS", default=["JPEG", "PNG", "GIF", "WEBP"])
)
# A decoded image may hold at most this many pixels (a decompression bomb is refused), and an
# animated one at most this many frames.
MEDIA_MAX_PIXELS = env.int("MEDIA_MAX_PIXELS", default=50_000_000)
MEDIA_MAX_FRAMES = env.int("MEDIA_MAX_FRAMES", default=100)
# Every image is fitted within this box (M1).
MEDIA_MAX_WIDTH = env.int("MEDIA_MAX_WIDTH", default=1920)
MEDIA_MAX_HEIGHT = env.int("MEDIA_MAX_HEIGHT", default=1080)
# Variants by purpose (M2): fitted within WIDTHxHEIGHT, WebP at QUALITY. "full" is fitted
# within the maximum box above.
MEDIA_THUMBNAIL_SIZE = env.str("MEDIA_THUMBNAIL_SIZE", default="400x300")
MEDIA_THUMBNAIL_QUALITY = env.int("MEDIA_THUMBNAIL_QUALITY", default=70)
MEDIA_PREVIEW_SIZE = env.str("MEDIA_PREVIEW_SIZE", default="800x800")
MEDIA_PREVIEW_QUALITY = env.int("MEDIA_PREVIEW_QUALITY", default=80)
MEDIA_FULL_QUALITY = env.int("MEDIA_FULL_QUALITY", default=85)
# Sizes /media/i/<id>/<w>x<h>.webp produces on demand (M4); any other size is refused.
MEDIA_ON_DEMAND_SIZES = tuple(
    env.list("MEDIA_ON_DEMAND_SIZES", default=["48x48", "96x96", "200x200", "400x400", "1200x630"])
)
MEDIA_ON_DEMAND_QUALITY = env.int("MEDIA_ON_DEMAND_QUALITY", default=80)
# Clean-up (M6): images referenced by no model for this many days are deleted weekly.
MEDIA_UNUSED_DAYS = env.int("MEDIA_UNUSED_DAYS", default=30)
# Uploads a user may make per minute (API and page together).
MEDIA_UPLOADS_PER_MINUTE = env.int("MEDIA_UPLOADS_PER_MINUTE", default=20)

"""Photos sent with a complaint (pure): the limits, who may see them, and the re-encoding that
keeps only the pixels.

A photo from a phone carries its maker's secrets: EXIF with the GPS position (the complainant's
home, or the elder's room), the time, the phone's model and serial number, XMP, comments,
thumbnails that may show what was cropped away. Nothing of the file the browser sent is kept:
the image is decoded, turned upright (the EXIF orientation applied), scaled so its longest side
is at most `MAX_SIDE`, and written as a new baseline JPEG with no metadata at all. Only the
formats in `ACCEPTED_FORMATS` are even opened (Pillow would otherwise try every plugin it has,
EPS through Ghostscript among them), and the pixel count is checked from the header before
anything is decoded (a small PNG can unpack to gigabytes: a decompression bomb).

No seed sets these numbers: three photos is FixMyStreet's practice (issue 21); the sizes fit what
a phone camera writes (3–8 MB) and are settings (PORTAL_PHOTO_MAX_MB, PORTAL_PHOTO_TOTAL_MB).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from portal.accounts.rules.roles import Role

MAX_PHOTOS = 3
MAX_SIDE = 2048  # px: enough to read a label or see a bruise, ≈ 0.3–0.8 MB as JPEG
MAX_PIXELS = 50_000_000  # a 48-megapixel phone photo passes; a bomb's header does not
JPEG_QUALITY = 85
MB = 1024 * 1024

# Pillow format names opened, and the browser types offered in the file input's `accept`.
# HEIF (iPhone's HEIC) only where a Pillow plugin registered it (pillow-heif); without it iOS
# Safari sends JPEG anyway when the page does not ask for HEIC.
# (A phone's multi-picture JPEG opens through the JPEG plugin as MPO: its first picture is used.)
_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp",
            "HEIF": "image/heic", "AVIF": "image/avif"}
Image.init()
ACCEPTED_FORMATS = tuple(f for f in _FORMATS if f in Image.OPEN)
ACCEPT_ATTRIBUTE = ",".join(_FORMATS[f] for f in ACCEPTED_FORMATS)
FORMAT_NAMES = "、".join({"WEBP": "WebP", "HEIF": "HEIC"}.get(f, f) for f in ACCEPTED_FORMATS)

CONTENT_TYPE = "image/jpeg"


@dataclass(frozen=True)
class PhotoLimits:
    """How many photos, how large each file and all of them together may be (bytes sent)."""

    max_count: int = MAX_PHOTOS
    max_file_bytes: int = 8 * MB
    max_total_bytes: int = 20 * MB
    max_pixels: int = MAX_PIXELS
    max_side: int = MAX_SIDE

    @property
    def max_file_mb(self) -> int:
        return self.max_file_bytes // MB

    @property
    def max_total_mb(self) -> int:
        return self.max_total_bytes // MB

    def max_body(self, text_bytes: int) -> int:
        """The largest request body a form with photos needs: every photo at its largest (or
        the total, if larger), and the text (portal/core/security.py: TAKES_UPLOADS)."""
        return max(self.max_total_bytes, self.max_count * self.max_file_bytes) + text_bytes


@dataclass(frozen=True)
class Upload:
    """One file as the browser sent it: its name (for messages) and size in bytes."""

    filename: str
    size: int


@dataclass(frozen=True)
class Photo:
    """A re-encoded photo: a JPEG with nothing but pixels."""

    data: bytes
    width: int
    height: int


class PhotoRefused(ValueError):
    """A file that is not a photo we can take; `message` is shown to the complainant."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_uploads(uploads: list[Upload], limits: PhotoLimits) -> str:
    """The problem with the files sent, before any is opened ("" when none): too many, one too
    large, all together too large. The message names the file."""
    if len(uploads) > limits.max_count:
        return (f"最多可上传 {limits.max_count} 张照片，您选择了 {len(uploads)} 张，"
                f"请重新选择其中 {limits.max_count} 张")
    for upload in uploads:
        if upload.size > limits.max_file_bytes:
            return (f"照片“{_short(upload.filename)}”有 {upload.size / MB:.1f} MB，"
                    f"每张照片不能超过 {limits.max_file_mb} MB，请换一张或先缩小")
    total = sum(u.size for u in uploads)
    if total > limits.max_total_bytes:
        return (f"照片合计 {total / MB:.1f} MB，超过了 {limits.max_total_mb} MB 的总上限，"
                f"请少选一张或先缩小照片")
    return ""


def _short(filename: str) -> str:
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return name if len(name) <= 40 else name[:37] + "…"


def reencode(data: bytes, filename: str, limits: PhotoLimits = PhotoLimits()) -> Photo:
    """The photo in `data` as a new JPEG without metadata, upright, longest side ≤ max_side.

    Raises PhotoRefused (not an image, a format not taken, too many pixels, damaged)."""
    name = _short(filename)
    not_photo = PhotoRefused(f"文件“{name}”不是可识别的照片，请上传 {FORMAT_NAMES} 格式的图片")
    if len(data) > limits.max_file_bytes:
        raise PhotoRefused(f"照片“{name}”超过 {limits.max_file_mb} MB")
    try:
        with warnings.catch_warnings():
            # Pillow's own guard warns (then refuses at twice its limit): a refusal here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
                if image.width * image.height > limits.max_pixels:
                    raise PhotoRefused(f"照片“{name}”的像素过多（{image.width}×{image.height}），"
                                       f"请先缩小后再上传")
                # JPEG decodes at 1/2, 1/4 or 1/8 scale when that is still large enough.
                image.draft("RGB", (limits.max_side, limits.max_side))
                image.seek(0)  # an animated WebP or a multi-picture JPEG: the first frame
                upright = ImageOps.exif_transpose(image)
                pixels = _flatten(upright)
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            OSError, ValueError, SyntaxError, EOFError):
        raise not_photo from None
    pixels.thumbnail((limits.max_side, limits.max_side), Image.Resampling.LANCZOS)
    # A new image holds only pixels: no info dict to carry EXIF, ICC, XMP or comments over.
    clean = Image.new("RGB", pixels.size)
    clean.paste(pixels)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return Photo(out.getvalue(), clean.width, clean.height)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels; transparency laid on white (a screenshot with an alpha channel)."""
    image.load()
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


def may_see_photos(role: Role, department_id: int | None, responsible_department_id: int) -> bool:
    """Staff only (issue 21): the responsible office, operators, supervisors and admins.

    Not co-handling offices: like the complainant's contact (complaints/services/filing.py:
    may_see_personal_data) photos may show people; the responsible office can forward what a
    co-handling office needs. The public never: neither the tracking page nor any API."""
    if role in (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN):
        return True
    return role is Role.DEPARTMENT and department_id == responsible_department_id

"""Photos as a phone writes them: EXIF with a GPS position, the camera's model, an orientation,
a comment and an ICC profile, so that a test can see each one go."""

from __future__ import annotations

import io

from PIL import Image, ImageCms

# 天安门 to the second: found in a photo's bytes, it would give the place away.
GPS = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 50.0)}
MODEL = "SecretPhone Pro 15"
COMMENT = b"taken at home by the complainant"
GPS_IFD = 0x8825
MODEL_TAG = 0x0110
ORIENTATION_TAG = 0x0112


def halves(size: tuple[int, int] = (64, 32)) -> Image.Image:
    """Red on the left half, blue on the right: a rotation shows where each half went."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    return image


def phone_jpeg(size: tuple[int, int] = (64, 32), *, orientation: int = 1,
               image: Image.Image | None = None) -> bytes:
    """A JPEG carrying GPS EXIF, the camera model, an orientation, a comment and sRGB ICC."""
    exif = Image.Exif()
    exif[MODEL_TAG] = MODEL
    exif[ORIENTATION_TAG] = orientation
    exif[GPS_IFD] = GPS
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    (image or halves(size)).save(out, "JPEG", quality=90, exif=exif.tobytes(), comment=COMMENT,
                                 icc_profile=icc)
    return out.getvalue()


def png(size: tuple[int, int] = (40, 30), mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 0).save(out, "PNG")
    return out.getvalue()


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()

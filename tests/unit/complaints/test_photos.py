"""Photos with a complaint: only the pixels survive re-encoding; sizes, counts and bombs are
refused with a message that names the file; only staff who handle the complaint see them."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from complaints.rules.photos import (
    MB,
    PhotoLimits,
    PhotoRefused,
    Upload,
    check_uploads,
    may_see_photos,
    reencode,
)
from portal.accounts.rules.roles import Role

from factories.photos import COMMENT, GPS_IFD, MODEL, encoded, halves, phone_jpeg, png

# JPEG markers that carry metadata: APP1 (EXIF, XMP), APP2 (ICC), APP13 (IPTC), COM.
METADATA_MARKERS = (b"\xff\xe1", b"\xff\xe2", b"\xff\xed", b"\xff\xfe")


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def markers(data: bytes) -> list[bytes]:
    """The JPEG segment markers before the image data (SOS)."""
    found, at = [], 2
    while at < len(data) and data[at] == 0xFF:
        marker = data[at:at + 2]
        found.append(marker)
        if marker == b"\xff\xda":
            break
        at += 2 + int.from_bytes(data[at + 2:at + 4], "big")
    return found


def test_the_test_photo_really_carries_gps_model_comment_and_icc():
    source = opened(phone_jpeg())
    assert source.getexif().get_ifd(GPS_IFD)[2] == (39.0, 54.0, 27.0)
    assert source.getexif()[0x0110] == MODEL
    assert source.info["comment"] == COMMENT and source.info["icc_profile"]
    assert set(METADATA_MARKERS) & set(markers(phone_jpeg()))


def test_reencoding_strips_exif_gps_and_every_other_metadata():
    photo = reencode(phone_jpeg(), "IMG_0001.jpg")
    out = opened(photo.data)
    assert out.format == "JPEG"
    assert dict(out.getexif()) == {} and out.getexif().get_ifd(GPS_IFD) == {}
    assert not set(METADATA_MARKERS) & set(markers(photo.data))
    assert set(out.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}
    for secret in (b"Exif", MODEL.encode(), COMMENT, b"http://ns.adobe.com/xap"):
        assert secret not in photo.data


def test_the_orientation_is_applied_to_the_pixels():
    # Orientation 6: shown turned 90° clockwise, so the left (red) half is on top.
    photo = reencode(phone_jpeg((64, 32), orientation=6), "portrait.jpg")
    out = opened(photo.data).convert("RGB")
    assert (photo.width, photo.height) == out.size == (32, 64)
    top, bottom = out.getpixel((16, 8)), out.getpixel((16, 56))
    assert top[0] > 200 > top[2] and bottom[2] > 200 > bottom[0]


def test_the_longest_side_is_capped_keeping_the_proportions():
    photo = reencode(phone_jpeg((3000, 1000)), "wide.jpg")
    assert (photo.width, photo.height) == (2048, 683)
    small = reencode(phone_jpeg((300, 200)), "small.jpg")
    assert (small.width, small.height) == (300, 200)  # never enlarged


@pytest.mark.parametrize("fmt, options", [("PNG", {}), ("WEBP", {"quality": 80})])
def test_png_and_webp_become_jpeg(fmt, options):
    photo = reencode(encoded(halves(), fmt, **options), f"screen.{fmt.lower()}")
    assert opened(photo.data).format == "JPEG" and (photo.width, photo.height) == (64, 32)


def test_a_multi_picture_jpeg_keeps_its_first_picture():
    green = Image.new("RGB", (64, 32), (0, 255, 0))
    mpo = encoded(halves(), "MPO", save_all=True, append_images=[green])
    assert opened(mpo).format == "MPO"
    out = opened(reencode(mpo, "IMG_0003.jpg").data).convert("RGB")
    assert out.getpixel((5, 5))[0] > 200 and out.getpixel((60, 5))[2] > 200


def test_transparency_is_laid_on_white():
    photo = reencode(png(mode="RGBA"), "transparent.png")  # fully transparent black
    assert min(opened(photo.data).convert("RGB").getpixel((5, 5))) > 245


@pytest.mark.parametrize("data, name", [
    (b"%PDF-1.4\n1 0 obj << >> endobj\n", "complaint.pdf"),
    (b"just some text, named like a photo", "IMG_0002.jpg"),
    (phone_jpeg((200, 100))[:400], "cut-short.jpg"),
    (encoded(halves(), "GIF"), "animation.gif"),  # an image, but not a format we take
    (encoded(halves(), "BMP"), "paint.bmp"),
    (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "drawing.eps"),  # no Ghostscript
])
def test_what_is_not_a_photo_we_take_is_refused_naming_the_file(data, name):
    with pytest.raises(PhotoRefused) as refused:
        reencode(data, name)
    assert f"文件“{name}”不是可识别的照片" in refused.value.message
    assert "JPEG、PNG、WebP" in refused.value.message


def test_a_decompression_bomb_is_refused_from_its_header():
    # 10,000 × 6,000 one-bit pixels: a few kilobytes as PNG, 180 MB once decoded as RGB.
    bomb = encoded(Image.new("1", (10_000, 6_000)), "PNG")
    assert len(bomb) < 100_000
    with pytest.raises(PhotoRefused, match="像素过多（10000×6000）"):
        reencode(bomb, "bomb.png")
    # The guard is this limit, not Pillow's own (which warns only above 89 megapixels).
    with pytest.raises(PhotoRefused, match="像素过多"):
        reencode(phone_jpeg((300, 200)), "a.jpg", PhotoLimits(max_pixels=300 * 200 - 1))
    assert reencode(phone_jpeg((300, 200)), "a.jpg", PhotoLimits(max_pixels=300 * 200))


def test_a_file_over_the_limit_is_refused_before_it_is_opened():
    with pytest.raises(PhotoRefused, match="超过 1 MB"):
        reencode(b"\xff\xd8" + b"\0" * MB, "big.jpg", PhotoLimits(max_file_bytes=MB))


LIMITS = PhotoLimits(max_count=3, max_file_bytes=8 * MB, max_total_bytes=20 * MB)


@pytest.mark.parametrize("sizes, problem", [
    ([], ""),
    ([8 * MB, 8 * MB], ""),
    ([6 * MB, 6 * MB, 8 * MB], ""),  # exactly the total
    ([1, 1, 1, 1], "最多可上传 3 张照片，您选择了 4 张"),
    ([MB, 8 * MB + 1], "照片“p1.jpg”有 8.0 MB，每张照片不能超过 8 MB"),
    ([7 * MB, 7 * MB, 7 * MB], "照片合计 21.0 MB，超过了 20 MB 的总上限"),
])
def test_count_file_size_and_total_are_checked_before_anything_is_opened(sizes, problem):
    uploads = [Upload(f"p{n}.jpg", size) for n, size in enumerate(sizes)]
    found = check_uploads(uploads, LIMITS)
    assert (found.startswith(problem) and found) if problem else found == ""


def test_the_body_a_form_with_photos_may_have_covers_every_photo_at_its_largest():
    assert LIMITS.max_body(2 * MB) == 3 * 8 * MB + 2 * MB
    assert PhotoLimits(max_file_bytes=MB, max_total_bytes=10 * MB).max_body(0) == 10 * MB


@pytest.mark.parametrize("role, department, expected", [
    (Role.DEPARTMENT, 7, True),     # the responsible office
    (Role.DEPARTMENT, 8, False),    # another office, co-handling or not
    (Role.DEPARTMENT, None, False),
    (Role.OPERATOR, None, True),
    (Role.SUPERVISOR, 1, True),
    (Role.ADMIN, None, True),
    (Role.INSTITUTION, None, False),
])
def test_only_the_handlers_operators_supervisors_and_admins_see_photos(role, department, expected):
    assert may_see_photos(role, department, 7) is expected

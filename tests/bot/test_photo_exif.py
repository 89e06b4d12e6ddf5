"""Photos are kept as their pixels only: the EXIF a camera writes (where the photo was taken,
the camera, a comment) is left behind, whichever channel brought the photo.

The photos are real JPEGs and PNGs made by Pillow with that data in them (tests/auxil/photos).
"""

from __future__ import annotations

import io

from PIL import Image, PngImagePlugin

from bot._media import MAX_PHOTO_PIXELS, checked_photo
from tests.auxil.photos import CAMERA, gps_of, jpeg


def hidden_data(data: bytes) -> list[bytes]:
    """What of the camera's data is still in a file's bytes."""
    marks = (b"Exif", CAMERA.encode(), b"Acacia Road", b"51.0")
    return [mark for mark in marks if mark in data]


def test_a_photo_with_a_gps_location_is_kept_without_it() -> None:
    sent = jpeg()
    assert gps_of(sent) and hidden_data(sent)  # the photo as the camera made it
    kept = checked_photo(sent)
    assert kept.problem is None and kept.content_type == "image/jpeg"
    assert gps_of(kept.data) == {}
    assert hidden_data(kept.data) == []
    with Image.open(io.BytesIO(kept.data)) as image:
        assert image.format == "JPEG" and image.size == (64, 48)
        assert not image.getexif()
        red, _green, blue = image.getpixel((5, 5))  # the picture itself is still there
        assert blue > 150 and red < 80


def test_a_photo_is_turned_the_way_the_camera_held_it() -> None:
    kept = checked_photo(jpeg(orientation=6))  # taken with the phone on its side
    with Image.open(io.BytesIO(kept.data)) as image:
        assert image.size == (48, 64)
        assert not image.getexif()


def test_a_png_keeps_no_text_or_exif() -> None:
    image = Image.new("RGBA", (20, 10), (10, 200, 10, 255))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at 12 Acacia Road")
    exif = Image.Exif()
    exif[0x010F] = CAMERA
    sent = io.BytesIO()
    image.save(sent, "PNG", pnginfo=info, exif=exif)
    assert hidden_data(sent.getvalue())
    kept = checked_photo(sent.getvalue())
    assert kept.problem is None and kept.content_type == "image/png"
    assert hidden_data(kept.data) == []
    with Image.open(io.BytesIO(kept.data)) as opened:
        assert opened.size == (20, 10) and opened.getpixel((1, 1)) == (10, 200, 10, 255)


def test_a_file_that_only_starts_like_a_photo_is_not_kept() -> None:
    fake = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 64 + b"\xff\xd9"
    assert checked_photo(fake).problem == "photo_type"
    assert checked_photo(jpeg()[:200]).problem == "photo_type"  # cut short


def test_a_small_file_of_too_many_pixels_is_too_big() -> None:
    side = int(MAX_PHOTO_PIXELS**0.5) + 100
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")  # one colour: a small file
    assert len(out.getvalue()) < 5 * 1024 * 1024
    assert checked_photo(out.getvalue()).problem == "photo_big"


def test_a_cmyk_or_palette_photo_is_kept_as_a_plain_jpeg_or_png() -> None:
    cmyk = io.BytesIO()
    Image.new("CMYK", (8, 8), (0, 255, 255, 0)).save(cmyk, "JPEG")
    kept = checked_photo(cmyk.getvalue())
    assert kept.problem is None and kept.content_type == "image/jpeg"
    with Image.open(io.BytesIO(kept.data)) as image:
        assert image.mode == "RGB" and image.getpixel((4, 4))[0] > 200  # still red
    palette = io.BytesIO()
    Image.new("P", (8, 8), 3).save(palette, "PNG")
    kept = checked_photo(palette.getvalue())
    assert kept.problem is None and kept.content_type == "image/png"

"""Real photos made by Pillow for the tests, some with the EXIF a phone's camera writes.

Why made here: the test must show that what a camera hides in a photo (where it was taken,
the camera, a comment) is not kept, so it needs a photo that really carries it.
"""

from __future__ import annotations

import io

from PIL import Image

CAMERA = "PlanbotTestCam"  # the camera's make, as written in the EXIF
GPS_IFD = 0x8825
MAKE = 0x010F
ORIENTATION = 0x0112
# 51 deg 30' 12.5" N, 0 deg 7' 39" W: a place, to the second
GPS = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}


def jpeg(width: int = 64, height: int = 48, *, gps: bool = True, orientation: int = 1) -> bytes:
    """A JPEG photo; with ``gps``, its EXIF says where it was taken and by which camera."""
    image = Image.new("RGB", (width, height), (200, 60, 30))
    image.paste((20, 90, 200), (0, 0, width // 2, height // 2))  # top left is blue
    exif = Image.Exif()
    if gps:
        exif[MAKE] = CAMERA
        exif[GPS_IFD] = GPS
    if orientation != 1:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"taken at 12 Acacia Road")
    return out.getvalue()


def gps_of(data: bytes) -> dict[int, object]:
    """The GPS part of a photo's EXIF ({} when there is none)."""
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(GPS_IFD))

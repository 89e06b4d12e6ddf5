"""Page 1 of the profile PDF as a PNG picture: the A4 page, drawn as it prints.

Not what a phone gets: the ``png`` form and Telegram's pictures are laid out for a phone by
``easyread.phone`` (the A4 page shrunk to 1080 px has words 8 or 9 px high). This stays for
looking at the printed page without a PDF viewer (and for ``bench/render.py``). It is drawn
from the PDF (pypdfium2) so the two always match.
"""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium

from planbot.errors import RenderError

PHONE_WIDTH = 1080
# PNG compression: level 6 (Pillow's default) is much slower for little gain on a flat page.
_COMPRESS_LEVEL = 3


def render_png(pdf_path: Path, out: Path, *, width: int = PHONE_WIDTH) -> Path:
    """Draw page 1 of ``pdf_path`` as a ``width``-pixel-wide PNG at ``out`` and return ``out``.

    Raises:
        RenderError: the PDF cannot be read or the picture cannot be written.
    """
    if width < 1:
        raise RenderError(f"the picture must be at least 1 pixel wide, not {width}")
    try:
        document = pdfium.PdfDocument(str(pdf_path))
    except (pdfium.PdfiumError, OSError) as exc:
        raise RenderError(f"cannot open the PDF {pdf_path}: {exc}") from exc
    try:
        if len(document) == 0:
            raise RenderError(f"the PDF {pdf_path} has no pages")
        page = document[0]
        page_width, page_height = page.get_size()
        height = max(1, round(page_height * width / page_width))
        bitmap = page.render(scale=width / page_width, fill_color=(255, 255, 255, 255))
        image = bitmap.to_pil()
        if image.size != (width, height):
            # Scale rounding can leave the picture a pixel off: phones expect exactly 1080.
            image = image.resize((width, height))
        image.save(out, format="PNG", compress_level=_COMPRESS_LEVEL)
    except pdfium.PdfiumError as exc:
        raise RenderError(f"cannot draw the PDF {pdf_path}: {exc}") from exc
    except OSError as exc:
        raise RenderError(f"cannot write the picture to {out}: {exc}") from exc
    finally:
        document.close()
    return out

"""The profile page in a real headless browser (Debian's chromium), checked by axe-core.

Why a real browser: contrast, landmarks, names of controls and heading order are what a screen
reader user meets; axe-core checks them on the page as chromium lays it out. The test serves the
page from 127.0.0.1, lets axe write its result into the page, and reads it back with
``--dump-dom``. axe-core comes from npm into ``.cache/axe`` (kept out of git).
"""

from __future__ import annotations

import dataclasses
import functools
import html
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from easyread._model import Profile, ProfileItem
from easyread.html import listen_script, render_html
from tests.auxil.profiles import make_section

ROOT = Path(__file__).resolve().parents[2]
AXE_DIR = ROOT / ".cache" / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5f1d1b40000000049454e44ae426082"
)
RUN_AXE = """<script src="axe.min.js"></script>
<script>
function planbotReport(value) {
  var out = document.createElement("pre");
  out.id = "axe-result";
  out.textContent = JSON.stringify(value);
  document.body.appendChild(out);
}
axe.run(document, {resultTypes: ["violations"]}).then(function (r) {
  planbotReport(r.violations.map(function (v) {
    return {id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(function (n) { return n.target.join(" "); })};
  }));
}).catch(function (e) { planbotReport({error: String(e)}); });
</script>
"""

pytestmark = pytest.mark.slow


def profile(photo: Path) -> Profile:
    return Profile(
        "Gemma",
        (
            make_section("like_admire", ProfileItem("Bubbly & kind", "Mum", "family")),
            make_section(
                "important_to",
                ProfileItem("my lurcher Tango 'he is my sunshine!'"),
                ProfileItem('"><img src=x onerror=alert(1)>'),
            ),
            make_section("best_support", ProfileItem("<script>alert(1)</script>")),
            make_section("good_day", ProfileItem("popcorn + dvd w/ a mate 🍿")),
            make_section("bad_day", ProfileItem("Going to bed early")),
        ),
        photo=photo,
    )


def chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        pytest.skip("chromium is not installed: apt-get install chromium")
    return found


def axe_script() -> Path:
    """axe-core's axe.min.js, installed from npm into the project's .cache on first use."""
    AXE_DIR.mkdir(parents=True, exist_ok=True)
    gitignore = AXE_DIR.parent / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# Downloaded by the tests; not part of planbot.\n*\n")
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed, so axe-core cannot be fetched: apt-get install npm")
        done = subprocess.run(
            [npm, "install", "--prefix", str(AXE_DIR), "--no-audit", "--no-fund", "axe-core"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0 and AXE_JS.exists(), f"npm install axe-core: {done.stderr}"
    return AXE_JS


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1, and its base URL."""
    site = tmp_path / "site"
    site.mkdir()

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=site))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run_chromium(browser: str, profile_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile_dir}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def axe_violations(served: tuple[Path, str], tmp_path: Path, page: str) -> tuple[list, str]:
    """Run axe-core on the page in chromium: its violations, and the page as chromium saw it."""
    browser = chromium()
    site, base = served
    shutil.copy(axe_script(), site / "axe.min.js")
    (site / "index.html").write_text(page.replace("</body>", RUN_AXE + "</body>"), "utf-8")
    done = run_chromium(
        browser, tmp_path / "chromium", "--virtual-time-budget=10000", "--dump-dom",
        f"{base}/index.html",
    )
    found = re.search(r'<pre id="axe-result">(.*?)</pre>', done.stdout, re.S)
    assert found, f"axe did not report (chromium said: {done.stderr[-2000:]})"
    result = json.loads(html.unescape(found.group(1)))
    assert isinstance(result, list), f"axe failed: {result}"
    return result, done.stdout[: found.start()]


@pytest.mark.parametrize("words_only", [False, True], ids=["pictures", "words-only"])
def test_axe_finds_no_serious_problems(
    served: tuple[Path, str], tmp_path: Path, words_only: bool
) -> None:
    photo = tmp_path / "me.png"
    photo.write_bytes(PNG_1PX)
    page = render_html(profile(photo), words_only=words_only, audio_url="listen.mp3")
    violations, dom = axe_violations(served, tmp_path, page)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps(serious, indent=2)
    # What the person typed stayed text in the live page: no element came from it.
    assert not re.search(r"<[a-z][^>]*\sonerror=", dom)
    assert "<script>alert(1)</script>" not in dom
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom


def test_axe_does_report_a_broken_page(served: tuple[Path, str], tmp_path: Path) -> None:
    """A control: the check above is not passing because axe never ran."""
    page = render_html(profile(tmp_path / "none.png"))
    broken = page.replace(' lang="en-GB"', "").replace("#0b2e59", "#cccccc")
    violations, _ = axe_violations(served, tmp_path, broken)
    assert {"html-has-lang", "color-contrast"} <= {v["id"] for v in violations}


def test_phone_screenshot(served: tuple[Path, str], tmp_path: Path) -> None:
    """The page drawn at a phone's size (1080 pixels wide) by a real browser."""
    browser = chromium()
    site, base = served
    (site / "index.html").write_text(render_html(profile(tmp_path / "none.png")), "utf-8")
    shot = tmp_path / "phone.png"
    done = run_chromium(
        browser, tmp_path / "chromium", "--window-size=1080,1920", f"--screenshot={shot}",
        f"{base}/index.html",
    )
    assert shot.exists(), done.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == 1080


# --- at a phone's width --------------------------------------------------------------------

PHONE = 390  # CSS pixels: a common phone (headless chromium will not go below 500 wide, so
# the page is drawn in a frame this wide)
MIN_BODY_PX = 18
SCREENSHOTS = ROOT / ".cache" / "screenshots"
FRAME = """<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>phone</title></head>
<body style="margin:0">
<iframe id="phone" title="the page" src="form.html"
 style="display:block;width:PHONEpx;height:HEIGHTpx;border:0"></iframe>
</body></html>
"""
# Put in the page itself (in the frame), after axe: it measures the page as laid out at the
# frame's width, runs axe on it, and writes the result into the page around the frame.
MEASURE = """<script src="axe.min.js"></script>
<script>
window.addEventListener("load", function () {
  var wide = [], outside = [], smallest = 1000;
  var width = window.innerWidth;
  document.querySelectorAll("body *").forEach(function (el) {
    var text = Array.prototype.some.call(el.childNodes, function (n) {
      return n.nodeType === 3 && n.textContent.trim();
    });
    var box = el.getBoundingClientRect();
    if (box.width && (box.left < -0.5 || box.right > width + 0.5)) {
      wide.push(el.tagName + "." + el.className + " " + Math.round(box.right));
    }
    if (!text || !box.width) { return; }
    smallest = Math.min(smallest, parseFloat(getComputedStyle(el).fontSize));
    // The text itself (not its element's box, which text can run out of): each text node's
    // lines must lie inside the card it is on, and inside the screen.
    var card = el.closest(".row, header, footer") || document.body;
    var c = card.getBoundingClientRect();
    el.childNodes.forEach(function (n) {
      if (n.nodeType !== 3 || !n.textContent.trim()) { return; }
      var range = document.createRange();
      range.selectNodeContents(n);
      Array.prototype.forEach.call(range.getClientRects(), function (r) {
        if (r.width && (r.left < c.left - 0.5 || r.right > c.right + 0.5 || r.right > width)) {
          outside.push(el.tagName + " " + n.textContent.trim().slice(0, 30));
        }
      });
    });
  });
  var button = document.getElementById("listen-button");
  var measured = {
    width: width,
    scroll: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight,
    body: parseFloat(getComputedStyle(document.body).fontSize),
    smallest: smallest,
    wide: wide,
    outside: outside,
    button: button ? {hidden: button.hidden, text: button.textContent,
                      height: button.getBoundingClientRect().height} : null
  };
  function report(violations) {
    measured.axe = violations;
    var out = parent.document.createElement("pre");
    out.id = "measured";
    out.textContent = JSON.stringify(measured);
    parent.document.body.appendChild(out);
  }
  axe.run(document, {resultTypes: ["violations"]}).then(function (r) {
    report(r.violations.map(function (v) {
      return {id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map(function (n) { return n.target.join(" "); })};
    }));
  }).catch(function (e) { report({error: String(e)}); });
});
</script>
"""


def phone_profile(photo: Path) -> Profile:
    """Gemma's profile with what makes a phone page hard: long words, a web address, emoji."""
    base = profile(photo)
    extra = make_section(
        "important_to",
        ProfileItem("My nan 👵 and my cat Biscuit 🐈 and swimming 🏊 on a Tuesday"),
        ProfileItem("https://www.example.org/a/very/long/address/with-no-spaces-in-it-at-all"),
        ProfileItem("Wolfeschlegelsteinhausenbergerdorff is my friend's name"),
    )
    return dataclasses.replace(base, sections=(*base.sections, extra))


def phone_forms(photo: Path) -> dict[str, str]:
    """Each form a person opens on a phone, as the app makes it (with its "Listen" button)."""
    made = phone_profile(photo)
    common = {
        "audio_url": "listen.mp3",
        "script_url": "../static/listen.js?v=1",
        "listen_length": "About 2 minutes",
        "pdf_url": "x.pdf",
        "words_only_url": "x.words",
        "pictures_url": "x",
    }
    return {
        "pictures": render_html(made, **common),  # type: ignore[arg-type]
        "words-only": render_html(made, words_only=True, **common),  # type: ignore[arg-type]
    }


def at_phone_width(
    served: tuple[Path, str], tmp_path: Path, page: str, shot: Path | None = None
) -> dict[str, Any]:
    """Lay ``page`` out 390 CSS pixels wide in chromium: measure it, run axe on it and, given
    ``shot``, keep a picture of it there (cut to the phone's width)."""
    browser = chromium()
    site, base = served
    shutil.copy(axe_script(), site / "axe.min.js")
    (site / "static").mkdir(exist_ok=True)
    (site / "static" / "listen.js").write_bytes(listen_script())
    (site / "form.html").write_text(page.replace("</body>", MEASURE + "</body>"), "utf-8")
    frame = FRAME.replace("PHONE", str(PHONE))
    (site / "index.html").write_text(frame.replace("HEIGHT", "844"), "utf-8")
    done = run_chromium(
        browser, tmp_path / "chromium", "--virtual-time-budget=15000", "--dump-dom",
        f"{base}/index.html",
    )
    found = re.search(r'<pre id="measured">(.*?)</pre>', done.stdout, re.S)
    assert found, f"nothing measured (chromium said: {done.stderr[-2000:]})"
    measured: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    if shot is not None:
        height = min(int(measured["height"]), 8000)
        (site / "form.html").write_text(page, "utf-8")
        (site / "index.html").write_text(frame.replace("HEIGHT", str(height)), "utf-8")
        whole = tmp_path / "whole.png"
        done = run_chromium(
            browser, tmp_path / "chromium", f"--window-size=500,{height}",
            "--virtual-time-budget=5000", f"--screenshot={whole}", f"{base}/index.html",
        )
        assert whole.exists(), done.stderr[-2000:]
        shot.parent.mkdir(parents=True, exist_ok=True)
        with Image.open(whole) as picture:
            picture.crop((0, 0, PHONE, height)).save(shot)
    return measured


def assert_fits_a_phone(measured: dict[str, Any]) -> None:
    assert measured["width"] == PHONE
    assert measured["body"] >= MIN_BODY_PX and measured["smallest"] >= MIN_BODY_PX, measured
    assert measured["scroll"] == PHONE, measured
    assert measured["wide"] == [] and measured["outside"] == [], measured
    assert isinstance(measured["axe"], list), f"axe failed: {measured['axe']}"
    serious = [v for v in measured["axe"] if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps(serious, indent=2)


@pytest.mark.parametrize("form", ["pictures", "words-only"])
def test_each_form_fits_a_phone_and_is_kept_as_a_screenshot(
    served: tuple[Path, str], tmp_path: Path, form: str
) -> None:
    """At 390 CSS pixels: body text at least 18 px, nothing off the side or out of its card,
    nothing serious for axe, and the "Listen" button shown by its script, big enough for a
    thumb. A screenshot of each form is kept to look at (its path is printed)."""
    photo = tmp_path / "me.png"
    Image.new("RGB", (60, 60), (40, 120, 200)).save(photo)
    shot = SCREENSHOTS / f"profile-{form}.png"
    measured = at_phone_width(served, tmp_path, phone_forms(photo)[form], shot)
    print(f"screenshot of the {form} form at {PHONE} CSS pixels: {shot}")
    assert_fits_a_phone(measured)
    assert measured["button"] == {"hidden": False, "text": "Listen", "height": pytest.approx(
        measured["button"]["height"])}
    assert measured["button"]["height"] >= 48
    with Image.open(shot) as picture:
        assert picture.width == PHONE and picture.height >= 844


def test_the_phone_measure_sees_a_page_that_does_not_fit(
    served: tuple[Path, str], tmp_path: Path
) -> None:
    """A control: the checks above pass because the page fits, not because nothing was seen."""
    page = phone_forms(tmp_path / "none.png")["pictures"]
    page = page.replace("font-size: 18.0pt", "font-size: 10px")
    page = page.replace("#0b2e59", "#cccccc")
    # Answers big and unbreakable: a long word or address runs off its card.
    page = page.replace("</style>", "li, li * {font-size: 30px; overflow-wrap: normal}</style>")
    measured = at_phone_width(served, tmp_path, page)
    assert measured["body"] == 10
    assert any("https://www.example.org" in text for text in measured["outside"]), measured
    assert "color-contrast" in {v["id"] for v in measured["axe"]}

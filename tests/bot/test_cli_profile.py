"""`planbot profile` and the end of `planbot demo`: real files a person can open."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pypdfium2
import pytest
import soundfile

pytestmark = pytest.mark.slow

PLANBOT = shutil.which("planbot", path=str(Path(sys.executable).parent)) or "planbot"


def run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PLANBOT, *args], input=stdin, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    data = tmp_path / "data"
    return {
        **os.environ,
        "PLANBOT_DATA_DIR": str(data),
        "PLANBOT_DATABASE_URL": f"sqlite:///{data / 'planbot.sqlite3'}",
        "PLANBOT_TTS": "espeak",
    }


def test_profile_writes_every_format(env: dict[str, str], tmp_path: Path) -> None:
    said = "yes\n1\nswimming, my cat Tibbles\ndone\nlisten to me\ndone\n"
    chat = run(["chat", "--person", "Dev"], env, said)
    assert chat.returncode == 0, chat.stderr
    out = {}
    for fmt in ("html", "pdf", "png", "txt", "mp3", "ogg"):
        target = tmp_path / f"dev.{fmt}"
        done = run(["profile", "Dev", "--format", fmt, "--out", str(target)], env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == str(target)
        out[fmt] = target
    page = out["html"].read_text("utf-8")
    assert "All about Dev" in page and "my cat Tibbles" in page
    assert "Tibbles" in out["txt"].read_text("utf-8")
    pdf = pypdfium2.PdfDocument(out["pdf"])
    text = pdf[0].get_textpage().get_text_range()
    assert len(pdf) == 1 and "swimming" in text and "listen to me" in text
    assert out["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for fmt in ("mp3", "ogg"):
        info = soundfile.info(str(out[fmt]))
        assert info.duration > 2, f"{fmt} is too short to hold the profile"


def test_without_out_text_goes_to_the_screen_and_no_file_is_left(
    env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "here"
    folder.mkdir()
    said = "yes\n1\nswimming, my cat Tibbles\ndone\n"
    assert run(["chat", "--person", "Dev"], env, said).returncode == 0

    def run_here(args: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PLANBOT, *args], env=env, cwd=folder, capture_output=True, text=True, timeout=120
        )

    txt = run_here(["profile", "Dev"])  # text is the default: it suits the terminal
    assert txt.returncode == 0, txt.stderr
    assert "All about Dev" in txt.stdout and "my cat Tibbles" in txt.stdout
    html = run_here(["profile", "Dev", "--format", "html"])
    assert html.returncode == 0, html.stderr
    assert html.stdout.startswith("<!DOCTYPE html>") and "my cat Tibbles" in html.stdout
    for fmt in ("pdf", "png", "mp3", "ogg"):
        binary = run_here(["profile", "Dev", "--format", fmt])
        assert binary.returncode == 1
        assert "--out" in binary.stderr and binary.stdout == ""
    assert list(folder.iterdir()) == []  # nothing personal left behind


def test_profile_for_someone_unknown_fails_clearly(env: dict[str, str], tmp_path: Path) -> None:
    done = run(["profile", "Nobody", "--format", "pdf", "--out", str(tmp_path / "x.pdf")], env)
    assert done.returncode == 1
    assert "No one called 'Nobody'" in done.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_profile_rejects_an_unknown_format(env: dict[str, str]) -> None:
    done = run(["profile", "Dev", "--format", "docx"], env)
    assert done.returncode == 1 and "Unknown format" in done.stderr


def test_demo_ends_with_the_profile_files(env: dict[str, str]) -> None:
    env = {k: v for k, v in env.items() if k != "PLANBOT_TTS"}  # the default, "auto"
    done = run(["demo"], env)
    assert done.returncode == 0, done.stderr
    assert "All about Gemma" in done.stdout
    # No network in the demo: it speaks with the offline voice, never trying Google's.
    assert "gtts" not in done.stderr.lower()
    assert "planbot export Gemma" in done.stdout
    written = {}
    for line in done.stdout.splitlines():
        label, _, path = line.strip().partition(": ")
        if label in ("mp3", "pdf", "png", "txt", "html", "words only html"):
            written[label] = Path(path)
    assert set(written) == {"mp3", "pdf", "png", "txt", "html", "words only html"}
    assert all(p.is_file() and p.stat().st_size > 0 for p in written.values())
    assert 'src="profile.mp3"' in written["html"].read_text("utf-8")
    assert "<svg" not in written["words only html"].read_text("utf-8")
    exported = run(["export", "Gemma"], {**env, "PLANBOT_DATABASE_URL": _demo_db(done.stdout)})
    answers = json.loads(exported.stdout)["answers"]
    assert {"section": "good_day", "text": "popcorn + dvd w/ a mate 🍿"}.items() <= {
        **next(a for a in answers if a["text"].startswith("popcorn"))
    }.items()


def _demo_db(stdout: str) -> str:
    line = next(x for x in stdout.splitlines() if x.startswith("Your answers are stored in: "))
    return "sqlite:///" + line.removeprefix("Your answers are stored in: ")


def test_profile_and_review_large_are_in_large_print(env: dict[str, str], tmp_path: Path) -> None:
    """``--large``: 24pt body text in the PDF and a 24pt base font on the page, for the
    profile and the review sheet alike (one code path)."""
    from tests.easyread.test_long_and_large import size_of

    said = "yes\n1\nswimming, my cat Tibbles\ndone\nlisten to me\ndone\n"
    assert run(["chat", "--person", "Dev"], env, said).returncode == 0
    normal, large = tmp_path / "normal.pdf", tmp_path / "large.pdf"
    assert run(["profile", "Dev", "--format", "pdf", "--out", str(normal)], env).returncode == 0
    done = run(["profile", "Dev", "--format", "pdf", "--out", str(large), "--large"], env)
    assert done.returncode == 0, done.stderr
    assert size_of(large, "swimming") == 24.0
    assert size_of(normal, "swimming") < 24.0
    for command in ("profile", "review"):
        page = run([command, "Dev", "--format", "html", "--large"], env)
        assert page.returncode == 0, page.stderr
        assert "font-size: 24.0pt" in page.stdout.split("body {", 1)[1].split("}", 1)[0]

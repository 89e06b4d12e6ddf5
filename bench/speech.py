"""How long offline speech takes: a typical profile (MP3 and OGG/Opus) and one question.

Run: ``.venv/bin/python bench/speech.py``. Every run uses a fresh data folder, so nothing comes
from the audio cache; the figures are eSpeak NG's synthesis plus encoding, uncached.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

RUNS = 5
QUESTION = "What do you like doing at the weekend?"


def _p50(action: Callable[[Path], object]) -> float:
    """Median seconds of ``action`` over ``RUNS`` runs, each in its own empty folder."""
    times = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            action(Path(folder))
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout too
    from easyread._model import Profile, ProfileItem, ProfileSection
    from easyread.speech import profile_speech, speak_question, synthesize
    from planbot.settings import Settings

    def section(key: str, heading: str, *texts: str) -> ProfileSection:
        return ProfileSection(key, heading, "icon", tuple(ProfileItem(t) for t in texts))

    profile = Profile(
        "Priya",
        (
            section(
                "like_admire",
                "What people like about me",
                "I make people laugh",
                "Kind to everyone",
                "Good at remembering birthdays",
            ),
            section(
                "important_to",
                "What is important to me",
                "Seeing my nan on Sundays",
                "My cat called Biscuit",
            ),
            section(
                "best_support",
                "How to support me well",
                "Give me time to answer",
                "Tell me before plans change",
                "Use short words",
            ),
            section("good_day", "A good day for me", "Swimming in the morning", "Pizza for tea"),
        ),
    )
    parts = profile_speech(profile)

    def settings(folder: Path) -> Settings:
        return Settings.from_env({"PLANBOT_DATA_DIR": str(folder), "PLANBOT_TTS": "espeak"})

    with tempfile.TemporaryDirectory() as folder:  # load the library before timing
        synthesize(["Warm up."], Path(folder) / "w.wav", "wav", settings=settings(Path(folder)))
    words = sum(len(p.split()) for p in parts)
    print(f"offline speech (eSpeak NG), p50 of {RUNS} uncached runs")
    for fmt in ("mp3", "ogg"):
        seconds = _p50(lambda d, f=fmt: synthesize(parts, d / f"p.{f}", f, settings=settings(d)))
        print(f"  profile, {len(parts)} parts, {words} words, {fmt}: {seconds * 1000:.0f} ms")
    seconds = _p50(lambda d: speak_question(QUESTION, d / "q.ogg", settings=settings(d)))
    print(f"  one question, ogg: {seconds * 1000:.0f} ms")


if __name__ == "__main__":
    main()

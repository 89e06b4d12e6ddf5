"""How long the profile takes: building the model from storage, then HTML, PDF, PNG, the phone
pictures and audio.

Run: ``.venv/bin/python bench/render.py [RUNS]`` (default 10). Prints the p50 of each, after
one warm-up run (fonts, templates and pictures load once per process).
Targets: HTML < 20 ms, PDF < 500 ms, PNG < 300 ms, phone pictures < 1 s, offline audio < 1 s
for a typical profile. "png" is page 1 of the PDF drawn as a picture (``easyread.png``);
"phone" is every picture made for a phone (``easyread.phone``: what ``--format png``, the
``.png`` link and Telegram give), with how many pictures and how tall.
Audio uses the offline engine (eSpeak NG) with an empty cache each run. A large profile
(60 long answers) is laid out several times to fit page 1, so its PDF takes longer.
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TARGETS_MS = {
    "model": 20.0,
    "html": 20.0,
    "pdf": 500.0,
    "png": 300.0,
    "phone": 1000.0,
    "audio": 1000.0,
}


def _p50(action: Callable[[], object], runs: int) -> float:
    """Median milliseconds of ``action`` over ``runs`` runs, after one warm-up run."""
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout too
    from PIL import Image

    import storage
    from easyread import build_profile
    from easyread._model import Profile, ProfileItem, ProfileSection
    from easyread._sections import SECTION_KEYS
    from easyread._sections import section as info
    from easyread.html import render_html
    from easyread.pdf import render_pdf
    from easyread.phone import phone_pictures
    from easyread.png import render_png
    from easyread.speech import clear_cache, profile_speech, synthesize
    from planbot.settings import Settings

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10

    def section(key: str, *items: ProfileItem) -> ProfileSection:
        found = info(key)
        return ProfileSection(key, found.heading, found.icon, items, found.core)

    item = ProfileItem
    typical = Profile(
        "Gemma",
        (
            section("like_admire", item("Bubbly. My laugh is infectious", "Mum", "family"),
                    item("Kind to everyone I meet")),
            section("important_to", item("my lurcher Tango 'he is my sunshine!'"),
                    item("Music, especially drum and bass"), item("Seeing my nan on Sundays")),
            section("best_support", item("The best way to support me is to listen to me"),
                    item("Respect my privacy and dignity"),
                    item("Let me choose my own clothes", "Sam", "supporter")),
            section("good_day", item("wake up in MY house not mums"),
                    item("popcorn + dvd w/ a mate 🍿")),
            section("bad_day", item("Staff arriving to get me up before I am ready"),
                    item("Going to bed early")),
        ),
    )
    large = Profile(
        "Dev",
        tuple(
            section(key, *[item(f"Answer {n} about {key}, long enough to wrap onto a second "
                                f"line of the page") for n in range(6)])
            for key in SECTION_KEYS[:10]
        ),
    )

    print(f"profile renderers, p50 of {runs} runs (after 1 warm-up)")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for name, profile in (("typical", typical), ("large", large)):
            items = sum(len(s.items) for s in profile.sections)
            pdf = tmp / f"{name}.pdf"
            db = storage.open_database(f"sqlite:///{tmp / (name + '.sqlite3')}")
            with db.transaction() as session:
                person = storage.create_person(session, profile.name)
                for sec in profile.sections:
                    for it in sec.items:
                        storage.add_answer(session, person, None, sec.key, it.text,
                                           said_by=it.said_by or profile.name,
                                           perspective=it.perspective)

            def model(db: storage.Database = db, person_name: str = profile.name) -> object:
                with db.transaction() as session:
                    return build_profile(session, storage.get_person(session, person_name))

            settings = Settings.from_env({"PLANBOT_DATA_DIR": str(tmp / "data")})

            def audio(p: Profile = profile, s: Settings = settings) -> object:
                clear_cache(s)
                return synthesize(profile_speech(p), tmp / "a.mp3", "mp3", "espeak", s)

            figures = {
                "model": _p50(model, runs),
                "html": _p50(lambda p=profile: render_html(p), runs),
                "pdf": _p50(lambda p=profile, out=pdf: render_pdf(p, out), runs),
                "png": _p50(lambda out=pdf: render_png(out, tmp / "page.png"), runs),
                "phone": _p50(lambda p=profile: phone_pictures(p), runs),
                "audio": _p50(audio, max(3, runs // 3)),
            }
            db.dispose()
            sizes = [Image.open(io.BytesIO(p)).size for p in phone_pictures(profile)]
            tall = ", ".join(f"{w}x{h}" for w, h in sizes)
            for fmt, ms in figures.items():
                mark = "" if name != "typical" else (
                    "  ok" if ms < TARGETS_MS[fmt] else f"  OVER {TARGETS_MS[fmt]:.0f} ms")
                shown = f" ({len(sizes)} pictures: {tall})" if fmt == "phone" else ""
                print(f"  {name} ({items} items) {fmt}: {ms:.1f} ms{shown}{mark}")


if __name__ == "__main__":
    main()

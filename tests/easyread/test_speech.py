"""Spoken audio, for real: eSpeak NG makes the sound, and gTTS talks to a fake Google.

Why so: a mock of our own engine would pass while the audio is silent or missing. These tests
decode the files written and measure them (length, loudness, pauses). gTTS is real too; only its
HTTP endpoint is answered by ``responses``, and any other request fails, so no test goes online.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np
import pytest
import requests
import responses
import soundfile as sf

import storage
from easyread._model import Profile, ProfileItem, ProfileSection
from easyread.speech import (
    SpeechResult,
    clear_cache,
    estimate_seconds,
    listen_length,
    profile_speech,
    sound_seconds,
    speak_question,
    synthesize,
)
from planbot.errors import RenderError
from planbot.settings import Settings

GOOGLE = "https://translate.google.co.uk/_/TranslateWebserverUi/data/batchexecute"
OPUS_RATES = {8000, 12000, 16000, 24000, 48000}
FAKE_SECONDS_PER_WORD = 0.4


@pytest.fixture(autouse=True)
def http() -> responses.RequestsMock:
    """Answer HTTP from the test only: an unregistered URL raises ConnectionError."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.passthru_prefixes = ()
        yield mock


KEY = "speech-test-key-0123456789-abcdefghijklmnop"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """With a key, as a deployment has: the cache is sealed."""
    return Settings.from_env(
        {"PLANBOT_DATA_DIR": str(tmp_path / "data"), "PLANBOT_SECRET_KEY": KEY}
    )


@pytest.fixture
def profile() -> Profile:
    def section(key: str, heading: str, *items: ProfileItem) -> ProfileSection:
        return ProfileSection(key, heading, "icon", items)

    return Profile(
        name="Priya",
        sections=(
            section(
                "like_admire",
                "What people like about me",
                ProfileItem("I make people laugh"),
                ProfileItem("She is kind to everyone", "Mum", "family"),
                ProfileItem("Good at remembering birthdays 🎂"),
            ),
            section(
                "important_to",
                "What is important to me",
                ProfileItem("Seeing my nan on Sundays"),
                ProfileItem("My cat called Biscuit"),
            ),
            section(
                "best_support",
                "How to support me well",
                ProfileItem("Give me time to answer"),
                ProfileItem("Tell me before plans change", "Sam", "supporter"),
                ProfileItem("Use short words"),
            ),
            section(
                "good_day",
                "A good day for me",
                ProfileItem("Swimming in the morning"),
                ProfileItem("Pizza for tea"),
            ),
        ),
    )


# --- measuring audio -------------------------------------------------------------------------


def decode(path: Path) -> tuple[np.ndarray, int]:
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return data.mean(axis=1), rate


def window_rms(samples: np.ndarray, rate: int, seconds: float = 0.02) -> np.ndarray:
    size = int(rate * seconds)
    usable = samples[: samples.size // size * size].reshape(-1, size)
    return np.sqrt((usable.astype(np.float64) ** 2).mean(axis=1))


def inner_pauses(samples: np.ndarray, rate: int, at_least: float = 0.5) -> int:
    """How many runs of near-silence (< -40 dBFS) of ``at_least`` seconds lie between sounds."""
    quiet = window_rms(samples, rate) < 0.01
    runs, length, heard = 0, 0, False
    for q in quiet:
        if q:
            length += 1
            continue
        if heard and length * 0.02 >= at_least:
            runs += 1
        heard, length = True, 0
    return runs


def word_count(parts: list[str]) -> int:
    return sum(len(p.split()) for p in parts)


def assert_real_speech(result: SpeechResult, parts: list[str]) -> tuple[np.ndarray, int]:
    samples, rate = decode(result.path)
    seconds = samples.size / rate
    assert seconds == pytest.approx(result.duration_seconds, abs=0.1)
    assert 0.15 <= seconds / word_count(parts) <= 1.2
    assert window_rms(samples, rate).max() > 0.05
    assert np.sqrt(np.mean(samples.astype(np.float64) ** 2)) > 0.01
    assert inner_pauses(samples, rate) >= len(parts) - 1
    return samples, rate


# --- a fake Google Translate speech endpoint ------------------------------------------------------


def fake_mp3(seconds: float, rate: int = 24000) -> bytes:
    """A tone in MP3, like the 24 kHz mono MP3 Google sends."""
    t = np.arange(int(seconds * rate)) / rate
    tone = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, tone, rate, format="MP3", subtype="MPEG_LAYER_III")
    return buf.getvalue()


def google_answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    """Answer the way batchexecute does: the audio as base64 inside an escaped JSON string."""
    body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
    rpc = json.loads(parse_qs(body)["f.req"][0])
    rpc_id, escaped, _, _ = rpc[0][0]
    text, lang, slow, _ = json.loads(escaped)
    assert (rpc_id, lang, slow) == ("jQ1olc", "en", True)
    audio = base64.b64encode(fake_mp3(FAKE_SECONDS_PER_WORD * len(text.split()))).decode()
    envelope = [["wrb.fr", "jQ1olc", json.dumps([audio]), None, None, None, "generic"]]
    line = json.dumps(envelope, separators=(",", ":"))  # compact, as Google sends it
    line = line[:-1] + ',["di",58],["af.httprm",57,"-4188372849293836384",1]]'
    return 200, {}, f')]}}\'\n\n{len(line)}\n{line}\n25\n[["e",4,null,null,160]]\n'


def sent_texts(http: responses.RequestsMock) -> list[str]:
    texts = []
    for call in http.calls:
        body = call.request.body
        body = body.decode() if isinstance(body, bytes) else str(body)
        texts.append(json.loads(json.loads(parse_qs(body)["f.req"][0])[0][0][1])[0])
    return texts


# --- the offline engine -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["mp3", "ogg", "wav"])
def test_espeak_speaks_a_whole_profile(
    profile: Profile, settings: Settings, tmp_path: Path, fmt: str
) -> None:
    parts = profile_speech(profile)
    result = synthesize(parts, tmp_path / f"profile.{fmt}", fmt, "espeak", settings)
    assert (result.engine, result.cached) == ("espeak", False)
    assert result.path == tmp_path / f"profile.{fmt}"
    _, rate = assert_real_speech(result, parts)
    info = sf.info(str(result.path))
    assert info.format == {"mp3": "MP3", "ogg": "OGG", "wav": "WAV"}[fmt]
    if fmt == "ogg":
        assert info.subtype == "OPUS"
        assert rate in OPUS_RATES
    else:
        assert rate == 22050


def test_a_question_comes_as_an_opus_voice_note(settings: Settings, tmp_path: Path) -> None:
    question = "What do you like doing at the weekend?"
    result = speak_question(question, tmp_path / "q.ogg", engine="espeak", settings=settings)
    assert result.engine == "espeak"
    samples, rate = decode(result.path)
    assert rate in OPUS_RATES
    assert sf.info(str(result.path)).subtype == "OPUS"
    assert 0.15 <= samples.size / rate / len(question.split()) <= 1.2
    assert window_rms(samples, rate).max() > 0.05


def test_espeak_is_safe_from_several_threads(settings: Settings, tmp_path: Path) -> None:
    texts = [f"This is sentence number {n}. It has a few more words in it." for n in range(4)]
    results: dict[int, SpeechResult] = {}

    def speak(n: int) -> None:
        results[n] = synthesize([texts[n]], tmp_path / f"{n}.wav", "wav", "espeak", settings)

    threads = [threading.Thread(target=speak, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    durations = [results[n].duration_seconds for n in range(4)]
    assert all(0.15 * 12 <= d <= 1.2 * 12 for d in durations)
    assert max(durations) - min(durations) < 0.5  # same length of text, same length of audio


# --- gTTS, with Google's endpoint faked at the HTTP layer ----------------------------------


@pytest.mark.parametrize(("engine", "fmt"), [("gtts", "mp3"), ("auto", "mp3"), ("gtts", "ogg")])
def test_gtts_speaks_when_google_answers(
    http: responses.RequestsMock,
    profile: Profile,
    settings: Settings,
    tmp_path: Path,
    engine: str,
    fmt: str,
) -> None:
    http.add_callback(responses.POST, GOOGLE, callback=google_answer)
    parts = profile_speech(profile)
    result = synthesize(parts, tmp_path / f"p.{fmt}", fmt, engine, settings)
    assert result.engine == "gtts"
    # gTTS splits text over 100 characters at punctuation: the words all go, in order.
    assert re.findall(r"\w+", " ".join(sent_texts(http))) == re.findall(r"\w+", " ".join(parts))
    _, rate = assert_real_speech(result, parts)
    assert rate == 24000  # Google sends 24 kHz, an Opus rate already
    expected = FAKE_SECONDS_PER_WORD * word_count(parts) + 0.8 * (len(parts) - 1)
    assert result.duration_seconds == pytest.approx(expected, abs=0.2 * len(http.calls))


@pytest.mark.parametrize(
    "failure",
    [
        {"body": requests.ConnectionError("no route to host")},
        {"status": 500, "body": "Server Error"},
        {"status": 200, "body": "<html>Sorry, unusual traffic</html>"},
    ],
    ids=["offline", "server-error", "no-audio"],
)
def test_auto_falls_back_to_espeak_when_google_fails(
    http: responses.RequestsMock,
    profile: Profile,
    settings: Settings,
    tmp_path: Path,
    failure: dict[str, object],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    http.add(responses.POST, GOOGLE, **failure)  # type: ignore[arg-type]
    parts = profile_speech(profile)
    result = synthesize(parts, tmp_path / "p.mp3", "mp3", "auto", settings)
    assert result.engine == "espeak"
    assert_real_speech(result, parts)
    assert "gtts" in caplog.text
    assert "Biscuit" not in caplog.text and "Priya" not in caplog.text  # no words in the logs


def test_gtts_asked_for_by_name_does_not_fall_back(
    http: responses.RequestsMock, settings: Settings, tmp_path: Path
) -> None:
    http.add(responses.POST, GOOGLE, status=503)
    with pytest.raises(RenderError, match="gTTS"):
        synthesize(["Hello there."], tmp_path / "x.mp3", "mp3", "gtts", settings)
    assert not (tmp_path / "x.mp3").exists()


# --- the cache ----------------------------------------------------------------------------


def cache_files(settings: Settings) -> list[Path]:
    return sorted((settings.data_dir / "cache" / "audio").glob("*"))


def test_second_call_comes_from_the_cache(
    profile: Profile, settings: Settings, tmp_path: Path
) -> None:
    parts = profile_speech(profile)
    first = synthesize(parts, tmp_path / "a.mp3", "mp3", "espeak", settings)
    [stored] = cache_files(settings)
    written, inode = stored.read_bytes(), stored.stat().st_ino
    second = synthesize(parts, tmp_path / "b.mp3", "mp3", "espeak", settings)
    assert (first.cached, second.cached) == (False, True)
    assert second.engine == "espeak"
    assert second.duration_seconds == first.duration_seconds
    assert (tmp_path / "b.mp3").read_bytes() == (tmp_path / "a.mp3").read_bytes()
    assert cache_files(settings) == [stored]  # the same file, not written again
    assert stored.stat().st_ino == inode and stored.read_bytes() == written


def test_the_cache_stays_under_its_size_limit_and_the_sound_used_longest_ago_goes(
    tmp_path: Path,
) -> None:
    """Each sound is about 440 KB (10 seconds as WAV): 2 fit in 1 MB, a 3rd pushes one out."""
    settings = Settings.from_env(
        {
            "PLANBOT_DATA_DIR": str(tmp_path / "data"),
            "PLANBOT_SECRET_KEY": KEY,
            "PLANBOT_SOUND_CACHE_MB": "1",
        }
    )

    def say(animal: str) -> bool:
        """Speak about ``animal``; True when the sound came from the cache."""
        time.sleep(0.02)  # each use is later than the one before, on any clock
        words = f"Priya likes {animal} by the river on a sunny day with her friends and family. "
        return synthesize([words * 2], tmp_path / "x.wav", "wav", "espeak", settings).cached

    assert not say("herons") and not say("otters")
    assert say("herons")  # used again: now the last to go
    assert not say("badger")
    assert sum(p.stat().st_size for p in cache_files(settings)) <= 1024 * 1024
    assert len(cache_files(settings)) == 2
    assert say("herons") and say("badger")
    assert not say("otters")  # the one used longest ago went


def test_a_cache_hit_does_not_speak_again(settings: Settings, tmp_path: Path) -> None:
    synthesize(["Hello Priya."], tmp_path / "a.mp3", "mp3", "espeak", settings)
    [stored] = cache_files(settings)
    fake = fake_mp3(2.0, 22050)
    # had it spoken again, this would be overwritten
    stored.write_bytes(storage.seal_file(fake, storage.keys_of(settings)))
    again = synthesize(["Hello Priya."], tmp_path / "b.mp3", "mp3", "espeak", settings)
    assert again.cached and again.duration_seconds == pytest.approx(2.0, abs=0.1)
    assert (tmp_path / "b.mp3").read_bytes() == fake


def test_the_cache_is_encrypted_and_named_by_a_keyed_hash(
    settings: Settings, tmp_path: Path
) -> None:
    said = synthesize(["Hello Priya."], tmp_path / "a.wav", "wav", "espeak", settings)
    sound = said.path.read_bytes()
    [stored] = cache_files(settings)
    kept = stored.read_bytes()
    assert sound.startswith(b"RIFF") and b"RIFF" not in kept and sound[200:300] not in kept
    assert storage.open_file(kept, storage.keys_of(settings)) == sound
    other = Settings.from_env(
        {"PLANBOT_DATA_DIR": str(settings.data_dir), "PLANBOT_SECRET_KEY": "x" * 40}
    )
    again = synthesize(["Hello Priya."], tmp_path / "b.wav", "wav", "espeak", other)
    assert not again.cached  # another key finds nothing it can open: spoken afresh
    assert again.path.read_bytes().startswith(b"RIFF")
    # The name is a keyed hash: the same words under another key have another name.
    assert len(cache_files(settings)) == 2 and stored in cache_files(settings)


def test_without_a_key_the_cache_still_works(tmp_path: Path) -> None:
    plain = Settings.from_env({"PLANBOT_DATA_DIR": str(tmp_path / "data")})
    first = synthesize(["Hello Priya."], tmp_path / "a.wav", "wav", "espeak", plain)
    second = synthesize(["Hello Priya."], tmp_path / "b.wav", "wav", "espeak", plain)
    assert (first.cached, second.cached) == (False, True)
    [stored] = cache_files(plain)
    assert stored.read_bytes() == first.path.read_bytes()


def test_gtts_cache_hit_makes_no_request(
    http: responses.RequestsMock, settings: Settings, tmp_path: Path
) -> None:
    http.add_callback(responses.POST, GOOGLE, callback=google_answer)
    first = synthesize(["Hello Priya.", "Bye."], tmp_path / "a.ogg", "ogg", "gtts", settings)
    asked = len(http.calls)
    second = synthesize(["Hello Priya.", "Bye."], tmp_path / "b.ogg", "ogg", "auto", settings)
    assert (first.cached, second.cached, second.engine) == (False, True, "gtts")
    assert len(http.calls) == asked == 2
    assert (tmp_path / "a.ogg").read_bytes() == (tmp_path / "b.ogg").read_bytes()


def test_auto_offline_reuses_the_espeak_copy(
    http: responses.RequestsMock, settings: Settings, tmp_path: Path
) -> None:
    http.add(responses.POST, GOOGLE, body=requests.ConnectionError("offline"))
    first = synthesize(["Hello Priya."], tmp_path / "a.mp3", "mp3", "auto", settings)
    second = synthesize(["Hello Priya."], tmp_path / "b.mp3", "mp3", "auto", settings)
    assert (first.engine, first.cached) == ("espeak", False)
    assert (second.engine, second.cached) == ("espeak", True)
    assert len(http.calls) == 1


def test_format_and_words_are_part_of_the_cache_key(settings: Settings, tmp_path: Path) -> None:
    synthesize(["Hello Priya."], tmp_path / "a.mp3", "mp3", "espeak", settings)
    assert not synthesize(["Hello Priya."], tmp_path / "a.ogg", "ogg", "espeak", settings).cached
    assert not synthesize(["Hello Sam."], tmp_path / "b.mp3", "mp3", "espeak", settings).cached
    assert len(cache_files(settings)) == 3


def test_clear_cache_forgets_the_audio(settings: Settings, tmp_path: Path) -> None:
    assert clear_cache(settings) == 0
    synthesize(["Hello Priya."], tmp_path / "a.mp3", "mp3", "espeak", settings)
    assert clear_cache(settings) == 1
    assert cache_files(settings) == []
    assert not synthesize(["Hello Priya."], tmp_path / "a.mp3", "mp3", "espeak", settings).cached


# --- choices and bad input ------------------------------------------------------------------


def test_off_raises_a_clear_error(tmp_path: Path) -> None:
    off = Settings.from_env({"PLANBOT_DATA_DIR": str(tmp_path), "PLANBOT_TTS": "off"})
    with pytest.raises(RenderError, match="off"):
        synthesize(["Hello."], tmp_path / "a.mp3", settings=off)
    with pytest.raises(RenderError, match="off"):
        speak_question("Hello?", tmp_path / "q.ogg", engine="off", settings=off)


def test_engine_comes_from_settings(tmp_path: Path) -> None:
    chosen = Settings.from_env({"PLANBOT_DATA_DIR": str(tmp_path), "PLANBOT_TTS": "espeak"})
    assert synthesize(["Hello."], tmp_path / "a.wav", "wav", settings=chosen).engine == "espeak"


@pytest.mark.parametrize(
    ("parts", "fmt", "engine"),
    [
        ([], "mp3", "espeak"),
        (["  ", "\x00\x07"], "mp3", "espeak"),
        (["Hi."], "flac", "espeak"),
        (["Hi."], "mp3", "piper"),
    ],
)
def test_bad_requests_raise_render_error(
    settings: Settings, tmp_path: Path, parts: list[str], fmt: str, engine: str
) -> None:
    with pytest.raises(RenderError):
        synthesize(parts, tmp_path / "x", fmt, engine, settings)


def test_odd_text_still_speaks(settings: Settings, tmp_path: Path) -> None:
    odd = ["<b>bold</b> ' OR 1=1; --", "tab\tand\x00nul and bell\x07 here", "£5 is 100% fine"]
    result = synthesize(odd, tmp_path / "odd.wav", "wav", "espeak", settings)
    samples, rate = decode(result.path)
    assert window_rms(samples, rate).max() > 0.05


# --- the words of a profile -------------------------------------------------------------------


def test_profile_speech_reads_the_profile_in_order(profile: Profile) -> None:
    parts = profile_speech(profile)
    assert parts[0] == "All about Priya."
    assert parts[1] == (
        "What people like about me. I make people laugh. Mum says She is kind to everyone. "
        "Good at remembering birthdays."
    )
    assert parts[3].startswith("How to support me well. Give me time to answer. Sam says Tell")
    assert len(parts) == 1 + len(profile.sections)


def test_profile_speech_keeps_words_and_emoji_only_answers() -> None:
    profile = Profile(
        name="Jo",
        sections=(
            ProfileSection(
                "good_day",
                "A good day for me",
                "icon",
                (
                    ProfileItem("🐶🎵"),
                    ProfileItem("I ❤️ my dog!"),
                    ProfileItem("going 2 the caff  with Dad"),
                    ProfileItem("   "),
                ),
            ),
            ProfileSection("bad_day", "A bad day for me", "icon", (ProfileItem("😡"),)),
            ProfileSection("working", "What is working", "icon", ()),
        ),
    )
    parts = profile_speech(profile)
    assert parts == [
        "All about Jo.",
        "A good day for me. 🐶🎵. I my dog! going 2 the caff with Dad.",
        "A bad day for me. 😡.",
    ]


def test_the_length_is_said_in_whole_minutes_in_digits() -> None:
    assert listen_length(20) == "Less than 1 minute"
    assert listen_length(50) == "About 1 minute"
    assert listen_length(100) == "About 2 minutes"
    assert listen_length(185) == "About 3 minutes"


def test_the_estimate_counts_words_and_pauses() -> None:
    assert estimate_seconds([]) == 0
    one = estimate_seconds(["word " * 110])
    assert 55 <= one <= 65  # about a minute for 110 words
    assert estimate_seconds(["a b", "c d"]) > estimate_seconds(["a b c d"])  # a pause between


def test_the_length_of_a_sound_is_read_from_its_header(tmp_path: Path) -> None:
    out = tmp_path / "x.wav"
    sf.write(out, np.zeros(8000 * 3, dtype=np.float32), 8000)
    assert sound_seconds(out.read_bytes()) == pytest.approx(3.0)
    assert sound_seconds(b"not a sound") is None

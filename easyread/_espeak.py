"""A small ctypes binding to eSpeak NG, the offline voice.

Why ctypes: the ``espeakng-loader`` wheel ships ``libespeak-ng`` and its data, so planbot speaks
with no system package and no network. Why a lock: the library keeps one global state (voice,
rate, callback), so only one thread may synthesise at a time. Synthesis is fast (a few
milliseconds a sentence), so waiting for the lock costs little.
"""

from __future__ import annotations

import ctypes
import threading

import numpy as np
import numpy.typing as npt

from planbot.errors import RenderError

# Values from espeak-ng's speak_lib.h.
AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_DONT_EXIT = 0x8000  # return an error instead of calling exit() on missing data
POS_CHARACTER = 1
CHARS_UTF8 = 1
ENDPAUSE = 0x1000
PARAM_RATE = 1
EE_OK = 0

DEFAULT_RATE_WPM = 140  # eSpeak's default is 175 words a minute; slower is clearer
# "en-gb" is the language code; espeak-ng 1.52 only finds the British voice by its file
# name "en" (espeak-ng-data/lang/gmw/en, "English (Great Britain)"), so try both.
VOICE_NAMES = (b"en-gb", b"en")

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)

_lock = threading.Lock()
_lib: ctypes.CDLL | None = None
_sample_rate = 0
_chunks: list[bytes] = []


def _collect(wav: ctypes._Pointer[ctypes.c_short], numsamples: int, events: int | None) -> int:
    """Keep each block of 16-bit samples the library hands back; 0 means "go on"."""
    if wav and numsamples > 0:
        _chunks.append(ctypes.string_at(wav, numsamples * 2))
    return 0


# Kept at module level so the C side never calls a callback Python has freed.
_callback = _SynthCallback(_collect)


def _load() -> tuple[ctypes.CDLL, int]:
    """Load and initialise the library once (call with the lock held)."""
    global _lib, _sample_rate
    if _lib is not None:
        return _lib, _sample_rate
    try:
        import espeakng_loader

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data_path = espeakng_loader.get_data_path()
    except (ImportError, OSError, RuntimeError) as exc:
        raise RenderError(
            "The offline voice (eSpeak NG) is not installed: pip install espeakng-loader"
        ) from exc
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p,  # text
        ctypes.c_size_t,  # size in bytes, with the final NUL
        ctypes.c_uint,  # position
        ctypes.c_int,  # position type
        ctypes.c_uint,  # end position (0: to the end)
        ctypes.c_uint,  # flags
        ctypes.c_void_p,  # unique identifier (unused)
        ctypes.c_void_p,  # user data (unused)
    ]
    lib.espeak_Synth.restype = ctypes.c_int
    lib.espeak_Synchronize.restype = ctypes.c_int
    rate = lib.espeak_Initialize(
        AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), INITIALIZE_DONT_EXIT
    )
    if rate <= 0:
        raise RenderError("The offline voice (eSpeak NG) could not start")
    lib.espeak_SetSynthCallback(_callback)
    _lib, _sample_rate = lib, rate
    return lib, rate


def _set_voice(lib: ctypes.CDLL, rate_wpm: int) -> None:
    """Choose the British voice and the speed (each time: the library state is global)."""
    if not any(lib.espeak_SetVoiceByName(name) == EE_OK for name in VOICE_NAMES):
        raise RenderError("The offline voice has no British English voice")
    if lib.espeak_SetParameter(PARAM_RATE, rate_wpm, 0) != EE_OK:
        raise RenderError("The offline voice did not accept the speaking rate")


def speak(text: str, rate_wpm: int = DEFAULT_RATE_WPM) -> tuple[npt.NDArray[np.int16], int]:
    """Speak ``text`` with eSpeak NG; return 16-bit mono samples and the sample rate (22,050)."""
    data = text.replace("\x00", " ").encode("utf-8")
    with _lock:
        lib, rate = _load()
        _set_voice(lib, rate_wpm)
        _chunks.clear()
        try:
            status = lib.espeak_Synth(
                data, len(data) + 1, 0, POS_CHARACTER, 0, CHARS_UTF8 | ENDPAUSE, None, None
            )
            if status == EE_OK:
                status = lib.espeak_Synchronize()
            pcm = b"".join(_chunks)
        finally:
            _chunks.clear()
    if status != EE_OK:
        raise RenderError(f"The offline voice failed (eSpeak NG error {status})")
    return np.frombuffer(pcm, dtype=np.int16).copy(), rate


class EspeakEngine:
    """The offline engine for ``easyread.speech``: robotic but clear, British, slowed down."""

    name = "espeak"

    def __init__(self, rate_wpm: int = DEFAULT_RATE_WPM) -> None:
        self.rate_wpm = rate_wpm
        self.voice = f"en-gb/{rate_wpm}wpm"

    def speak(self, text: str) -> tuple[npt.NDArray[np.float32], int]:
        """Mono float samples (-1..1) and their sample rate."""
        pcm, rate = speak(text, self.rate_wpm)
        return pcm.astype(np.float32) / np.float32(32768.0), rate

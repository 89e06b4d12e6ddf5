"""The webhook's fast parts against twilio's own: the signature check, the TwiML, the logs.

Why these tests: planbot checks Twilio's signature and builds TwiML itself (one HMAC, a
string), where twilio's library does more work for the same answer. Every verdict and every
reply is compared here with what twilio's ``RequestValidator`` and ``MessagingResponse``
give, on fixed cases and on many hypothesis makes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import ImmutableMultiDict
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

import storage
from bot.sms.bodies import xml_safe
from bot.sms.signature import is_signed, signature
from bot.web.app import create_app, twiml
from bot.web.body import form_pairs
from planbot.settings import Settings
from tests.auxil.hostile import HOSTILE, examples
from tests.auxil.twilio import AUTH_TOKEN, PUBLIC_URL, Texter, sign, sms_form
from tests.bot.test_sms_conversation import consent
from tests.conftest import Clock

URL = PUBLIC_URL + "/sms"
FORM = sms_form("+447700900123", "going swimming")
PAIRS = list(FORM.items())


def twilio_says(url: str, pairs: list[tuple[str, str]], given: str) -> bool:
    """twilio's own verdict, on the form as the app reads it (a multidict)."""
    return bool(RequestValidator(AUTH_TOKEN).validate(url, ImmutableMultiDict(pairs), given))


# --- the signature ---------------------------------------------------------------------


def test_a_signature_twilio_made_passes() -> None:
    assert is_signed(AUTH_TOKEN, URL, PAIRS, sign(URL, FORM))


def test_our_signature_is_twilios() -> None:
    assert signature(AUTH_TOKEN, URL, PAIRS) == sign(URL, FORM)


@pytest.mark.parametrize(
    ("configured", "signed"),
    [
        ("https://planbot.example.org/sms", "https://planbot.example.org:443/sms"),
        ("https://planbot.example.org:443/sms", "https://planbot.example.org/sms"),
        ("http://planbot.example.org/sms", "http://planbot.example.org:80/sms"),
        ("http://localhost:8000/sms?x=1", "http://localhost/sms?x=1"),
    ],
)
def test_signed_with_or_without_the_port_passes(configured: str, signed: str) -> None:
    given = sign(signed, FORM)
    assert twilio_says(configured, PAIRS, given)
    assert is_signed(AUTH_TOKEN, configured, PAIRS, given)


def test_the_configured_url_costs_one_hmac(monkeypatch: pytest.MonkeyPatch) -> None:
    """The port forms are tried only when the configured URL's signature does not match."""
    calls: list[bytes] = []
    real = hmac.digest

    def counted(key: bytes, msg: bytes, digest: Any) -> bytes:
        calls.append(msg)
        return real(key, msg, digest)

    monkeypatch.setattr(hmac, "digest", counted)
    assert is_signed(AUTH_TOKEN, URL, PAIRS, sign(URL, FORM))
    assert len(calls) == 1
    calls.clear()
    assert is_signed(AUTH_TOKEN, URL, PAIRS, sign(PUBLIC_URL + ":443/sms", FORM))
    assert len(calls) == 2


def test_the_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    given = sign(URL, FORM)
    assert is_signed(AUTH_TOKEN, URL, PAIRS, given)
    assert compared == [(given.encode(), given.encode())]


BAD = {
    "forged": "c2lnbmVkIGJ5IG5vYm9keSBhdCBhbGwgZm9yIHN1cmU=",
    "missing": "",
    "wrong token": sign(URL, FORM, token="not-the-token"),
    "wrong url": sign("https://evil.example.org/sms", FORM),
    "wrong path": sign(PUBLIC_URL + "/sms/status", FORM),
    "http not https": sign("http://planbot.example.org/sms", FORM),
    "changed field": sign(URL, {**FORM, "Body": "something else"}),
    "added field": sign(URL, {**FORM, "Extra": "1"}),
    "removed field": sign(URL, {k: v for k, v in FORM.items() if k != "Body"}),
    "not ascii": sign(URL, FORM)[:-1] + "é",
    "sha256": RequestValidator(AUTH_TOKEN).compute_signature(URL, FORM, "HMAC_SHA256"),
    "a hex sha1": hmac.new(AUTH_TOKEN.encode(), URL.encode(), hashlib.sha1).hexdigest(),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_signature_fails(name: str) -> None:
    assert not twilio_says(URL, PAIRS, BAD[name])
    assert not is_signed(AUTH_TOKEN, URL, PAIRS, BAD[name])


def test_no_token_signs_nothing() -> None:
    assert not is_signed("", URL, PAIRS, signature("", URL, PAIRS))


def test_repeated_keys_unicode_and_empty_values_as_twilio_says() -> None:
    pairs = [("Body", ""), ("MediaUrl", "b"), ("MediaUrl", "a"), ("MediaUrl", "a"), ("É", "🏊")]
    given = RequestValidator(AUTH_TOKEN).compute_signature(URL, ImmutableMultiDict(pairs))
    assert twilio_says(URL, pairs, given)
    assert is_signed(AUTH_TOKEN, URL, pairs, given)
    assert is_signed(AUTH_TOKEN, URL, list(reversed(pairs)), given)  # the order is not signed
    assert not is_signed(AUTH_TOKEN, URL, [*pairs, ("MediaUrl", "c")], given)


HOSTS = st.sampled_from(["planbot.example.org", "localhost", "Planbot.Example.org", "127.0.0.1"])
PORTS = st.sampled_from(["", ":443", ":80", ":8000"])
QUERIES = st.sampled_from(["", "?source=backup", "?a=1&a=2", "?x=%20;y", "?é=ü"])
NAMES = st.sampled_from(["Body", "From", "MediaUrl0", "body", "É", "a b", "", "Z"]) | st.text(
    max_size=6
)
VALUES = st.sampled_from(["", "hello", " ", "é🏊", "&=?+", "\n\t"]) | st.text(max_size=12)


@st.composite
def signed_posts(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]], str]:
    """A configured URL, a form (repeated names, unicode, empty values), and a signature:
    Twilio's for that post, for a variant of it, or none of Twilio's at all."""
    scheme = draw(st.sampled_from(["https", "http"]))
    base = f"{scheme}://{draw(HOSTS)}{draw(PORTS)}"
    url = base + draw(st.sampled_from(["/sms", "/sms/status"])) + draw(QUERIES)
    pairs = draw(st.lists(st.tuples(NAMES, VALUES), max_size=8))
    signed_url = draw(
        st.sampled_from(
            [
                url,
                url.replace(base, f"{scheme}://{draw(HOSTS)}{draw(PORTS)}"),
                url.replace("https://", "http://"),
                url.replace("/sms", "/sms/status"),
            ]
        )
    )
    signed_pairs = draw(st.sampled_from([pairs, pairs[:-1], [*pairs, ("Body", "x")], pairs[::-1]]))
    token = draw(st.sampled_from([AUTH_TOKEN, AUTH_TOKEN, "another-token"]))
    made = RequestValidator(token).compute_signature(signed_url, ImmutableMultiDict(signed_pairs))
    given = draw(st.sampled_from([made, made, made[:-2] + "==", "", draw(st.text(max_size=30))]))
    return url, pairs, given


@settings(max_examples=examples(400), deadline=None)
@given(signed_posts())
def test_our_verdict_is_twilios_on_any_post(post: tuple[str, list[tuple[str, str]], str]) -> None:
    url, pairs, given = post
    assert is_signed(AUTH_TOKEN, url, pairs, given) == twilio_says(url, pairs, given)


async def test_the_app_still_refuses_a_port_signature_for_another_path(
    client: httpx.AsyncClient,
) -> None:
    """Through the app: the port form is accepted, for the right path only."""
    headers = {"X-Twilio-Signature": sign(PUBLIC_URL + ":443/sms", FORM)}
    assert (await client.post("/sms", data=FORM, headers=headers)).status_code == 200
    headers = {"X-Twilio-Signature": sign(PUBLIC_URL + ":443/sms/status", FORM)}
    assert (await client.post("/sms", data=FORM, headers=headers)).status_code == 403


# --- the form ----------------------------------------------------------------------------

FORM_CHARACTERS = st.sampled_from(list("ab=&+%2G0F9 ;?#é\x00\udcff"))


def python_says(text: str, max_fields: int) -> list[tuple[str, str]] | None:
    """The standard library's reading of a form, as the app read it before."""
    try:
        return parse_qsl(text, keep_blank_values=True, errors="replace", max_num_fields=max_fields)
    except ValueError:
        return None


def test_twilios_form_reads_as_parse_qsl_reads_it() -> None:
    text = urlencode({**FORM, "Body": "50% off & <big> + café 😀"})
    assert form_pairs(text, 200) == python_says(text, 200) == parse_qsl(text)


@settings(max_examples=examples(2000), deadline=None)
@given(st.text(FORM_CHARACTERS, max_size=16), st.integers(1, 4))
def test_any_form_reads_as_parse_qsl_reads_it(text: str, max_fields: int) -> None:
    """The same pairs, the same decoding of bad escapes, the same refusal past the fields."""
    assert form_pairs(text, max_fields) == python_says(text, max_fields)


async def test_the_query_is_part_of_the_signed_address(client: httpx.AsyncClient) -> None:
    """Through the app, with a field sent twice: another query or none is refused."""
    pairs = [*FORM.items(), ("From", "+447700900999")]
    body = urlencode(pairs)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    signed = {**headers, "X-Twilio-Signature": signature(AUTH_TOKEN, URL + "?a=1", pairs)}
    assert (await client.post("/sms?a=1", content=body, headers=signed)).status_code == 200
    assert (await client.post("/sms?a=2", content=body, headers=signed)).status_code == 403
    assert (await client.post("/sms", content=body, headers=signed)).status_code == 403


# --- the TwiML ---------------------------------------------------------------------------


def twilio_twiml(bodies: list[str]) -> str:
    response = MessagingResponse()
    for body in bodies:
        response.message(body)
    return str(response.to_xml())


def tree(text: str) -> tuple[str, list[tuple[str, str, int]]]:
    """What a TwiML reader sees: the root's tag and each child's tag, text and children."""
    root = ET.fromstring(text)
    return root.tag, [(child.tag, child.text or "", len(child)) for child in root]


def test_hostile_text_makes_the_twiml_twilio_would() -> None:
    for name, text in HOSTILE.items():
        bodies = [text, "plain", "", text.upper()]
        ours = twiml(bodies)
        kept = [xml_safe(b) for b in bodies]
        assert tree(ours) == tree(twilio_twiml(kept)), name
        assert ours == twilio_twiml(kept).replace("<Message />", "<Message></Message>"), name


def test_what_xml_cannot_hold_is_dropped_where_twilio_would_break() -> None:
    text = HOSTILE["nul and controls"] + HOSTILE["not xml"] + "\ud800"
    with pytest.raises(ET.ParseError):
        ET.fromstring(twilio_twiml([text]))  # MessagingResponse writes unreadable TwiML
    assert tree(twiml([text])) == ("Response", [("Message", "swimming[31m red\x7fswimming ", 0)])


def test_no_bodies_is_an_empty_response() -> None:
    assert tree(twiml([])) == tree(twilio_twiml([])) == ("Response", [])


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.text(max_size=200), max_size=4))
def test_any_text_makes_the_twiml_twilio_would(bodies: list[str]) -> None:
    kept = [xml_safe(b) for b in bodies]
    assert tree(twiml(bodies)) == tree(twilio_twiml(kept))


# --- the logs ----------------------------------------------------------------------------


@pytest.fixture
def loud_transitions() -> Iterator[None]:
    """``transitions`` as a fresh process has it (no level set), put back afterwards."""
    logger = logging.getLogger("transitions")
    level = logger.level
    logger.setLevel(logging.NOTSET)
    try:
        yield
    finally:
        logger.setLevel(level)


async def test_handling_texts_logs_no_transitions_info(
    loud_transitions: None,
    db: storage.Database,
    sms_settings: Settings,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger lets everything through
    assert logging.getLogger("transitions.core").isEnabledFor(logging.INFO)  # as it would be
    app = create_app(sms_settings, db, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
        texter = Texter(http)
        await consent(texter)
        for said in ("swimming", "done", "music"):
            await texter.send(said)
    assert [r for r in caplog.records if r.name.startswith("transitions")] == []
    assert not logging.getLogger("transitions.core").isEnabledFor(logging.INFO)


def test_an_operators_level_is_kept(
    loud_transitions: None, db: storage.Database, sms_settings: Settings
) -> None:
    """A level someone set on purpose (hunting a problem) is theirs: the app keeps it."""
    logging.getLogger("transitions").setLevel(logging.DEBUG)
    create_app(sms_settings, db)
    assert logging.getLogger("transitions").level == logging.DEBUG

"""What each webhook takes, in OpenAPI words, for the app's description (``app.openapi()``).

Why: the handlers read the raw request (to check Twilio's signature over the exact form, and
to cap the body's size before it is parsed), so FastAPI cannot see their fields. These say
them, so the description tells a reader (and the fuzz tests, which read it) what comes in.
The description is not served: the app has ``openapi_url=None``, as a public one would only
help a guesser.
"""

from __future__ import annotations

from typing import Any

_TEXT: dict[str, Any] = {"type": "string"}
_INTEGER: dict[str, Any] = {"type": "integer"}


def _header(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": True,
        "description": description,
        "schema": _TEXT,
    }


def _form(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {
        "required": True,
        "content": {"application/x-www-form-urlencoded": {"schema": schema}},
    }


_SIGNATURE = _header(
    "X-Twilio-Signature", "Twilio's signature of PLANBOT_PUBLIC_URL + path and every form field"
)

SMS: dict[str, Any] = {
    "summary": "A text from Twilio (inbound message webhook); the answer is TwiML",
    "parameters": [_SIGNATURE],
    "requestBody": _form(
        {
            "From": _TEXT,
            "To": _TEXT,
            "MessageSid": _TEXT,
            "SmsMessageSid": _TEXT,
            "Body": _TEXT,
            "NumMedia": _TEXT,
            "MediaUrl0": _TEXT,
            "MediaContentType0": _TEXT,
            "ToCountry": _TEXT,
            "AccountSid": _TEXT,
        },
        ["From", "MessageSid"],
    ),
}

SMS_STATUS: dict[str, Any] = {
    "summary": "A delivery report from Twilio (status callback)",
    "parameters": [_SIGNATURE],
    "requestBody": _form(
        {
            "MessageSid": _TEXT,
            "MessageStatus": _TEXT,
            "SmsStatus": _TEXT,
            "To": _TEXT,
            "ErrorCode": _TEXT,
        },
        ["MessageSid"],
    ),
}

_CHAT = {
    "type": "object",
    "properties": {"id": _INTEGER, "type": _TEXT, "first_name": _TEXT},
    "required": ["id", "type"],
}
_USER = {
    "type": "object",
    "properties": {"id": _INTEGER, "is_bot": {"type": "boolean"}, "first_name": _TEXT},
    "required": ["id", "is_bot", "first_name"],
}
_MESSAGE = {
    "type": "object",
    "properties": {
        "message_id": _INTEGER,
        "date": _INTEGER,
        "chat": _CHAT,
        "from": _USER,
        "text": _TEXT,
        "caption": _TEXT,
    },
    "required": ["message_id", "date", "chat"],
}

TELEGRAM: dict[str, Any] = {
    "summary": "An update from Telegram (setWebhook); the answers go by the Bot API",
    "parameters": [_header("X-Telegram-Bot-Api-Secret-Token", "The secret given to setWebhook")],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "update_id": _INTEGER,
                        "message": _MESSAGE,
                        "edited_message": _MESSAGE,
                        "callback_query": {
                            "type": "object",
                            "properties": {
                                "id": _TEXT,
                                "from": _USER,
                                "chat_instance": _TEXT,
                                "data": _TEXT,
                                "message": _MESSAGE,
                            },
                            "required": ["id", "from", "chat_instance"],
                        },
                    },
                    "required": ["update_id"],
                }
            }
        },
    },
}

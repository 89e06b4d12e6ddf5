"""The one error tree of planbot.

    PlanbotError                  anything planbot raises on purpose
     +-- SettingsError            a needed environment variable is missing or wrong
     +-- ScriptError              a dialogue script file does not load or validate
     +-- StorageError             the database cannot do what was asked
     |    +-- SealError           a sealed value or file does not open (key missing or wrong)
     |    +-- PersonNotFound      no person with that name
     |    +-- AmbiguousPerson     more than one person with that name
     +-- ProfileError             a profile cannot be built from what is stored
     +-- RenderError              a renderer (HTML, PDF, PNG, audio) failed
     |    +-- RenderTimeout       a render took longer than it may (it was stopped)
     |         +-- RenderBusy     no render could start in that time (all were busy)
     +-- ChannelError             a channel (SMS, Telegram, terminal) failed

Library errors (SQLAlchemy, Twilio, Telegram, WeasyPrint) are caught only in the module that
calls the library and re-raised as one of these, chained with ``from exc``.
"""

from __future__ import annotations


class PlanbotError(Exception):
    """Base of every error planbot raises on purpose."""


class SettingsError(PlanbotError):
    """A setting is missing or has a wrong value."""


class ScriptError(PlanbotError):
    """A dialogue script does not load or does not validate."""


class StorageError(PlanbotError):
    """The database cannot do what was asked."""


class SealError(StorageError):
    """A sealed value or file does not open: a missing, wrong or changed key."""


class PersonNotFound(StorageError):
    """No person is stored under that name."""


class AmbiguousPerson(StorageError):
    """Several people share that name; the caller must pick one by id."""


class ProfileError(PlanbotError):
    """A profile cannot be built."""


class RenderError(PlanbotError):
    """A renderer could not write its file."""


class RenderTimeout(RenderError):
    """A render took longer than ``PLANBOT_RENDER_SECONDS`` and was stopped."""


class RenderBusy(RenderTimeout):
    """No render could start within ``PLANBOT_RENDER_SECONDS``: others took every slot."""


class ChannelError(PlanbotError):
    """A channel adapter failed to receive or send."""

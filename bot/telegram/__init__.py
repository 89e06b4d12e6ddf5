"""Telegram through python-telegram-bot: the channel, its webhook and long polling, the sender.

Kept light (nothing imported here): python-telegram-bot is an optional extra, loaded only when
a Telegram module is.
"""

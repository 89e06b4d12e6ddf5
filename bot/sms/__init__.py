"""SMS through Twilio: the inbound webhook's channel, SMS wording and bodies, and the REST sender.

Kept light (nothing imported here): ``planbot`` loads Twilio's library only for the commands
that use it.
"""

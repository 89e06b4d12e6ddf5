"""The web app ``planbot serve`` runs: the app and its routes, profile pages, the command.

Kept light (nothing imported here): the settings are checked before the web stack loads.
"""

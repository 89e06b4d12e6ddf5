"""planbot: shared pieces every package uses (settings and the error tree)."""

__version__ = "0.1.0"

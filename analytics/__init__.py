"""Huddle: message adoption, retention and win-rate analytics on a DuckDB store."""

__version__ = "0.1.0"

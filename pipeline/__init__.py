"""Winnow's spine: config -> datatrove steps -> executor; readers, writers, CLI, manifests."""

__version__ = "0.1.0"

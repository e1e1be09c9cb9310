"""Exceptions with messages meant for the person running winnow."""


class WinnowError(Exception):
    """Base class: the CLI prints these without a traceback."""


class ConfigError(WinnowError):
    """A run config is invalid: the message names the key and the allowed values."""


class AssetError(WinnowError):
    """A model or data file the run needs is missing: the message names the command that fetches it."""

"""Exceptions with messages meant for the person running winnow."""


class WinnowError(Exception):
    """Base class: the CLI prints these without a traceback."""


class ConfigError(WinnowError):
    """A run config is invalid: the message names the key and the allowed values."""


class AssetError(WinnowError):
    """A model or data file the run needs is missing: the message names the command that fetches it."""


class EndpointUnavailable(WinnowError):
    """An LLM endpoint stayed down (refused connections, timeouts, HTTP 429 or 5xx) past the retries.

    The task fails instead of recording its documents as removed, so that running the same command again
    resumes it; the message names the endpoint and how many documents are pending."""

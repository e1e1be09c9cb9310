"""The filter contract every Winnow stage that can drop documents follows.

A :class:`WinnowFilter` is a datatrove ``BaseFilter``: ``filter(doc)`` returns True
to keep, or ``(False, reason)`` to drop, where ``reason`` is
``"<stage family>_<why>"`` (``gopher_quality_few_words``; the family is the
registry name without its version suffix). The runner gives each filter an
exclusion writer, so every dropped document lands in ``removed/`` with
``removed_by`` (the versioned stage name) and ``reason``.
"""

from __future__ import annotations

from datatrove.pipeline.filters.base_filter import BaseFilter


class WinnowFilter(BaseFilter):
    stage_name: str = "unregistered_v0"  # set by @register

    @property
    def family(self) -> str:
        return self.stage_name.rpartition("_v")[0]

    def drop(self, why: str) -> tuple[bool, str]:
        return False, f"{self.family}_{why}"

    def __repr__(self) -> str:
        return self.stage_name

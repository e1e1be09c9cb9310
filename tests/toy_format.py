"""A toy input format, declared the way any format is (``pipeline.formats``): each line of a ``.lines`` file is
a document. The test of the registry (tests/test_formats.py) names this module in ``WINNOW_FORMATS`` and runs
``winnow run`` over such files end to end."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
from datatrove.data import Document

from pipeline.formats import InputFormat, register_format
from pipeline.readers import UnitReader
from pipeline.stage import Column


@dataclass(frozen=True)
class LinesOptions:
    min_chars: int = 1  # shorter lines are skipped (``skipped_short_line``)

    def __post_init__(self):
        if self.min_chars < 1:
            raise ValueError(f"min_chars: expected 1 or more, got {self.min_chars}")


class LinesReader(UnitReader):
    name = "read_lines"

    def __init__(self, units: list, limit: int = -1, source: str | None = None, options: LinesOptions | None = None):
        super().__init__(units, limit, source)
        self.options = options or LinesOptions()

    def read_file(self, path: str, start: int = 0, end: int | None = None):
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                self.stat_update("input")
                text = line.strip()
                if len(text) < self.options.min_chars:
                    self.stat_update("skipped_short_line")
                    continue
                yield Document(text=text, id=f"{path}#{number}",
                               metadata={"source": self.source, "line_no": number})


register_format(InputFormat(
    "lines", (".lines",), "tests.toy_format:LinesReader", options=LinesOptions,
    columns=(Column("line_no", pa.int64(), "toy format: the line's number in its file"),)))

"""What refuses an upload as a whole: its size limit, the words for a damaged workbook, and `ImportRefused`.

Apart from `sheets` so that `workbook_guard`, which `sheets` runs before reading a workbook, refuses with them
without importing `sheets` back.
"""
from __future__ import annotations

MAX_BYTES = 50 * 1024 * 1024
DAMAGED_XLSX = ("this is not a readable Excel workbook (it may be damaged or cut short). Open it in Excel or "
                "Google Sheets and download it again as .xlsx or .csv.")


class ImportRefused(ValueError):
    """The whole file is refused (unreadable, too large, unknown kind, missing required column)."""

    def __init__(self, message: str, preview=None):
        """Keep what the importer saw before refusing (its mapping, for --json and the page), when it got that far."""
        super().__init__(message)
        self.preview = preview

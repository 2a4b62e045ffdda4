"""Helpers shared by the report tests (PDF text, editing fixture files)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from pypdf import PdfReader


def pdf_pages(path: Path) -> list[str]:
    """Extracted text of every page of a PDF."""
    return [page.extract_text() or "" for page in PdfReader(path).pages]


def edit_csv(path: Path, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    change(pd.read_csv(path)).to_csv(path, index=False)


def edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))

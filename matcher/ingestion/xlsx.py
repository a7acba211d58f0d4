"""A small streaming reader for the first sheet of an XLSX workbook.

Spreadsheets exported by crawlers and other tools carry style parts that
strict readers refuse (openpyxl raises on the Tiers-Lieux Occitanie export),
while their cells are fine; this reader only looks at cells.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

_XLSX_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _column_index(ref: str) -> int:
    """Return the 0-based column of a cell reference such as ``AB12``.

    >>> _column_index("A1"), _column_index("AB12")
    (0, 27)
    """
    n = 0
    for ch in ref:
        if not ch.isalpha():
            break
        n = n * 26 + (ord(ch.upper()) - 64)
    return n - 1


def _first_sheet_name(zf: zipfile.ZipFile) -> str:
    from xml.etree import ElementTree as ET

    workbook = ET.fromstring(zf.read("xl/workbook.xml"))
    sheet = workbook.find(f"{_XLSX_NS}sheets/{_XLSX_NS}sheet")
    rid = sheet.get(f"{_REL_NS}id") if sheet is not None else None
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    for rel in rels:
        if rel.get("Id") == rid:
            target = rel.get("Target", "").lstrip("/")
            return target if target.startswith("xl/") else "xl/" + target
    return "xl/worksheets/sheet1.xml"


def xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(sheet row number, cell texts)`` of the first sheet, streaming the XML.

    A small reader of our own: spreadsheets exported by crawlers and other
    tools carry style parts that strict readers refuse, while the cells are fine.
    Numbers keep their stored text (``43.6``, Excel serial dates as numbers).
    """
    from xml.etree import ElementTree as ET

    with zipfile.ZipFile(path) as zf:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in zf.namelist():
            for si in ET.fromstring(zf.read("xl/sharedStrings.xml")).iter(f"{_XLSX_NS}si"):
                shared.append("".join(t.text or "" for t in si.iter(f"{_XLSX_NS}t")))
        with zf.open(_first_sheet_name(zf)) as fh:
            for _event, elem in ET.iterparse(fh):
                if elem.tag != f"{_XLSX_NS}row":
                    continue
                cells: dict[int, str] = {}
                for j, c in enumerate(elem.iter(f"{_XLSX_NS}c")):
                    ref = c.get("r")
                    col = _column_index(ref) if ref else j
                    kind = c.get("t")
                    if kind == "inlineStr":
                        text = "".join(t.text or "" for t in c.iter(f"{_XLSX_NS}t"))
                    else:
                        v = c.find(f"{_XLSX_NS}v")
                        text = v.text or "" if v is not None else ""
                        if kind == "s" and text:
                            text = shared[int(text)]
                        elif kind == "b":
                            text = "VRAI" if text == "1" else "FAUX"
                    cells[col] = text
                row_number = int(elem.get("r", "0"))
                width = max(cells) + 1 if cells else 0
                elem.clear()
                yield row_number, [cells.get(k, "") for k in range(width)]

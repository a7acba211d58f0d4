"""The first sheet of an XLSX workbook, read by ``python-calamine`` behind bounded checks.

calamine (Rust) reads the workbooks that strict readers refuse (openpyxl
raises on the style part of the Tiers-Lieux Occitanie export) and is fast, but
it trusts the file: it allocates the whole rectangle between the first and
the last cell reference, and copies a shared string into every cell that
uses it. So before calamine opens anything, :func:`scan_workbook`:

1. checks the zip directory (member count, inflated size, compression ratio)
   and inflates every member in bounded chunks (:mod:`matcher.ingestion.archive`);
2. parses ``workbook.xml`` and its relationships with ``defusedxml`` (no DTD,
   no entity, no external reference) to find the first worksheet;
3. streams the shared strings, then the sheet, through a ``defusedxml`` parser,
   checking the declared ``<dimension>``, every cell reference (row, column,
   rectangle area), each cell's text length and the text once shared strings
   are expanded, stopping at the first bound crossed.

It also notes the cells that a spreadsheet would show but calamine reads as
empty: formulas without a computed value, and error values (``#DIV/0!``).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePosixPath
from zipfile import ZipFile

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError, fromstring

from matcher.errors import ImportFileError
from matcher.ingestion import archive
from matcher.ingestion import limits as lim

_WORKSHEET_TYPE = "/worksheet"
_SHARED_TYPE = "/sharedStrings"
#: XML parts read whole (workbook, relationships) may not exceed this size.
_SMALL_PART_BYTES = 16 * 1024 * 1024
#: Rows with a formula without value or an error value that are reported one by one.
MAX_PROBLEM_ROWS = 1_000
_REF = re.compile(r"^\$?([A-Za-z]{1,4})\$?([0-9]{1,9})$")
_CHUNK = 1 << 16


@dataclass
class SheetScan:
    """What the pre-check learnt of the first worksheet before calamine opened it."""

    name: str
    part: str
    cells: int = 0
    first_row: int = 0  # 1-based sheet row numbers, 0 when the sheet has no cell
    last_row: int = 0
    first_column: int = 0  # 0-based column indexes
    last_column: int = 0
    text_chars: int = 0
    #: {sheet row: [(0-based column, "formula" | "#DIV/0!"...)]} of cells read as empty.
    problems: dict[int, list[tuple[int, str]]] = field(default_factory=dict)


@dataclass
class Sheet:
    """Rows of the first worksheet as text, with their sheet row numbers."""

    rows: list[list[str]]
    lines: list[int]
    scan: SheetScan
    first_column: int = 0


def column_index(letters: str) -> int:
    """Return the 0-based column of letters such as ``AB``.

    >>> column_index("A"), column_index("AB"), column_index("XFD")
    (0, 27, 16383)
    """
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _corrupt(path: Path, what: str) -> ImportFileError:
    return ImportFileError(
        f"« {path.name} » ressemble à un classeur XLSX mais {what} : ouvrez-le dans un "
        "tableur et enregistrez-le de nouveau au format XLSX.",
        path=str(path),
    )


def _forbidden(path: Path) -> ImportFileError:
    return ImportFileError(
        f"« {path.name} » contient une déclaration XML interdite (DTD, entités ou référence "
        "externe) : refusé par sécurité. Enregistrez-le de nouveau depuis un tableur.",
        path=str(path),
    )


def _parse_small(path: Path, zf: ZipFile, name: str):
    info = zf.getinfo(name)
    if info.file_size > _SMALL_PART_BYTES:
        raise _corrupt(
            path, f"sa partie « {name} » est anormalement grande ({info.file_size} octets)"
        )
    try:
        return fromstring(zf.read(name), forbid_dtd=True)
    except DefusedXmlException as exc:
        raise _forbidden(path) from exc
    except (ParseError, ValueError) as exc:
        raise _corrupt(path, f"sa partie « {name} » n'est pas un XML valide") from exc


def _resolve(base: str, target: str) -> str:
    """Return the zip member a relationship target points to (relative to ``base``)."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = list(PurePosixPath(base).parent.parts)
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _first_worksheet(path: Path, zf: ZipFile) -> tuple[str, str, str | None]:
    """Return (sheet name, sheet member, shared strings member or None)."""
    names = set(zf.namelist())
    if "xl/workbook.xml" not in names:
        raise _corrupt(path, "il n'a pas de partie « xl/workbook.xml »")
    workbook = _parse_small(path, zf, "xl/workbook.xml")
    rels_name = "xl/_rels/workbook.xml.rels"
    rels: dict[str, tuple[str, str]] = {}
    if rels_name in names:
        for rel in _parse_small(path, zf, rels_name):
            if _local(rel.tag) == "Relationship":
                target = _resolve("xl/workbook.xml", rel.get("Target", ""))
                rels[rel.get("Id", "")] = (rel.get("Type", ""), target)
    shared = next((t for kind, t in rels.values() if kind.endswith(_SHARED_TYPE)), None)
    if shared is None and "xl/sharedStrings.xml" in names:
        shared = "xl/sharedStrings.xml"
    if shared is not None and shared not in names:
        raise _corrupt(path, f"sa partie « {shared} » est absente")
    for sheet in workbook.iter():
        if _local(sheet.tag) != "sheet":
            continue
        rid = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
        kind, target = rels.get(rid or "", ("", ""))
        if kind.endswith(_WORKSHEET_TYPE) and target in names:
            return sheet.get("name", ""), target, shared
    raise _corrupt(path, "il ne contient aucune feuille de calcul lisible")


class _Expat:
    """A defusedxml parser (no DTD, no entity, no external reference) with our own handlers.

    defusedxml installs its guards on the expat parser; only the element and
    text handlers are replaced, so that no tree is built (memory stays flat
    whatever the part's size). Attributes arrive as a dict.
    """

    def __init__(self, start, data=None):
        class _Target:  # no start/end/data: the ElementTree layer builds nothing
            def close(self) -> None:
                return None

        self._defused = DefusedXMLParser(target=_Target(), forbid_dtd=True)
        self.expat = self._defused.parser
        self.expat.ordered_attributes = False
        self.expat.StartElementHandler = start
        self.expat.EndElementHandler = len  # end tags would go to the default handler too
        # text would otherwise go to the default handler, one Python call each
        self.expat.CharacterDataHandler = data if data is not None else len

    def feed_member(self, zf: ZipFile, name: str) -> None:
        with zf.open(name) as fh:
            while chunk := fh.read(_CHUNK):
                self._defused.feed(chunk)
        self._defused.close()


def _shared_string_lengths(path: Path, zf: ZipFile, name: str, limits: lim.ReadLimits) -> array:
    """Return the length of every shared string, checking their count and size."""
    lengths = array("q")
    total = 0

    def start(tag: str, _attrs: dict[str, str]) -> None:
        nonlocal total
        if _local(tag) == "si":
            if lengths:
                total += lengths[-1]
                if total > limits.max_text_chars:
                    raise lim.refuse(path, "max_text_chars", None, where="textes partagés")
            if len(lengths) >= limits.max_cells:
                raise lim.refuse(path, "max_cells", None, where="textes partagés")
            lengths.append(0)

    def data(text: str) -> None:
        if lengths:
            lengths[-1] += len(text)
            if lengths[-1] > limits.max_field_chars:
                raise lim.refuse(
                    path, "max_field_chars", None, where=f"texte partagé n° {len(lengths)}"
                )

    _Expat(start, data).feed_member(zf, name)
    return lengths


#: Elements that may appear inside a cell; any other one closes the cell being read.
_CELL_CHILDREN = frozenset(
    [
        "f",
        "v",
        "is",
        "t",
        "r",
        "rPr",
        "rPh",
        "b",
        "i",
        "u",
        "sz",
        "color",
        "rFont",
        "family",
        "scheme",
        "charset",
        "condense",
        "extend",
        "outline",
        "shadow",
        "strike",
        "vertAlign",
        "extLst",
        "ext",
    ]
)
_DIGITS = "0123456789"


class _SheetScanner:
    """Element handlers that bound a worksheet while expat streams it.

    Only start tags are handled (an end handler would double the Python calls):
    a cell ends at the next cell, row, or element that cannot be inside a cell.
    Text is listened to only inside a value, so whitespace costs nothing.
    """

    def __init__(self, path: Path, scan: SheetScan, lengths: array, limits: lim.ReadLimits):
        self.path, self.scan, self.lengths, self.limits = path, scan, lengths, limits
        self.parser: _Expat | None = None
        self.row = 0
        self.column = -1
        self.in_cell = False
        self.kind = ""
        self.has_formula = False
        self.text: list[str] = []
        self.cell_chars = 0
        self.names: dict[str, str] = {}
        self.columns: dict[str, int] = {}
        self.box = [0, 0, 0, 0]  # first row, last row, first column, last column

    def _refuse(self, key: str, found: int | None, where: str = "") -> ImportFileError:
        return lim.refuse(self.path, key, found, where=where or f"feuille « {self.scan.name} »")

    def _finish_cell(self) -> None:
        self.in_cell = False
        if self.parser is not None:
            self.parser.expat.CharacterDataHandler = len
        text = "".join(self.text).strip() if self.text else ""
        n = self.cell_chars
        if self.kind == "s" and text:
            try:
                n = self.lengths[int(text)]
            except (ValueError, IndexError) as exc:
                raise _corrupt(
                    self.path, f"la cellule en ligne {self.row} renvoie à un texte absent"
                ) from exc
        if n > self.limits.max_field_chars:
            raise self._refuse("max_field_chars", n, f"ligne {self.row}")
        self.scan.text_chars += n
        if self.scan.text_chars > self.limits.max_text_chars:
            raise self._refuse("max_text_chars", None)
        if self.kind == "e":
            self._problem(text or "#ERREUR")
        elif self.has_formula and not text:
            self._problem("formula")

    def _problem(self, what: str) -> None:
        problems = self.scan.problems
        if self.row not in problems and len(problems) >= MAX_PROBLEM_ROWS:
            raise ImportFileError(
                f"« {self.path.name} » : plus de {lim.fr_int(MAX_PROBLEM_ROWS)} lignes ont des "
                "formules sans valeur calculée ou en erreur. Ouvrez le classeur dans un "
                "tableur, enregistrez-le (les formules sont alors calculées) et réimportez-le.",
                path=str(self.path),
            )
        problems.setdefault(self.row, []).append((self.column, what))

    def _column(self, letters: str) -> int:
        column = self.columns.get(letters)
        if column is None:
            clean = letters.lstrip("$").rstrip("$")
            if not (0 < len(clean) <= 4 and clean.isascii() and clean.isalpha()):
                raise _corrupt(
                    self.path, f"sa référence de cellule « {letters[:20]} » est invalide"
                )
            column = self.columns[letters] = column_index(clean)
        return column

    def _cell(self, attrs: dict[str, str]) -> None:
        ref = attrs.get("r")
        if ref is None:
            column = self.column + 1
        else:
            letters = ref.rstrip(_DIGITS)
            digits = ref[len(letters) :]
            if not digits or len(digits) > 9:
                raise _corrupt(self.path, f"sa référence de cellule « {ref[:20]} » est invalide")
            column = self._column(letters)
            self.row = int(digits)
        self.column = column
        row, limits, box = self.row, self.limits, self.box
        if row > limits.max_rows or row < 1:
            raise self._refuse("max_rows", row)
        if column >= limits.max_columns:
            raise self._refuse("max_columns", column + 1)
        scan = self.scan
        if scan.cells == 0:
            box[:] = [row, row, column, column]
        elif row < box[0] or row > box[1] or column < box[2] or column > box[3]:
            box[:] = [min(box[0], row), max(box[1], row), min(box[2], column), max(box[3], column)]
            area = (box[1] - box[0] + 1) * (box[3] - box[2] + 1)
            if area > limits.max_cells:
                raise self._refuse("max_cells", area)
        scan.cells += 1
        self.in_cell, self.kind, self.has_formula = True, attrs.get("t", ""), False
        self.text, self.cell_chars = [], 0

    def _dimension(self, attrs: dict[str, str]) -> None:
        corners = [_REF.match(p) for p in attrs.get("ref", "").split(":")]
        if None in corners:
            return  # a hint only: the cells themselves are checked one by one
        rows = [int(m.group(2)) for m in corners]
        cols = [column_index(m.group(1)) for m in corners]
        if max(rows) > self.limits.max_rows:
            raise self._refuse("max_rows", max(rows))
        if max(cols) >= self.limits.max_columns:
            raise self._refuse("max_columns", max(cols) + 1)
        area = (max(rows) - min(rows) + 1) * (max(cols) - min(cols) + 1)
        if area > self.limits.max_cells:
            raise self._refuse("max_cells", area)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        name = self.names.get(tag)
        if name is None:
            name = self.names[tag] = _local(tag)
        if name == "c":
            if self.in_cell:
                self._finish_cell()
            self._cell(attrs)
        elif self.in_cell and name in _CELL_CHILDREN:
            if name == "v" or name == "t":
                self.text = []
                self.parser.expat.CharacterDataHandler = self.data
            elif name == "f":
                self.has_formula = True
        else:
            if self.in_cell:
                self._finish_cell()
            if name == "row":
                r = attrs.get("r")
                try:
                    self.row = int(r) if r is not None else self.row + 1
                except ValueError as exc:
                    raise _corrupt(
                        self.path, f"son numéro de ligne « {r[:20]} » est invalide"
                    ) from exc
                self.column = -1
            elif name == "dimension":
                self._dimension(attrs)

    def data(self, text: str) -> None:
        self.cell_chars += len(text)
        if self.cell_chars > self.limits.max_field_chars:
            raise self._refuse("max_field_chars", None, f"ligne {self.row}")
        if len(self.text) < 4:  # enough to tell a value from none, and an index
            self.text.append(text)

    def feed(self, zf: ZipFile, part: str) -> None:
        self.parser = _Expat(self.start)
        self.parser.feed_member(zf, part)
        if self.in_cell:
            self._finish_cell()
        box = self.box
        if self.scan.cells:
            self.scan.first_row, self.scan.last_row = box[0], box[1]
            self.scan.first_column, self.scan.last_column = box[2], box[3]


def scan_workbook(path: Path, limits: lim.ReadLimits | None = None) -> SheetScan:
    """Return the pre-check of the first worksheet; raise ImportFileError (French) on any bound."""
    limits = limits or lim.current()
    with archive.open_checked(path, limits) as zf:
        archive.verify_members(path, zf)
        name, part, shared = _first_worksheet(path, zf)
        scan = SheetScan(name=name, part=part)
        try:
            lengths = _shared_string_lengths(path, zf, shared, limits) if shared else array("q")
            _SheetScanner(path, scan, lengths, limits).feed(zf, part)
        except DefusedXmlException as exc:
            raise _forbidden(path) from exc
        except ParseError as exc:
            raise _corrupt(path, "une de ses parties XML est invalide") from exc
    return scan


def cell_text(value: object) -> str:
    """Return a calamine cell value as the text the importers parse.

    >>> cell_text(12.0), cell_text(0.5), cell_text(True), cell_text(datetime(2020, 2, 29))
    ('12', '0.5', 'VRAI', '2020-02-29')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(float(value))
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def read_first_sheet(path: Path, limits: lim.ReadLimits | None = None) -> Sheet:
    """Return the rows of the first worksheet as text (rows without any value left out).

    Raises :class:`~matcher.errors.ImportFileError` (French) for a damaged
    workbook or one beyond a bound of :mod:`matcher.ingestion.limits`; calamine
    opens the file only after :func:`scan_workbook` accepted it.
    """
    import python_calamine

    scan = scan_workbook(path, limits)
    try:
        with python_calamine.CalamineWorkbook.from_path(str(path)) as wb:
            sheet = wb.get_sheet_by_name(scan.name)
            start = sheet.start or (0, 0)
            values = sheet.to_python(skip_empty_area=True)
    except MemoryError as exc:
        raise ImportFileError(
            f"« {path.name} » : mémoire insuffisante pour lire ce classeur.", path=str(path)
        ) from exc
    except Exception as exc:  # calamine's errors carry English text: never shown
        raise _corrupt(path, "sa feuille ne peut pas être lue") from exc
    except BaseException as exc:  # a Rust panic surfaces as pyo3's PanicException
        if type(exc).__name__ != "PanicException":
            raise
        raise _corrupt(path, "sa feuille ne peut pas être lue") from exc
    rows: list[list[str]] = []
    lines: list[int] = []
    for i, raw in enumerate(values):
        cells = [cell_text(v) for v in raw]
        values[i] = None  # free calamine's objects as we go
        if any(c.strip() for c in cells):
            rows.append(cells)
            lines.append(start[0] + i + 1)
    return Sheet(rows, lines, scan, first_column=start[1])


def xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(sheet row number, cell texts)`` of the first sheet (rows with a value only)."""
    sheet = read_first_sheet(Path(path))
    yield from zip(sheet.lines, sheet.rows, strict=True)

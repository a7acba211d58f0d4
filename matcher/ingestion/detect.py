"""Detect what a file is from its bytes: format, text encoding, field separator."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from matcher.errors import ImportFileError

SEPARATORS = (";", ",", "\t", "|")

__all__ = ["SEPARATORS", "detect_encoding", "detect_format", "detect_separator"]


def detect_format(head: bytes, path: Path) -> str:
    """Return ``"xlsx"``, ``"gpkg"``, ``"geojson"``, ``"csv"``, or raise for binary data.

    The bytes decide; the extension only breaks ties between CSV and JSON.

    >>> detect_format(b"PK\\x03\\x04...", Path("x.bin")) == "xlsx"
    True
    >>> detect_format(b"id;nom\\n1;a", Path("x.txt"))
    'csv'
    """
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(
            f"« {path.name} » est encodé en UTF-16 : enregistrez-le en UTF-8 (CSV UTF-8).",
            path=str(path),
        )
    sample = head[:4096]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    if b"\x00" in sample or (sample and controls / len(sample) > 0.02):
        raise ImportFileError(
            f"« {path.name} » n'est pas un fichier texte, un tableur XLSX, un GeoJSON ou un "
            "GeoPackage (contenu binaire illisible).",
            path=str(path),
        )
    stripped = sample.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{") or re.match(rb"^(var|const|let)\s+\w+\s*=\s*\{", stripped):
        return "geojson"
    return "csv"


def _first_invalid_utf8(path: Path, skip: int) -> tuple[int, int, int] | None:
    """Return ``(line, byte offset, byte value)`` of the first invalid UTF-8 byte, or None."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, lines = skip, 1
    with path.open("rb") as fh:
        fh.seek(skip)
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                # the decoder may hold back up to 3 bytes of the previous chunk
                at = max(exc.start, 0)
                line = lines + chunk.count(b"\n", 0, at)
                return line, offset + at, chunk[at] if at < len(chunk) else 0
            offset += len(chunk)
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return lines, offset, 0
    return None


def detect_encoding(path: Path) -> str:
    """Return ``"utf-8-sig"``, ``"utf-8"`` or ``"cp1252"``/``"latin-1"`` from the file's bytes.

    The whole file is checked as UTF-8 incrementally (a latin-1 accent may
    appear only on line 10,000); cp1252 is preferred to latin-1 unless it
    cannot decode the bytes. A file that starts with the UTF-8 mark (BOM) but
    holds bytes that are not UTF-8 is refused, naming the line: its encoding
    is mixed, and guessing would silently change some of its letters.
    """
    with path.open("rb") as fh:
        first = fh.read(3)
    if first == codecs.BOM_UTF8:
        bad = _first_invalid_utf8(path, 3)
        if bad is not None:
            line, _offset, byte = bad
            raise ImportFileError(
                f"« {path.name} » commence par la marque d'un fichier UTF-8 (BOM) mais contient, "
                f"ligne {line}, l'octet 0x{byte:02X} qui n'est pas de l'UTF-8 : le fichier "
                "mélange deux encodages. Enregistrez-le de nouveau en « CSV UTF-8 ».",
                path=str(path),
                line=line,
            )
        return "utf-8-sig"
    if _first_invalid_utf8(path, 0) is None:
        return "utf-8"
    cp1252 = codecs.getincrementaldecoder("cp1252")()
    with path.open("rb") as fh:
        try:
            while chunk := fh.read(1 << 20):
                cp1252.decode(chunk)
            return "cp1252"
        except UnicodeDecodeError:
            return "latin-1"


def _count_outside_quotes(line: str, sep: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            count += 1
    return count


def detect_separator(sample_text: str) -> str:
    """Return the field separator among ``; , tab |`` that splits the sample most consistently.

    >>> detect_separator("a;b;c\\n1,5;2;3\\n")
    ';'
    >>> detect_separator("Titre,,,\\n,,,\\ncode,nom,x,y\\n1,a,2,3\\n")
    ','
    """
    lines = [ln for ln in sample_text.splitlines()[:200] if ln.strip()]
    best, best_score = ",", -1.0
    for sep in SEPARATORS:
        counts = [_count_outside_quotes(ln, sep) for ln in lines]
        counts = [c for c in counts if c > 0]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = counts.count(mode) * mode**0.5
        if score > best_score:
            best, best_score = sep, score
    return best

"""Zip-based files (XLSX workbooks, zipped uploads): checks before any member is inflated.

A zip's central directory says how many members it holds and how large each
becomes once inflated; :func:`open_checked` reads the end record first (so a
directory of millions of entries is refused without being loaded), then
checks the member count, duplicated names, encryption, the total inflated size
and each member's compression ratio against :mod:`matcher.ingestion.limits`.
:func:`verify_members` then inflates every member in bounded chunks to prove
the declared sizes and checksums true, because the workbook library trusts
them. :func:`extract_single` takes the one data file out of a zipped upload.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from matcher.errors import ImportFileError
from matcher.ingestion import limits as lim

#: Members smaller than this are never refused for their compression ratio.
RATIO_FLOOR_BYTES = 1024 * 1024
_CHUNK = 1 << 16
#: Extensions of the data files a zipped upload may hold.
DATA_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".geojson", ".json", ".js", ".gpkg")
#: Members that make a zipped upload refused (archives are not opened inside archives).
ARCHIVE_SUFFIXES = (".zip", ".gz", ".7z", ".rar", ".tar", ".bz2", ".xz")


def _broken(path: Path, detail: str = "") -> ImportFileError:
    extra = f" ({detail})" if detail else ""
    return ImportFileError(
        f"« {path.name} » est une archive zip endommagée ou tronquée{extra} : "
        "enregistrez ou téléchargez de nouveau le fichier.",
        path=str(path),
    )


def _declared_entries(path: Path) -> int | None:
    """Return the member count written in the zip's end record (None if unreadable)."""
    end_record = getattr(zipfile, "_EndRecData", None)  # stable private helper since 2.x
    if end_record is None:  # pragma: no cover - future Python without it
        return None
    with path.open("rb") as fh:
        try:
            rec = end_record(fh)
        except Exception:  # a damaged end record: reported as such by the caller
            return None
    return None if rec is None else int(rec[zipfile._ECD_ENTRIES_TOTAL])


@contextmanager
def open_checked(path: Path, limits: lim.ReadLimits | None = None) -> Iterator[zipfile.ZipFile]:
    """Yield the open zip after its directory passed every bound (else raise, in French)."""
    limits = limits or lim.current()
    declared = _declared_entries(path)
    if declared is None:
        raise _broken(path, "répertoire de l'archive illisible")
    if declared > limits.max_zip_members:
        raise lim.refuse(path, "max_zip_members", declared)
    try:
        zf = zipfile.ZipFile(path)
    except Exception as exc:  # BadZipFile, NotImplementedError (odd versions), struct.error...
        raise _broken(path) from exc
    try:
        check_directory(path, zf.infolist(), limits)
        yield zf
    finally:
        zf.close()


def check_directory(path: Path, infos: list[zipfile.ZipInfo], limits: lim.ReadLimits) -> None:
    """Raise if the members break a bound: count, duplicates, encryption, sizes, ratio."""
    if len(infos) > limits.max_zip_members:
        raise lim.refuse(path, "max_zip_members", len(infos))
    names: set[str] = set()
    total = 0
    for info in infos:
        if info.filename in names:
            raise ImportFileError(
                f"« {path.name} » contient deux fois le fichier « {info.filename} » : "
                "archive ambiguë, refusée.",
                path=str(path),
            )
        names.add(info.filename)
        if info.flag_bits & 0x1:
            raise ImportFileError(
                f"« {path.name} » est protégé par un mot de passe : enregistrez-le sans "
                "protection puis réimportez-le.",
                path=str(path),
            )
        total += info.file_size
        if total > limits.max_uncompressed_bytes:
            raise lim.refuse(
                path,
                "max_uncompressed_bytes",
                sum(i.file_size for i in infos),
                advice="Découpez le fichier et importez chaque partie.",
            )
        if info.file_size > RATIO_FLOOR_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise lim.refuse(
                    path,
                    "max_compression_ratio",
                    round(ratio),
                    where=f"fichier interne « {info.filename} »",
                )


def verify_members(path: Path, zf: zipfile.ZipFile, names: list[str] | None = None) -> None:
    """Inflate the members (all, or ``names``) in bounded chunks; raise if one is damaged.

    ``zipfile`` stops at the declared size and checks the CRC, so a member
    that inflates to more than it declares, or to other bytes, is refused here.
    """
    for info in zf.infolist():
        if names is not None and info.filename not in names:
            continue
        try:
            with zf.open(info) as fh:
                while fh.read(_CHUNK):
                    pass
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise _broken(path, f"fichier interne « {info.filename} » illisible") from exc
        except Exception as exc:  # zlib.error and friends: never leak their text
            raise _broken(path, f"fichier interne « {info.filename} » illisible") from exc


def data_members(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """Return the members that look like data files (folders and system files left out)."""
    out = []
    for info in zf.infolist():
        name = PurePosixPath(info.filename)
        if info.is_dir() or name.name.startswith(".") or "__MACOSX" in name.parts:
            continue
        if name.suffix.lower() in DATA_SUFFIXES + ARCHIVE_SUFFIXES:
            out.append(info)
    return out


@contextmanager
def extract_single(path: Path, limits: lim.ReadLimits | None = None) -> Iterator[Path]:
    """Yield a temporary copy of the one data file of a zipped upload (deleted afterwards).

    Refused: no data file or several (which one?), a nested archive, a member
    beyond the bounds. Only the member's base name is used on disk, so a name
    such as ``../../x.csv`` cannot write outside the temporary folder.
    """
    limits = limits or lim.current()
    with open_checked(path, limits) as zf:
        members = data_members(zf)
        if not members:
            raise ImportFileError(
                f"« {path.name} » est une archive zip sans classeur XLSX ni fichier de données "
                f"(extensions reconnues : {', '.join(DATA_SUFFIXES)}).",
                path=str(path),
            )
        if len(members) > 1:
            listed = ", ".join(m.filename for m in members[:5])
            raise ImportFileError(
                f"« {path.name} » contient {len(members)} fichiers de données ({listed}) : "
                "importez-les un par un.",
                path=str(path),
            )
        info = members[0]
        if PurePosixPath(info.filename).suffix.lower() in ARCHIVE_SUFFIXES:
            raise ImportFileError(
                f"« {path.name} » contient une autre archive (« {info.filename} ») : "
                "décompressez-la avant l'import.",
                path=str(path),
            )
        verify_members(path, zf, [info.filename])
        folder = Path(tempfile.mkdtemp(prefix="matcher-zip-"))
        try:
            target = folder / (PurePosixPath(info.filename).name or "donnees")
            with zf.open(info) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst, _CHUNK)
            with target.open("rb") as fh:
                if fh.read(4) == b"PK\x03\x04" and target.suffix.lower() != ".xlsx":
                    raise ImportFileError(
                        f"« {path.name} » contient une autre archive (« {info.filename} ») : "
                        "décompressez-la avant l'import.",
                        path=str(path),
                    )
            yield target
        finally:
            shutil.rmtree(folder, ignore_errors=True)

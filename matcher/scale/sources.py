"""Inputs of a batch: premises streamed in chunks, projects read whole.

Premises come from Parquet files (:class:`ParquetPremises`), a frame already in memory
(:class:`FramePremises`) or any re-playable stream of frames such as the database's
(:class:`StreamedPremises`, which the command line builds on
:func:`matcher.services.catalogue.premises_chunks`). A source yields the same chunks in
the same order every time, which is what lets an interrupted run skip the chunks it had
already routed. Frames without the territory columns (``zone``, ``x_m``, ``y_m``) are
enriched chunk by chunk (:func:`matcher.territory.attributes.enrich_premises`).

Projects are few (thousands): they are read whole, each row turned into
:class:`~matcher.needs.ProjectNeeds`; a row that cannot be read, or has no target point,
is rejected with its line and reason, never dropped in silence.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from matcher.errors import ImportFileError, MatcherError
from matcher.needs import ProjectNeeds

__all__ = [
    "FramePremises",
    "ParquetPremises",
    "PremiseSource",
    "Rejected",
    "StreamedPremises",
    "parquet_files",
    "prepared",
    "read_projects",
]

#: Rows per chunk of premises (about 100 MB of frame at the widest).
CHUNK_ROWS = 200_000
_PREPARED = ("zone", "x_m", "y_m")


def prepared(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the frame with the territory columns the engine reads (enriched if absent)."""
    if all(c in frame.columns for c in _PREPARED) or not len(frame):
        return frame
    from matcher.territory.attributes import enrich_premises

    return enrich_premises(frame)


class PremiseSource:
    """A re-playable stream of premises frames, with what identifies its content."""

    def chunks(self) -> Iterator[pd.DataFrame]:
        """Yield the premises frames, always the same ones in the same order."""
        raise NotImplementedError

    def describe(self) -> dict[str, object]:
        """Return what identifies the content (paths, sizes, versions), for the manifest."""
        raise NotImplementedError

    @property
    def catalogue_version(self) -> object:
        """Return the catalogue version written in the output's metadata."""
        return None


def parquet_files(path: str | os.PathLike) -> list[Path]:
    """Return the Parquet files of a file or a folder (recursively, sorted); error if none."""
    p = Path(path)
    if p.is_file():
        return [p]
    files = sorted(f for f in p.rglob("*.parquet") if f.is_file()) if p.is_dir() else []
    if not files:
        raise ImportFileError(f"Aucun fichier Parquet dans « {p} ».", path=str(p), value=str(p))
    return files


@dataclass
class ParquetPremises(PremiseSource):
    """Premises read from Parquet files, ``chunk_rows`` rows at a time."""

    path: str | os.PathLike
    chunk_rows: int = CHUNK_ROWS
    files: list[Path] = field(init=False)

    def __post_init__(self) -> None:
        self.files = parquet_files(self.path)

    def chunks(self) -> Iterator[pd.DataFrame]:
        for f in self.files:
            try:
                reader = pq.ParquetFile(f)
                for batch in reader.iter_batches(batch_size=int(self.chunk_rows)):
                    yield prepared(batch.to_pandas())
            except (OSError, ValueError) as exc:
                if isinstance(exc, MatcherError):
                    raise
                raise ImportFileError(
                    f"Fichier Parquet illisible : « {f} ».", path=str(f), value=str(f)
                ) from exc

    def describe(self) -> dict[str, object]:
        return {
            "kind": "parquet",
            "chunk_rows": int(self.chunk_rows),
            "files": [[str(f), f.stat().st_size, f.stat().st_mtime_ns] for f in self.files],
        }

    @property
    def catalogue_version(self) -> object:
        digest = hashlib.sha256(repr(self.describe()["files"]).encode()).hexdigest()[:16]
        return f"parquet:{digest}"


@dataclass
class FramePremises(PremiseSource):
    """Premises of a frame in memory, cut into chunks (tests, small runs)."""

    frame: pd.DataFrame
    chunk_rows: int = CHUNK_ROWS
    version: object = None

    def chunks(self) -> Iterator[pd.DataFrame]:
        for start in range(0, len(self.frame), int(self.chunk_rows)):
            yield prepared(self.frame.iloc[start : start + int(self.chunk_rows)])

    def describe(self) -> dict[str, object]:
        digest = hashlib.sha256(
            pd.util.hash_pandas_object(self.frame, index=False).to_numpy().tobytes()
        ).hexdigest()[:16]
        return {"kind": "frame", "rows": len(self.frame), "hash": digest,
                "chunk_rows": int(self.chunk_rows)}  # fmt: skip

    @property
    def catalogue_version(self) -> object:
        return self.version if self.version is not None else self.describe()["hash"]


@dataclass
class StreamedPremises(PremiseSource):
    """Premises from a function returning a fresh stream of frames (the database's)."""

    make_chunks: Callable[[], Iterable[pd.DataFrame]]
    description: dict[str, object]
    version: object = None

    def chunks(self) -> Iterator[pd.DataFrame]:
        for frame in self.make_chunks():
            yield prepared(frame)

    def describe(self) -> dict[str, object]:
        return dict(self.description)

    @property
    def catalogue_version(self) -> object:
        return self.version


@dataclass(frozen=True)
class Rejected:
    """A project row left out of the batch, with its line (1 = first data row) and why."""

    line: int
    project_id: str | None
    reason: str


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet" or path.is_dir():
            return pd.concat([pd.read_parquet(f) for f in parquet_files(path)], ignore_index=True)
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, ValueError) as exc:
        if isinstance(exc, MatcherError):
            raise
        raise ImportFileError(
            f"Fichier de projets illisible : « {path} ».", path=str(path), value=str(path)
        ) from exc
    raise ImportFileError(
        f"Format de fichier de projets non pris en charge : « {path.name} » "
        "(Parquet ou CSV attendu).",
        path=str(path),
        value=path.suffix,
    )


def read_projects(
    source: str | os.PathLike | pd.DataFrame,
) -> tuple[list[ProjectNeeds], list[Rejected]]:
    """Return ``(projects, rejected)`` of a projects file (Parquet or CSV) or frame.

    Columns as :data:`matcher.domain.PROJECT_COLUMNS` (lists "|"-separated); a row whose
    needs are invalid, or without a target point (the batch searches around it), is
    rejected with its reason in French.
    """
    frame = source if isinstance(source, pd.DataFrame) else _read_table(Path(source))
    projects: list[ProjectNeeds] = []
    rejected: list[Rejected] = []
    seen: set[str] = set()
    for line, record in enumerate(frame.to_dict("records"), start=1):
        pid = record.get("project_id")
        pid = None if pid is None or (isinstance(pid, float) and pid != pid) else str(pid)
        try:
            needs = ProjectNeeds.from_record(record)
        except MatcherError as exc:
            rejected.append(Rejected(line, pid, str(exc)))
            continue
        if needs.project_id is None:
            rejected.append(Rejected(line, None, "Identifiant de projet manquant (project_id)."))
            continue
        if needs.project_id in seen:
            rejected.append(
                Rejected(line, needs.project_id, f"Projet « {needs.project_id} » en double.")
            )
            continue
        if not needs.has_point:
            rejected.append(
                Rejected(line, needs.project_id,
                         "Pas de centre (target_lon, target_lat) : l'appariement par lots "
                         "cherche autour d'un point.")
            )  # fmt: skip
            continue
        seen.add(needs.project_id)
        projects.append(needs)
    return projects, rejected

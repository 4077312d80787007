"""Where study sets come from: the sets shipped inside nimare (loaded by default), Neurosynth
and NeuroQuery folders, and user files (NiMARE Dataset JSON, NeuroStore Parquet folder,
Sleuth text). nimare is never imported: its files are located with ``find_spec``
(:func:`build_index.catalog.package_file`).
"""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass
from pathlib import Path

from build_index.catalog import NAME_PATTERN, package_file, package_relative
from build_index.studies.neurostore import NEUROSTORE_TABLES, read_neurostore
from build_index.studies.neurosynth import read_release
from build_index.studies.nimare_json import read_nimare_json
from build_index.studies.rows import SourceRows
from build_index.studies.sleuth import looks_like_sleuth, read_sleuth
from c2r_db.errors import InputError

__all__ = [
    "StudySource",
    "DEFAULT_STUDY_SETS",
    "default_study_sources",
    "tsv_study_source",
    "user_study_source",
]

_READERS = {
    "neurostore": lambda source: read_neurostore(source.location),
    "nimare_json": lambda source: read_nimare_json(source.location),
    "sleuth": lambda source: read_sleuth(source.location),
    "neurosynth": lambda source: read_release("neurosynth", *source.files),
    "neuroquery": lambda source: read_release("neuroquery", *source.files),
}


@dataclass(frozen=True)
class StudySource:
    """One set of studies to load.

    Attributes
    ----------
    name : str
        Source name in the database (``[a-z][a-z0-9_]*``); it qualifies the ids of studies
        without a PubMed id.
    format : {"neurostore", "nimare_json", "sleuth", "neurosynth", "neuroquery"}
    location : Path
        The file or folder given.
    files : tuple of Path
        The files read (neurosynth / neuroquery: coordinates, then metadata).
    package, package_version : str or None
        The distribution that ships the files; None for user files.
    description : str
    """

    name: str
    format: str
    location: Path
    files: tuple
    package: str | None = None
    package_version: str | None = None
    description: str = ""

    def read(self) -> SourceRows:
        """Parse the files (raises :class:`c2r_db.errors.InputError` naming file and line)."""
        return _READERS[self.format](self)

    def relative(self, path: Path) -> str:
        """Path as recorded in the database: relative to the package, or absolute."""
        return package_relative(path, self.package)


def _neurostore_files(folder: Path) -> tuple:
    return tuple(folder / f"{t}.parquet" for t in NEUROSTORE_TABLES
                 if (folder / f"{t}.parquet").is_file())


# name: (format, files relative to the nimare package, description)
DEFAULT_STUDY_SETS = {
    "nback_flanker": (
        "neurostore", ("resources/nback_vs_flanker_studyset_2026-07",),
        "NeuroStore 2026-07 studyset: n-back and flanker task analyses (320 studies)"),
    "neurosynth_laird": (
        "nimare_json", ("resources/neurosynth_laird_studies.json",),
        "Neurosynth studies with abstracts, the Laird et al. example set (17 studies)"),
    "nidm_pain": (
        "nimare_json", ("resources/nidm_pain_dset.json",),
        "NIDM-Results pain studies (21 studies, no PubMed ids)"),
    "neurosynth_sample": (
        "neurosynth", ("tests/data/data-neurosynth_version-7_coordinates.tsv.gz",
                       "tests/data/data-neurosynth_version-7_metadata.tsv.gz"),
        "Neurosynth v7 sample in the release's TSV format (20 studies)"),
}


def default_study_sources() -> list[StudySource]:
    """The study sets shipped inside nimare, in load order."""
    version = importlib.metadata.version("nimare")
    sources = []
    for name, (fmt, relative, description) in DEFAULT_STUDY_SETS.items():
        paths = tuple(package_file("nimare", r) for r in relative)
        files = _neurostore_files(paths[0]) if fmt == "neurostore" else paths
        sources.append(StudySource(name, fmt, paths[0], files, "nimare", version, description))
    return sources


# Release versions whose file names NiMARE's fetch_neurosynth / fetch_neuroquery use.
_RELEASE_VERSIONS = {"neurosynth": "7", "neuroquery": "1"}


def _table_file(folder: Path, fmt: str, stem: str) -> Path:
    names = (f"{stem}.tsv.gz", f"{stem}.tsv",
             f"data-{fmt}_version-{_RELEASE_VERSIONS[fmt]}_{stem}.tsv.gz")
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise InputError(f"{stem}.tsv.gz missing (looked for {', '.join(names)})", path=folder)


def tsv_study_source(fmt: str, folder) -> StudySource:
    """A Neurosynth or NeuroQuery release folder (``coordinates.tsv.gz`` and
    ``metadata.tsv.gz``; uncompressed ``.tsv``, and the names NiMARE's fetchers give them,
    ``data-neurosynth_version-7_coordinates.tsv.gz`` ..., also accepted).

    Parameters
    ----------
    fmt : {"neurosynth", "neuroquery"}
        Also the source name.
    folder : str or Path

    Raises
    ------
    c2r_db.errors.InputError
        If the folder or one of its two files is missing (the message names the files).
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise InputError(f"folder not found (it should hold the {fmt} release files "
                         "coordinates.tsv.gz and metadata.tsv.gz)", path=folder)
    files = (_table_file(folder, fmt, "coordinates"), _table_file(folder, fmt, "metadata"))
    return StudySource(fmt, fmt, folder, files, description=f"{fmt} release from {folder}")


def _name_from(path: Path) -> str:
    stem = path.name[: -len(".json")] if path.name.lower().endswith(".json") else path.stem
    name = re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_")
    return name if re.match(NAME_PATTERN, name) else f"studies_{name}"


def user_study_source(spec: str) -> StudySource:
    """Parse ``[NAME=]PATH``: a NiMARE Dataset JSON file, a NeuroStore Parquet studyset folder
    or a Sleuth text file. NAME defaults to the file or folder name, lower case, with runs of
    other characters than a-z and 0-9 turned into ``_``.

    Raises
    ------
    c2r_db.errors.InputError
        If the path is missing, the name is invalid, or the format is none of the three.
    """
    name, sep, location = spec.partition("=")
    if not sep or "/" in name or not name:
        name, location = "", spec
    path = Path(location).expanduser()
    if not path.exists():
        raise InputError("file or folder not found", path=path)
    name = name or _name_from(path)
    if not re.match(NAME_PATTERN, name):
        raise InputError("study source name must start with a lower-case letter and hold "
                         "only a-z, 0-9 and _", value=name)
    if path.is_dir():
        if not (path / "coordinates.parquet").is_file():
            raise InputError("folder is not a NeuroStore Parquet studyset (no coordinates."
                             "parquet); use --neurosynth or --neuroquery for TSV releases",
                             path=path)
        return StudySource(name, "neurostore", path, _neurostore_files(path),
                           description=f"NeuroStore studyset {path.name}")
    if path.suffix.lower() == ".json":
        return StudySource(name, "nimare_json", path, (path,),
                           description=f"NiMARE Dataset {path.name}")
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if looks_like_sleuth(head):
        return StudySource(name, "sleuth", path, (path,), description=f"Sleuth file {path.name}")
    raise InputError("not a NiMARE Dataset JSON (.json), NeuroStore Parquet studyset folder or "
                     "Sleuth text file (first line '// Reference = ...')", path=path)

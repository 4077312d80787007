"""coord2region's NiMARE Dataset functions: ``fetch_datasets``, ``deduplicate_datasets``,
``prepare_datasets`` and ``load_deduplicated_dataset``.

c2r-db downloads nothing. ``fetch_datasets`` reads Neurosynth (v7) and NeuroQuery (v1) from
local folders and the study sets shipped inside nimare from its package data:

========================= ===================== ================================================
name (``sources``)        key of the result     read from
========================= ===================== ================================================
``"neurosynth"``          ``"Neurosynth"``      ``<data_dir>/neurosynth/``: ``coordinates.tsv.gz``
                                                and ``metadata.tsv.gz`` (or the names NiMARE's
                                                ``fetch_neurosynth`` gives them,
                                                ``data-neurosynth_version-7_*.tsv.gz``)
``"neuroquery"``          ``"NeuroQuery"``      ``<data_dir>/neuroquery/``, likewise
                                                (``data-neuroquery_version-1_*.tsv.gz``)
``"nidm_pain"``           ``"NIDM-Pain"``       nimare's ``nidm_pain_dset.json`` (21 studies)
``"neurosynth_laird"``    ``"Neurosynth-Laird"``  nimare's Laird et al. example set (17 studies,
                                                with abstracts)
``"neurosynth_sample"``   ``"Neurosynth-Sample"`` nimare's Neurosynth v7 sample (20 studies)
========================= ===================== ================================================

Where c2r-db differs from coord2region 0.1.5 (each on purpose):

- Nothing is downloaded. ``sources=None`` loads ``neurosynth`` and ``neuroquery`` when their
  folders are there (a warning is logged for each that is not) and ``nidm_pain``; naming a
  source whose files are missing raises :class:`c2r_db.errors.InputError` naming the files
  looked for, and an unknown name raises :class:`c2r_db.errors.UnknownNameError` (instead of
  a logged warning). Term features (annotations) are not loaded.
- Duplicates are studies with the same PubMed id (the ``pmid`` metadata field, else an all-digit
  study id), or with the same study id; the first Dataset that holds a study keeps all of its
  contrasts (coord2region kept only the first contrast of each study).
- The deduplicated Dataset is saved as ``deduplicated_dataset.pkl.gz`` as documented, but the
  file holds c2r-db's pickle-free format (:mod:`c2r_db.compat.dataset_file`), not a pickle;
  loading refuses any file c2r-db did not write, coord2region's pickles included, with
  :class:`c2r_db.compat.storage.FileFormatError` (a ``ValueError``) instead of returning None:
  c2r-db never unpickles a file, and a refusal should not pass silently. A missing file still
  gives None.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from c2r_db.errors import InputError, UnknownNameError

__all__ = ["DATASETS", "DEFAULT_SOURCES", "CACHE_FILE", "fetch_datasets",
           "deduplicate_datasets", "prepare_datasets", "load_deduplicated_dataset"]

logger = logging.getLogger(__name__)

#: Source names and the keys of :func:`fetch_datasets`'s result.
DATASETS = {"neurosynth": "Neurosynth", "neuroquery": "NeuroQuery", "nidm_pain": "NIDM-Pain",
            "neurosynth_laird": "Neurosynth-Laird", "neurosynth_sample": "Neurosynth-Sample"}
#: What ``sources=None`` loads (coord2region's three).
DEFAULT_SOURCES = ("neurosynth", "neuroquery", "nidm_pain")
#: File name of the deduplicated Dataset (the name coord2region uses; see module doc).
CACHE_FILE = "deduplicated_dataset.pkl.gz"
_RELEASES = ("neurosynth", "neuroquery")


def _read(fmt, files):
    """A NiMARE Dataset from NiMARE Dataset JSON or a Neurosynth/NeuroQuery pair of files,
    read by NiMARE itself."""
    if fmt == "nimare_json":
        from nimare.dataset import Dataset

        return Dataset(str(files[0]), target="mni152_2mm")
    from nimare.io import convert_neurosynth_to_dataset

    return convert_neurosynth_to_dataset(coordinates_file=str(files[0]),
                                         metadata_file=str(files[1]))


def _files(name, data_dir):
    """(format, files) of a source; raises InputError when a release's files are missing."""
    from build_index.catalog import package_file
    from build_index.studies.sources import DEFAULT_STUDY_SETS, tsv_study_source

    if name in _RELEASES:
        return name, tsv_study_source(name, Path(data_dir) / name).files
    fmt, relative, _ = DEFAULT_STUDY_SETS[name]
    return fmt, tuple(package_file("nimare", r) for r in relative)


def fetch_datasets(data_dir, sources=None):
    """Load NiMARE Datasets: Neurosynth and NeuroQuery from folders in ``data_dir``, and the
    study sets shipped inside nimare (see the module doc for names and files).

    Parameters
    ----------
    data_dir : str
        Folder holding ``neurosynth/`` and ``neuroquery/`` (created if missing).
    sources : list of str, optional
        Names among ``"neurosynth"``, ``"neuroquery"``, ``"nidm_pain"``,
        ``"neurosynth_laird"`` and ``"neurosynth_sample"`` (any case). None loads
        ``neurosynth`` and ``neuroquery`` where present, and ``nidm_pain``.

    Returns
    -------
    dict of str to nimare.dataset.Dataset
        Keyed ``"Neurosynth"``, ``"NeuroQuery"``, ``"NIDM-Pain"``, ... in ``sources`` order.

    Raises
    ------
    c2r_db.errors.InputError
        If a named release folder or one of its files is missing (the message names them).
    c2r_db.errors.UnknownNameError
        For a name that is not one of the above.
    """
    os.makedirs(data_dir, exist_ok=True)
    names = DEFAULT_SOURCES if sources is None else [s.lower() for s in sources]
    for name in names:
        if name not in DATASETS:
            raise UnknownNameError("dataset source", name, DATASETS)
    datasets = {}
    for name in dict.fromkeys(names):
        try:
            fmt, files = _files(name, data_dir)
        except InputError as exc:
            if sources is not None:
                raise
            logger.warning("skipping %s: %s", DATASETS[name], exc)
            continue
        datasets[DATASETS[name]] = _read(fmt, files)
    if not datasets:
        logger.warning("No datasets were loaded.")
    return datasets


def _kept_studies(datasets):
    """Per Dataset, the study ids it keeps: those whose PubMed id and study id no earlier
    study (in Dataset order, then study id order) has."""
    from build_index.studies.nimare_dataset import read_nimare_dataset

    seen_pmids, seen_ids, kept = set(), set(), {}
    for name, dataset in datasets.items():
        studies = read_nimare_dataset(dataset, name).studies.sort_by("native_id")
        kept[name] = []
        for study, pmid in zip(studies.column("native_id").to_pylist(),
                               studies.column("pmid").to_pylist()):
            if study in seen_ids or pmid in seen_pmids:
                continue
            seen_ids.add(study)
            if pmid is not None:
                seen_pmids.add(pmid)
            kept[name].append(study)
    return kept


def deduplicate_datasets(datasets, save_dir=None):
    """Create a deduplicated dataset across sources using PubMed ids.

    Datasets are taken in order; a study is dropped when an earlier one has its PubMed id or
    its study id. The rest are merged with ``Dataset.merge``.

    Parameters
    ----------
    datasets : dict of str to nimare.dataset.Dataset
    save_dir : str, optional
        Folder (created if missing) to save the result in, as :data:`CACHE_FILE` in
        c2r-db's pickle-free format.

    Returns
    -------
    nimare.dataset.Dataset or None
        None when ``datasets`` is empty or holds no study.
    """
    if not datasets:
        logger.warning("No datasets provided for deduplication.")
        return None
    merged = None
    for name, studies in _kept_studies(datasets).items():
        dataset = datasets[name]
        metadata = dataset.metadata
        ids = metadata.loc[metadata["study_id"].isin(studies), "id"].tolist()
        if not ids:
            continue
        part = dataset if len(ids) == len(dataset.ids) else dataset.slice(ids)
        merged = part if merged is None else merged.merge(part)
    if merged is None:
        logger.warning("No studies remained after deduplication.")
        return None
    if save_dir:
        from c2r_db.compat.dataset_file import save_dataset

        os.makedirs(save_dir, exist_ok=True)
        save_dataset(merged, Path(save_dir) / CACHE_FILE)
    return merged


def load_deduplicated_dataset(filepath):
    """Load a previously saved deduplicated dataset.

    Parameters
    ----------
    filepath : str
        A file written by :func:`deduplicate_datasets` (any name, ``.pkl.gz`` included).

    Returns
    -------
    nimare.dataset.Dataset or None
        None when the file does not exist.

    Raises
    ------
    c2r_db.compat.storage.FileFormatError
        If c2r-db did not write the file (it is never unpickled).
    """
    if not os.path.exists(filepath):
        logger.warning("Dataset file not found: %s", filepath)
        return None
    from c2r_db.compat.dataset_file import load_dataset

    return load_dataset(filepath)


def prepare_datasets(data_dir=None, sources=None):
    """Load or create a deduplicated NiMARE dataset.

    Parameters
    ----------
    data_dir : str, optional
        Working folder (see :func:`c2r_db.get_working_directory`; default
        ``~/coord2region``, relative paths are under the home folder). The deduplicated
        Dataset is kept in its ``cached_data/`` subfolder; the releases are read from it as
        by :func:`fetch_datasets`.
    sources : list of str, optional
        Sources to load when the cache has to be made (see :func:`fetch_datasets`).

    Returns
    -------
    nimare.dataset.Dataset or None
        None when no dataset could be loaded.
    """
    from c2r_db.compat.files import CACHED_DATA, get_working_directory

    base = get_working_directory(data_dir)
    cache = Path(base) / CACHED_DATA
    cache.mkdir(exist_ok=True)
    if (cache / CACHE_FILE).exists():
        return load_deduplicated_dataset(str(cache / CACHE_FILE))
    return deduplicate_datasets(fetch_datasets(base, sources=sources), save_dir=str(cache))

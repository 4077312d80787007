"""coord2region's Dataset functions: fetch_datasets against the files read with pandas,
deduplicate_datasets against a merge by PubMed id done here with pandas, saving and loading
without pickle (a pickle is refused unread), and prepare_datasets' cache."""

from __future__ import annotations

import gzip
import logging
import pickle
import shutil
from pathlib import Path

import nimare
import pandas as pd
import pytest
from nimare.utils import tal2mni

import c2r_db
from c2r_db.compat.files import AtlasFileHandler
from c2r_db.compat.storage import FileFormatError
from c2r_db.errors import InputError, UnknownNameError

pytestmark = [pytest.mark.filterwarnings("ignore:.*nimare.dataset.Dataset is deprecated"),
              pytest.mark.filterwarnings("ignore:The inplace keyword")]  # in Dataset.merge

SAMPLE = Path(nimare.__file__).parent / "tests" / "data"
SAMPLE_FILES = {stem: SAMPLE / f"data-neurosynth_version-7_{stem}.tsv.gz"
                for stem in ("coordinates", "metadata")}
FRAMES = ("coordinates", "metadata", "texts", "annotations", "images")


def _release(folder, names):
    """A release folder holding the Neurosynth sample under the given file names."""
    folder.mkdir(parents=True)
    for stem, name in names.items():
        shutil.copy(SAMPLE_FILES[stem], folder / name)
    return folder


def _by_position(frame):
    return frame.sort_values(["study_id", "x", "y", "z"]).reset_index(drop=True)


def _sorted(frame):
    columns = ["id", *(c for c in ("x", "y", "z") if c in frame.columns)]
    return frame.sort_values(columns).reset_index(drop=True)


def assert_same_dataset(got, expected):
    assert list(got.ids) == list(expected.ids)
    assert got.space == expected.space
    for name in FRAMES:
        pd.testing.assert_frame_equal(_sorted(getattr(got, name)),
                                      _sorted(getattr(expected, name)), check_like=True,
                                      check_dtype=False)


# --- fetch_datasets -----------------------------------------------------------------------

def test_releases_are_read_from_local_folders(tmp_path):
    _release(tmp_path / "neurosynth", {s: f"data-neurosynth_version-7_{s}.tsv.gz"
                                       for s in SAMPLE_FILES})
    _release(tmp_path / "neuroquery", {s: f"{s}.tsv.gz" for s in SAMPLE_FILES})
    got = c2r_db.fetch_datasets(str(tmp_path), sources=["NeuroQuery", "neurosynth"])
    assert list(got) == ["NeuroQuery", "Neurosynth"]
    coords = pd.read_table(SAMPLE_FILES["coordinates"], dtype={"id": str})
    metadata = pd.read_table(SAMPLE_FILES["metadata"], dtype={"id": str}).set_index("id")
    xyz = coords[["x", "y", "z"]].to_numpy(float)
    tal = (metadata.loc[coords["id"], "space"] == "TAL").to_numpy()
    xyz[tal] = tal2mni(xyz[tal])  # NiMARE moves Talairach foci into its MNI Dataset
    expected = pd.DataFrame({"study_id": coords["id"], "x": xyz[:, 0], "y": xyz[:, 1],
                             "z": xyz[:, 2]})
    for dataset in got.values():
        mine = dataset.coordinates[["study_id", "x", "y", "z"]]
        pd.testing.assert_frame_equal(_by_position(mine), _by_position(expected),
                                      check_dtype=False)
    titles = got["Neurosynth"].metadata.set_index("study_id")["title"]
    assert titles.sort_index().tolist() == metadata["title"].sort_index().tolist()


def test_shipped_sets(nimare_sets):
    assert list(nimare_sets) == ["NIDM-Pain", "Neurosynth-Laird", "Neurosynth-Sample"]
    counts = {name: dataset.coordinates["study_id"].nunique()
              for name, dataset in nimare_sets.items()}
    assert counts == {"NIDM-Pain": 21, "Neurosynth-Laird": 17, "Neurosynth-Sample": 20}
    sample = pd.read_table(SAMPLE_FILES["coordinates"])
    assert len(nimare_sets["Neurosynth-Sample"].coordinates) == len(sample)


def test_default_sources_skip_missing_releases(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="c2r_db.compat.datasets"):
        got = c2r_db.fetch_datasets(str(tmp_path / "new"))
    assert list(got) == ["NIDM-Pain"]
    assert (tmp_path / "new").is_dir()
    assert "skipping Neurosynth" in caplog.text and "skipping NeuroQuery" in caplog.text


def test_missing_release_files_are_named(tmp_path):
    with pytest.raises(InputError, match="neurosynth: folder not found.*coordinates.tsv.gz and "
                                         "metadata.tsv.gz"):
        c2r_db.fetch_datasets(str(tmp_path), sources=["neurosynth"])
    _release(tmp_path / "neuroquery", {"coordinates": "coordinates.tsv.gz"})
    with pytest.raises(InputError, match="metadata.tsv.gz missing.*metadata.tsv, "
                                         "data-neuroquery_version-1_metadata.tsv.gz"):
        c2r_db.fetch_datasets(str(tmp_path), sources=["neuroquery"])
    with pytest.raises(UnknownNameError, match="'neurosnyth'.*nidm_pain"):
        c2r_db.fetch_datasets(str(tmp_path), sources=["neurosnyth"])


# --- deduplicate_datasets -----------------------------------------------------------------

@pytest.fixture(scope="module")
def overlapping(nimare_sets):
    """Laird's first five studies (every contrast) first, then Laird, the NIDM pain set and
    the same pain set again under another name."""
    laird = nimare_sets["Neurosynth-Laird"]
    first = sorted(laird.coordinates["study_id"].unique())[:5]
    part = laird.slice(laird.metadata.loc[laird.metadata["study_id"].isin(first), "id"])
    return {"Part": part, "Laird": laird, "Pain": nimare_sets["NIDM-Pain"],
            "Pain again": nimare_sets["NIDM-Pain"], "Sample": nimare_sets["Neurosynth-Sample"]}


def test_deduplicate_keeps_each_study_once_from_its_first_dataset(overlapping):
    merged = c2r_db.deduplicate_datasets(overlapping)
    owners = {}
    for name, dataset in overlapping.items():
        for study in dataset.metadata["study_id"]:
            owners.setdefault(study, name)
    expected_ids = sorted(i for name, d in overlapping.items()
                          for i, s in zip(d.metadata["id"], d.metadata["study_id"])
                          if owners[s] == name)
    assert sorted(merged.ids) == expected_ids
    for study, name in owners.items():
        mine = merged.coordinates[merged.coordinates["study_id"] == study]
        theirs = overlapping[name].coordinates
        theirs = theirs[theirs["study_id"] == study]
        pd.testing.assert_frame_equal(_sorted(mine[["id", "x", "y", "z"]]),
                                      _sorted(theirs[["id", "x", "y", "z"]]))
    assert c2r_db.deduplicate_datasets({}) is None


def test_duplicates_by_pubmed_id_across_study_ids(nimare_sets):
    from nimare.dataset import Dataset

    laird = nimare_sets["Neurosynth-Laird"]
    pmid = laird.metadata["study_id"].iloc[0]
    renamed = Dataset({"ns-copy": {"contrasts": {"1": {
        "coords": {"space": "MNI", "x": [1.0], "y": [2.0], "z": [3.0]},
        "metadata": {"pmid": int(pmid)}}}},
        "ns-new": {"contrasts": {"1": {
            "coords": {"space": "MNI", "x": [4.0], "y": [5.0], "z": [6.0]},
            "metadata": {"pmid": 1}}}},
        "ns-none": {"contrasts": {"1": {  # no pmid: NiMARE's pmid column becomes float
            "coords": {"space": "MNI", "x": [7.0], "y": [8.0], "z": [9.0]}}}}})
    assert renamed.metadata["pmid"].dtype.kind == "f"
    merged = c2r_db.deduplicate_datasets({"Laird": laird, "Renamed": renamed})
    assert sorted(merged.ids) == sorted([*laird.ids, "ns-new-1", "ns-none-1"])


def test_deduplicate_saves_a_loadable_file(overlapping, tmp_path):
    merged = c2r_db.deduplicate_datasets(overlapping, save_dir=str(tmp_path / "out"))
    saved = tmp_path / "out" / "deduplicated_dataset.pkl.gz"
    assert [p.name for p in (tmp_path / "out").iterdir()] == [saved.name]
    assert_same_dataset(c2r_db.load_deduplicated_dataset(str(saved)), merged)


@pytest.mark.parametrize("name", ["NIDM-Pain", "Neurosynth-Laird", "Neurosynth-Sample"])
def test_save_and_load_keep_every_table(nimare_sets, tmp_path, name):
    merged = c2r_db.deduplicate_datasets({name: nimare_sets[name]}, save_dir=str(tmp_path))
    loaded = c2r_db.load_deduplicated_dataset(str(tmp_path / "deduplicated_dataset.pkl.gz"))
    assert_same_dataset(loaded, nimare_sets[name])
    assert_same_dataset(loaded, merged)


# --- loading refuses files c2r-db did not write -------------------------------------------

class _Payload:
    """Unpickling this runs ``open(path, "w")``: the file's existence shows it ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _pickle_file(path, marker, compress=True):
    data = pickle.dumps(_Payload(marker))
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def test_the_payload_runs_when_unpickled(tmp_path):
    control = tmp_path / "control"
    pickle.loads(gzip.decompress(_pickle_file(tmp_path / "c.pkl.gz", control).read_bytes()))
    assert control.exists()


@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "plain"])
def test_a_pickle_is_refused_unread(tmp_path, compress):
    marker = tmp_path / "unpickled"
    path = _pickle_file(tmp_path / "deduplicated_dataset.pkl.gz", marker, compress)
    with pytest.raises(FileFormatError, match="not a file written by c2r-db"):
        c2r_db.load_deduplicated_dataset(str(path))
    assert not marker.exists()


def test_prepare_refuses_a_pickled_cache(tmp_path):
    marker = tmp_path / "unpickled"
    (tmp_path / "work" / "cached_data").mkdir(parents=True)
    _pickle_file(tmp_path / "work" / "cached_data" / "deduplicated_dataset.pkl.gz", marker)
    with pytest.raises(FileFormatError, match="refusing to load it"):
        c2r_db.prepare_datasets(str(tmp_path / "work"), sources=["nidm_pain"])
    assert not marker.exists()


def test_other_files_are_refused(tmp_path):
    (tmp_path / "text.pkl.gz").write_text("{}")
    with pytest.raises(FileFormatError, match="not a file written by c2r-db"):
        c2r_db.load_deduplicated_dataset(str(tmp_path / "text.pkl.gz"))
    AtlasFileHandler(str(tmp_path)).save({"a": 1}, "data.pkl.gz")
    with pytest.raises(FileFormatError, match="holds a data, not a NiMARE Dataset"):
        c2r_db.load_deduplicated_dataset(str(tmp_path / "data.pkl.gz"))


def test_missing_file_gives_none(tmp_path, caplog):
    assert c2r_db.load_deduplicated_dataset(str(tmp_path / "none.pkl.gz")) is None
    assert "Dataset file not found" in caplog.text


# --- prepare_datasets ---------------------------------------------------------------------

def test_prepare_makes_then_reuses_the_cache(tmp_path, monkeypatch, nimare_sets):
    monkeypatch.setenv("HOME", str(tmp_path))
    made = c2r_db.prepare_datasets("work", sources=["nidm_pain", "neurosynth_sample"])
    cache = tmp_path / "work" / "cached_data" / "deduplicated_dataset.pkl.gz"
    assert cache.is_file()
    expected = c2r_db.deduplicate_datasets({k: nimare_sets[k] for k in
                                            ("NIDM-Pain", "Neurosynth-Sample")})
    assert_same_dataset(made, expected)
    again = c2r_db.prepare_datasets(str(tmp_path / "work"), sources=["neurosynth_laird"])
    assert_same_dataset(again, made)


def test_prepare_with_nothing_to_load_gives_none(tmp_path):
    assert c2r_db.prepare_datasets(str(tmp_path), sources=[]) is None

"""coord2region's study search (search_studies, get_studies_for_coordinate) against NiMARE's
own Dataset.get_studies_by_coordinate, picked the way coord2region 0.1.5 picks (Datasets in
order, NiMARE's ids in order, the first per study), and distances against an exhaustive numpy
search; the database path against a plain read of its foci table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import c2r_db
from c2r_db.compat.study_index import dataset_database
from c2r_db.errors import InputError, UnknownNameError

from reference import ON_SPHERE, brute_force_studies

pytestmark = pytest.mark.filterwarnings("ignore:.*nimare.dataset.Dataset is deprecated")

RADII = [0.0, 4.5, 6.0, 10.25]
BOX = ([-75, -110, -60], [75, 75, 85])


@pytest.fixture(scope="module")
def shifted():
    """A Dataset sharing six studies (same PubMed ids) with Neurosynth-Laird, whose foci sit
    3 mm away in x and y, plus one study of its own."""
    from nimare.dataset import Dataset
    from nimare.utils import get_resource_path

    data = json.loads(Path(get_resource_path(), "neurosynth_laird_studies.json").read_text())
    studies = {}
    for study in sorted(data)[:6]:
        coords = next(iter(data[study]["contrasts"].values()))["coords"]
        studies[study] = {"contrasts": {"moved": {
            "coords": {"space": "MNI", "x": [v + 3.0 for v in coords["x"]],
                       "y": [v + 3.0 for v in coords["y"]], "z": list(coords["z"])},
            "metadata": {"title": "moved copy"}}}}
    studies["own"] = {"contrasts": {"1": {"coords": {"space": "MNI", "x": [10.0, -20.0],
                                                     "y": [12.0, 30.0], "z": [40.0, 0.0]}}}}
    return Dataset(studies)


@pytest.fixture(scope="module")
def named(nimare_sets, shifted):
    """Every Dataset by name, the overlapping one before the one it copies."""
    return {"Sample": nimare_sets["Neurosynth-Sample"], "Moved": shifted,
            "Laird": nimare_sets["Neurosynth-Laird"], "Pain": nimare_sets["NIDM-Pain"]}


def _xyz(dataset):
    return dataset.coordinates[["x", "y", "z"]].to_numpy(dtype=float)


def _points(datasets, radius, seed):
    """Random points, points at foci and points whose sphere passes exactly through a
    whole-mm focus."""
    rng = np.random.default_rng(seed)
    xyz = np.vstack([_xyz(d) for d in datasets])
    whole = xyz[np.all(xyz == np.round(xyz), axis=1)]
    chosen = whole[rng.choice(len(whole), 8, replace=False)]
    on_sphere = [f + np.array(o) for f in chosen for o in ON_SPHERE.get(radius, [])]
    return np.vstack([rng.uniform(*BOX, size=(25, 3)),
                      xyz[rng.choice(len(xyz), 15, replace=False)], *on_sphere])


def _picked_like_coord2region(named, point, radius):
    """{study: (source, id)}: NiMARE's found ids, Datasets in order, the first per study."""
    picked = {}
    for name, dataset in named.items():
        study_of = dict(zip(dataset.coordinates["id"], dataset.coordinates["study_id"]))
        for found in dataset.get_studies_by_coordinate([point], r=radius):
            picked.setdefault(study_of[found], (name, found))
    return picked


def _brute_force(named, point, radius):
    """{study: (nearest distance, foci within radius)} over every Dataset's foci, foci at the
    same position in one study counted once."""
    foci = pd.concat([d.coordinates[["study_id", "x", "y", "z"]] for d in named.values()])
    foci = foci.drop_duplicates()
    return brute_force_studies(foci[["x", "y", "z"]].to_numpy(float),
                               foci["study_id"].to_numpy(), [point], radius)[0]


def _study_of(named, result):
    """The Dataset study id of one result (its id is a Dataset id of its source)."""
    coordinates = named[result["source"]].coordinates
    return coordinates.loc[coordinates["id"] == result["id"], "study_id"].iloc[0]


def _check(named, point, radius, got):
    picked = _picked_like_coord2region(named, point, radius)
    near = _brute_force(named, point, radius)
    assert {_study_of(named, r): (r["source"], r["id"]) for r in got} == picked
    assert len(got) == len(picked)
    for result in got:
        distance, n_foci = near[_study_of(named, result)]
        assert result["distance_mm"] == pytest.approx(distance, abs=1e-9)
        assert result["distance_mm"] <= radius
        assert result["n_foci"] == n_foci
    keys = [(r["distance_mm"], r["study_id"]) for r in got]
    assert keys == sorted(keys)
    return len(got)


@pytest.mark.parametrize("radius", RADII)
@pytest.mark.parametrize("name", ["Sample", "Moved", "Laird", "Pain"])
def test_single_dataset_equals_nimare(named, name, radius):
    dataset = named[name]
    points = _points([dataset], radius, seed=int(radius * 4))
    found = 0
    for point in points:
        got = c2r_db.get_studies_for_coordinate(dataset, point.tolist(), radius=radius)
        found += _check({"Combined": dataset}, point, radius, got)
        assert all(r["source"] == "Combined" for r in got)
    assert found >= 15


@pytest.mark.parametrize("radius", RADII)
def test_mapping_of_datasets_equals_coord2region_picks(named, radius):
    shared = named["Moved"].coordinates["study_id"].iloc[0]
    copies = [_xyz(named[name])[named[name].coordinates["study_id"].to_numpy() == shared][0]
              for name in ("Moved", "Laird")]
    points = np.vstack([_points(named.values(), radius, seed=7 + int(radius)), copies])
    sources = set()
    for point in points:
        got = c2r_db.search_studies(named, tuple(point), radius=radius)
        _check(named, point, radius, got)
        sources |= {r["source"] for r in got if r["study_id"] == shared}
    # the copies are 4.24 mm apart: below that radius, each is found in its own Dataset
    assert "Moved" in sources and ("Laird" in sources or radius >= 4.24)


def test_sources_choose_and_order_the_datasets(named):
    point = _xyz(named["Laird"])[0] + 1.5
    for sources in (["Laird", "Moved"], ["Moved", "Laird"], ["Pain"], ["Laird", "Laird"]):
        chosen = {name: named[name] for name in dict.fromkeys(sources)}
        got = c2r_db.search_studies(named, point, radius=8.0, sources=sources)
        _check(chosen, point, 8.0, got)
        via_wrapper = c2r_db.get_studies_for_coordinate(named, point, 8.0, sources=sources)
        assert via_wrapper == got
    assert c2r_db.search_studies(named, point, radius=8.0, sources=[]) == []


def test_many_coordinates_give_one_list_each(named):
    points = _points(named.values(), 6.0, seed=21)
    together = c2r_db.search_studies(named, points, radius=6.0)
    assert together == [c2r_db.search_studies(named, p, radius=6.0) for p in points]
    assert c2r_db.search_studies(named, points[:1], radius=6.0) == together[:1]


def test_radius_zero_is_an_exact_match(named):
    dataset = named["Pain"]
    focus = _xyz(dataset)[5]
    at = c2r_db.get_studies_for_coordinate(dataset, focus, radius=0)
    assert at and all(r["distance_mm"] == 0.0 for r in at)
    assert c2r_db.get_studies_for_coordinate(dataset, focus + [0, 0, 1e-9], radius=0) == []


def test_fields_come_from_the_data(named):
    laird = named["Laird"]
    row = laird.metadata.iloc[3]
    focus = _xyz(laird)[laird.coordinates["study_id"].to_numpy() == row["study_id"]][0]
    got = c2r_db.get_studies_for_coordinate(laird, focus, radius=0, email="me@example.org")
    study = [r for r in got if r["study_id"] == row["study_id"]][0]
    abstract = laird.texts.set_index("study_id").loc[row["study_id"], "abstract"]
    assert study["title"] == row["title"] and study["abstract"] == abstract
    assert (study["pmid"], study["authors"], study["journal"], study["year"]) == (
        row["study_id"], row["authors"], row["journal"], int(row["year"]))
    assert "email" not in study
    pain = c2r_db.get_studies_for_coordinate(named["Pain"], _xyz(named["Pain"])[0], 0)
    assert pain and all("title" not in r and "abstract" not in r and r["pmid"] is None
                        for r in pain)


def test_the_in_memory_database_is_kept_until_the_dataset_changes():
    from nimare.dataset import Dataset
    from nimare.utils import get_resource_path

    dataset = Dataset(str(Path(get_resource_path(), "nidm_pain_dset.json")))
    pair = [("Combined", dataset)]
    assert dataset_database(pair) is dataset_database(pair)
    focus = _xyz(dataset)[0]
    assert c2r_db.get_studies_for_coordinate(dataset, focus, 0)
    moved = dataset.coordinates.copy()
    moved["x"] += 200.0
    dataset.coordinates = moved
    assert c2r_db.get_studies_for_coordinate(dataset, focus, 0) == []
    assert c2r_db.get_studies_for_coordinate(dataset, focus + [200.0, 0, 0], 0)


def test_talairach_foci_are_searched_in_mni():
    from nimare.dataset import Dataset
    from nimare.utils import tal2mni

    tal = np.array([[-40.0, 20.0, 10.0], [30.0, -66.0, -24.0]])
    studies = {"t": {"contrasts": {"1": {"coords": {"space": "TAL", "x": tal[:, 0].tolist(),
                                                    "y": tal[:, 1].tolist(),
                                                    "z": tal[:, 2].tolist()}}}},
               "u": {"contrasts": {"1": {"coords": {"space": "UNKNOWN", "x": [0.0],
                                                    "y": [0.0], "z": [0.0]}}}}}
    with pytest.warns(UserWarning, match="No mask or target"):
        dataset = Dataset(studies, target=None)
    mni = tal2mni(tal)
    got = c2r_db.get_studies_for_coordinate(dataset, mni[1], radius=0.01)
    assert [r["study_id"] for r in got] == ["Combined:t"]
    assert got[0]["distance_mm"] < 0.01
    assert c2r_db.get_studies_for_coordinate(dataset, [0, 0, 0], 0)[0]["study_id"] == \
        "Combined:u"


def test_dataset_values_that_cannot_be_used():
    from nimare.dataset import Dataset

    def one_study(x, year):
        return Dataset({"s": {"contrasts": {"1": {
            "coords": {"space": "MNI", "x": [x], "y": [0.0], "z": [0.0]},
            "metadata": {"title": "T", "year": year}}}}})

    got = c2r_db.get_studies_for_coordinate(one_study(1.0, "in press"), [1, 0, 0], 0)
    assert [(r["title"], r["year"]) for r in got] == [("T", None)]
    with pytest.raises(InputError, match="'s-1' are not finite numbers"):
        c2r_db.get_studies_for_coordinate(one_study(float("nan"), 2001), [1, 0, 0], 0)


# --- a c2r-db database --------------------------------------------------------------------

@pytest.fixture(scope="module")
def db_foci(shipped_db):
    """The database's foci with their source's load order, read from the table itself."""
    with c2r_db.Database(shipped_db) as db:
        return db.con.sql(
            "SELECT f.study_id, f.x, f.y, f.z, f.orig_space, f.source, o.load_order "
            "FROM foci AS f JOIN study_sources AS o USING (source)").to_arrow_table().to_pandas()


@pytest.mark.parametrize("radius", [0.0, 6.0, 10.25])
def test_database_equals_brute_force(db, db_foci, radius):
    known = db_foci[db_foci["orig_space"] != "UNKNOWN"]
    xyz = known[["x", "y", "z"]].to_numpy()
    rng = np.random.default_rng(5)
    points = np.vstack([rng.uniform(*BOX, size=(30, 3)),
                        xyz[rng.choice(len(xyz), 20, replace=False)]])
    answers = c2r_db.get_studies_for_coordinate(db, points, radius)
    for point, got in zip(points, answers):
        near = brute_force_studies(xyz, known["study_id"].to_numpy(), [point], radius)[0]
        assert {r["id"] for r in got} == set(near) == {r["study_id"] for r in got}
        distance = np.sqrt(((xyz - point) ** 2).sum(axis=1))
        for result in got:
            assert result["distance_mm"] == pytest.approx(near[result["id"]][0], abs=1e-9)
            assert result["n_foci"] == near[result["id"]][1]
            hits = known[(known["study_id"] == result["id"]).to_numpy() & (distance <= radius)]
            assert result["source"] == hits.sort_values("load_order")["source"].iloc[0]
    assert sum(map(len, answers)) >= 20


def test_database_sources_against_nimare(db, named):
    pain = named["Pain"]
    study_of = dict(zip(pain.coordinates["id"], pain.coordinates["study_id"]))
    points = _points([pain], 10.25, seed=9)
    for point in points:
        got = c2r_db.search_studies(db, point, 10.25, sources=["nidm_pain"])
        found = pain.get_studies_by_coordinate([point], r=10.25)
        assert {r["id"] for r in got} == {f"nidm_pain:{study_of[i]}" for i in found}
        assert all(r["source"] == "nidm_pain" for r in got)


def test_default_database(monkeypatch, shipped_db, db):
    point = [-42.0, 22.0, 8.0]
    monkeypatch.setenv("C2R_DB", str(shipped_db))
    assert c2r_db.get_studies_for_coordinate(None, point, 10.0) == \
        c2r_db.get_studies_for_coordinate(db, point, 10.0)
    assert c2r_db.get_studies_for_coordinate(None, point, 10.0)


# --- bad input ----------------------------------------------------------------------------

def test_bad_input(named, db):
    with pytest.raises(UnknownNameError, match="'Nope'.*Sample, Moved, Laird, Pain"):
        c2r_db.search_studies(named, [0, 0, 0], 5, sources=["Nope"])
    with pytest.raises(UnknownNameError, match="choose from: Combined"):
        c2r_db.get_studies_for_coordinate(named["Pain"], [0, 0, 0], 5, sources=["Pain"])
    with pytest.raises(UnknownNameError, match="nidm_pain"):
        c2r_db.search_studies(db, [0, 0, 0], 5, sources=["NIDM-Pain"])
    for radius in (-1, float("nan"), None):
        with pytest.raises(InputError, match="radius must be a finite number >= 0"):
            c2r_db.search_studies(named, [0, 0, 0], radius)
    for coord in ([0, 0], [0, 0, float("inf")], np.zeros((2, 4))):
        with pytest.raises(ValueError):
            c2r_db.search_studies(named, coord, 5)
    with pytest.raises(TypeError, match="not a NiMARE Dataset"):
        c2r_db.search_studies({"a": [1, 2, 3]}, [0, 0, 0], 5)
    with pytest.raises(TypeError, match="must be a dict"):
        c2r_db.search_studies(named["Pain"], [0, 0, 0], 5)


def test_database_search_imports_nothing_heavy(shipped_db):
    probe = ("import sys, c2r_db\n"
             "with c2r_db.Database(sys.argv[1]) as db:\n"
             "    assert c2r_db.search_studies(db, [-42, 22, 8], 10)\n"
             "print(sorted(m for m in ('nimare', 'nilearn', 'nibabel', 'openai')"
             " if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe, str(shipped_db)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

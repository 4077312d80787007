"""The scipy baseline for ``c2r-db query --radius``: the same study answers from a cKDTree.

Reads foci (Parquet: study_id, x, y, z in MNI mm; UNKNOWN-space foci already left out) and
peaks (Parquet: x, y, z), finds every focus within the radius (Euclidean, inclusive; the
tree's borderline distances are recomputed with the formula c2r-db uses), and writes per peak
n_studies, n_foci and study_ids ordered by each study's nearest focus, ties by study_id.

Usage: python bench/ckdtree_studies.py FOCI PEAKS RADIUS OUT
"""

from __future__ import annotations

import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from scipy.spatial import cKDTree


def main(foci_path, peaks_path, radius, out_path):
    foci = pq.read_table(foci_path)
    peaks = pq.read_table(peaks_path)
    radius = float(radius)
    fxyz = np.column_stack([foci.column(c).to_numpy() for c in "xyz"])
    pxyz = np.column_stack([peaks.column(c).to_numpy() for c in "xyz"])
    # Study codes in string order, so sorting codes sorts ids.
    encoded = foci.column("study_id").combine_chunks().dictionary_encode()
    alphabetical = pc.array_sort_indices(encoded.dictionary).to_numpy()
    ids = encoded.dictionary.take(pa.array(alphabetical))
    rank = np.empty(len(ids), np.int64)
    rank[alphabetical] = np.arange(len(ids))
    codes = rank[encoded.indices.to_numpy()]
    pairs = cKDTree(pxyz).sparse_distance_matrix(cKDTree(fxyz), radius * (1 + 1e-9) + 1e-9,
                                                 output_type="ndarray")
    peak, focus, distance = pairs["i"].astype(np.int64), pairs["j"].astype(np.int64), pairs["v"]
    n_peaks = len(pxyz)
    # The tree's distances may round differently: recompute the borderline ones exactly.
    border = np.flatnonzero(np.abs(distance - radius) <= 1e-6 * (1 + radius))
    d = fxyz[focus[border]] - pxyz[peak[border]]
    distance[border] = np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1] + d[:, 2] * d[:, 2])
    keep = distance <= radius
    peak, study, distance = peak[keep], codes[focus[keep]], distance[keep]
    n_foci = np.bincount(peak, minlength=n_peaks)
    # Nearest focus per (peak, study): group on one integer key.
    key = peak * len(ids) + study
    order = np.argsort(key, kind="stable")
    key, distance = key[order], distance[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    nearest = np.minimum.reduceat(distance, starts) if len(starts) else distance[:0]
    peak, study = np.divmod(key[starts], len(ids))
    # Within each peak (already in order), studies by nearest focus, then by id (stable).
    order = np.argsort(nearest, kind="stable")
    order = order[np.argsort(peak[order], kind="stable")]
    peak, study = peak[order], study[order]
    n_studies = np.bincount(peak, minlength=n_peaks)
    offsets = np.concatenate([[0], np.cumsum(n_studies)]).astype(np.int32)
    study_ids = pa.ListArray.from_arrays(pa.array(offsets), ids.take(pa.array(study)))
    pq.write_table(pa.table({"n_studies": n_studies, "n_foci": n_foci, "study_ids": study_ids}),
                   out_path)


if __name__ == "__main__":
    main(*sys.argv[1:])

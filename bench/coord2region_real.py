"""Time coord2region itself (installed in another environment, never a c2r-db dependency):
BatchAtlasMapper.batch_mni_to_region_name over the coordinates of an .npz written by
bench_compat.py. Prints one JSON object: seconds for a first call and for a second call, and
the names.

Usage: OTHER_PYTHON coord2region_real.py INPUT.npz MAX_DISTANCE
"""

import json
import sys
import time

import numpy as np
from coord2region import AtlasMapper, BatchAtlasMapper


def main():
    data = np.load(sys.argv[1], allow_pickle=False)
    labels = json.loads(str(data["labels"]))
    mapper = AtlasMapper("bench", data["vol"], data["hdr"], labels=labels)
    batch = BatchAtlasMapper(mapper)
    max_distance = float(sys.argv[2])
    times = []
    for _ in range(2):
        start = time.perf_counter()
        names = batch.batch_mni_to_region_name(data["coords"], max_distance=max_distance)
        times.append(time.perf_counter() - start)
    print(json.dumps({"first": times[0], "second": times[1], "names": names}))


if __name__ == "__main__":
    main()

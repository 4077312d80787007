"""c2r-db: brain coordinates -> atlas regions, nearby studies and grounded summaries, answered
from one spatially indexed DuckDB file.

>>> import c2r_db                                         # doctest: +SKIP
>>> with c2r_db.Database("c2r.duckdb") as db:             # doctest: +SKIP
...     table = c2r_db.regions_at(db, [[-42, 22, 8]], ["aal3"])
...     near = c2r_db.studies_near(db, [[-42, 22, 8]], radius=6)

Names are imported on first use, so ``import c2r_db`` (and the CLI's start-up) stays fast.
Beside the library's own functions, the atlas and study half of coord2region's documented
API (``AtlasMapper``, ``BatchAtlasMapper``, ``MultiAtlasMapper``, ``AtlasFetcher``,
``AtlasFileHandler``, ``infer_hemisphere``, ``get_working_directory``; ``fetch_datasets``,
``deduplicate_datasets``, ``prepare_datasets``, ``load_deduplicated_dataset``,
``search_studies``, ``get_studies_for_coordinate``; see :mod:`c2r_db.compat`) and its AI half
(``AIModelInterface``, summaries, reasoned reports, region images, see :mod:`c2r_db.ai`) are
importable from here.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "Database": "c2r_db.database",
    "regions_at": "c2r_db.lookup",
    "studies_near": "c2r_db.studies",
    "study": "c2r_db.studies",
    "read_coordinates": "c2r_db.peaks",
    "default_db_path": "c2r_db.paths",
    "C2RError": "c2r_db.errors",
    "InputError": "c2r_db.errors",
    "DatabaseError": "c2r_db.errors",
    "UnknownNameError": "c2r_db.errors",
    # region queries and membership
    "region_info": "c2r_db.regions",
    "region_voxels": "c2r_db.regions",
    "region_distances": "c2r_db.regions",
    "nearest_regions": "c2r_db.regions",
    "membership": "c2r_db.membership",
    "membership_scores": "c2r_db.membership",
    "mni_to_tal": "c2r_db.spaces",
    "tal_to_mni": "c2r_db.spaces",
    # coord2region's documented atlas API
    "AtlasMapper": "c2r_db.compat.mapper",
    "BatchAtlasMapper": "c2r_db.compat.batch",
    "MultiAtlasMapper": "c2r_db.compat.batch",
    "AtlasFetcher": "c2r_db.compat.fetcher",
    "AtlasFileHandler": "c2r_db.compat.files",
    "get_working_directory": "c2r_db.compat.files",
    "infer_hemisphere": "c2r_db.hemisphere",
    # coord2region's documented study API
    "fetch_datasets": "c2r_db.compat.datasets",
    "deduplicate_datasets": "c2r_db.compat.datasets",
    "prepare_datasets": "c2r_db.compat.datasets",
    "load_deduplicated_dataset": "c2r_db.compat.datasets",
    "search_studies": "c2r_db.compat.studies",
    "get_studies_for_coordinate": "c2r_db.compat.studies",
    # coord2region's documented AI API (c2r_db.ai; openai is imported only for requests)
    **dict.fromkeys([
        "AIModelInterface", "ReasonedReport", "ReasonedReportContext",
        "build_reasoned_report_messages", "build_region_image_request",
        "parse_reasoned_report_output", "run_reasoned_report", "generate_batch_summaries",
        "generate_llm_prompt", "generate_region_image", "generate_summary",
        "generate_summary_async", "stream_summary", "DEFAULT_NEGATIVE_PROMPT",
        "DEFAULT_SYSTEM_MESSAGE", "IMAGE_PROMPT_TEMPLATES", "LLM_PROMPT_TEMPLATES",
    ], "c2r_db.ai"),
}
__all__ = list(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'c2r_db' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)

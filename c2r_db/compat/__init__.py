"""The documented atlas API of coord2region, answered by c2r-db.

``AtlasMapper``, ``BatchAtlasMapper``, ``MultiAtlasMapper``, ``AtlasFetcher``,
``AtlasFileHandler``, ``infer_hemisphere`` and ``get_working_directory`` take the documented
parameters and are importable from ``c2r_db``. One module per family: ``mapper`` (with the
``volume`` and ``surface`` atlases behind it), ``batch``, ``fetcher``, ``files`` and the
pickle-free ``storage``. Where behaviour differs from coord2region 0.1.5 on purpose, the module
doc of :mod:`c2r_db.compat.mapper` says how and why.
"""

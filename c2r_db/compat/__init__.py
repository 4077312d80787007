"""The documented atlas and study API of coord2region, answered by c2r-db.

``AtlasMapper``, ``BatchAtlasMapper``, ``MultiAtlasMapper``, ``AtlasFetcher``,
``AtlasFileHandler``, ``infer_hemisphere``, ``get_working_directory``, ``fetch_datasets``,
``deduplicate_datasets``, ``prepare_datasets``, ``load_deduplicated_dataset``,
``search_studies`` and ``get_studies_for_coordinate`` take the documented parameters and are
importable from ``c2r_db``. One module per family: ``mapper`` (with the ``volume`` and
``surface`` atlases behind it), ``batch``, ``fetcher``, ``files`` and the pickle-free
``storage`` for atlases; ``datasets`` (NiMARE Datasets, saved by ``dataset_file``) and
``studies`` (the radius search, with the in-memory databases of ``study_index``) for studies.
Where behaviour differs from coord2region 0.1.5 on purpose, the module docs of
:mod:`c2r_db.compat.mapper`, :mod:`c2r_db.compat.datasets` and :mod:`c2r_db.compat.studies`
say how and why.
"""

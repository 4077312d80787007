"""Study sets for the build: readers for each format (NeuroStore Parquet, NiMARE Dataset JSON,
Sleuth text, Neurosynth and NeuroQuery TSVs), the shared row normalisation, the sources
loaded by default, and the staging that feeds ``sql/build.sql``."""

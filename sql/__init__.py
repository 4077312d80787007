"""The named SQL statements of c2r-db live in the .sql files of this folder (see c2r_db.sqlfiles)."""

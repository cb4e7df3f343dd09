"""The event log on disk: the SQLite store, the spool, the writer thread and the file formats."""

"""The sync engine: the runner (locks, runs, cursors), scheduling, the import connectors and the export."""

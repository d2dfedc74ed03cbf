"""The benchmark's floor is measured with the import's own SQLite connection settings."""

import importlib.util
from pathlib import Path

from grassroots.imports.writing import BulkStatements

BENCH = Path(__file__).resolve().parents[2] / "bench" / "import_members.py"


def test_the_floor_has_the_imports_connection_settings():
    spec = importlib.util.spec_from_file_location("import_members_bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.SQLITE_PRAGMAS == BulkStatements.SQLITE_PRAGMAS

"""Living personas: how the personas of one run relate to those of another, and how fresh data fits a run.

``load_snapshot(run_dir)`` reads a run; ``compare_runs(base, new, LineageConfig())`` matches their
personas (lineage: continued / grown / shrunk / split / merged / born / died), measures the population
shift (PSI, shares with Wilson intervals, per-persona activity, term and fingerprint changes) and lists
the movers; ``ml.lineage.novelty`` scores fresh data placed by a run's persona model (``ml.assign``).
Nothing here reads a store or serves HTTP: callers pass run directories or snapshots.
"""

from ml.lineage.compare import RunComparer, compare_runs
from ml.lineage.config import LineageConfig
from ml.lineage.snapshot import RunSnapshot, load_snapshot, snapshot_from_result

__all__ = ["LineageConfig", "RunComparer", "RunSnapshot", "compare_runs", "load_snapshot", "snapshot_from_result"]

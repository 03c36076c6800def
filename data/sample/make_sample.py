"""Cut the bundled samples from ../shared/data (see SOURCE.md). Byte-faithful: whole CSV records
are copied as they are; only the TWCS file's leading pandas index field is removed.

    python data/sample/make_sample.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
N_TWCS = 3000
N_AIRLINE = 3000
SEED = 20240601


def csv_records(raw: bytes) -> list[bytes]:
    """Split CSV bytes into records (each ending in its "\\n"); a "\\n" inside quotes does not split.

    A bare "\\r" never splits (the TWCS slice has one inside an unquoted field)."""
    records, current, in_quote = [], [], False
    for line in raw.split(b"\n")[:-1] if raw.endswith(b"\n") else raw.split(b"\n"):
        current.append(line)
        in_quote ^= line.count(b'"') % 2 == 1
        if not in_quote:
            records.append(b"\n".join(current) + b"\n")
            current = []
    if current:
        records.append(b"\n".join(current) + b"\n")
    return records


def main(shared: Path) -> None:
    twcs = csv_records((shared / "twcs_sample" / "twcs_first5000.csv").read_bytes())
    head, rows = twcs[0], twcs[1 : N_TWCS + 1]
    assert head.startswith(b","), "expected a leading unnamed index column"
    out = [head[1:]] + [re.sub(rb"^\d+,", b"", r, count=1) for r in rows]
    (HERE / "twcs_sample.csv").write_bytes(b"".join(out))

    air = csv_records((shared / "twitter_airline_sentiment" / "Tweets.csv").read_bytes())
    pick = np.sort(np.random.default_rng(SEED).choice(len(air) - 1, N_AIRLINE, replace=False)) + 1
    (HERE / "airline_tweets_sample.csv").write_bytes(air[0] + b"".join(air[i] for i in pick))
    for name in ("twcs_sample.csv", "airline_tweets_sample.csv"):
        data = (HERE / name).read_bytes()
        print(name, len(data), "bytes", hashlib.sha256(data).hexdigest())


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / "shared" / "data")

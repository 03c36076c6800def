"""Member features are the NaN-aware means of their messages' features (``ml.features.behavioral``),
computed with sparse products instead of a (links × 36) frame: the same values as pandas' groupby mean."""

import numpy as np
import pandas as pd

from ml.features.behavioral import _links, _member_means


def test_means_match_pandas_groupby_and_skip_missing_values():
    rng = np.random.default_rng(0)
    per_msg = rng.normal(size=(40, 11))
    per_msg[rng.random(per_msg.shape) < 0.2] = np.nan
    per_msg[5] = np.nan  # a message with no values at all
    member_row = np.sort(rng.integers(0, 12, 60))  # members 0..11, several messages each; some have none
    msg_row = rng.integers(0, 40, 60)
    got = _member_means(per_msg, member_row, msg_row, 14)
    want = pd.DataFrame(per_msg[msg_row], index=member_row).groupby(level=0).mean()
    np.testing.assert_allclose(got[want.index.to_numpy()], want.to_numpy(), rtol=1e-12, atol=1e-12)
    missing = np.setdiff1d(np.arange(14), member_row)
    assert missing.size and np.isnan(got[missing]).all()


def test_one_message_per_member_takes_its_row_as_is():
    per_msg = np.arange(12, dtype=float).reshape(4, 3)
    got = _member_means(per_msg, np.array([0, 1, 2]), np.array([3, 0, 2]), 3)
    assert np.array_equal(got, per_msg[[3, 0, 2]])


def test_links_use_the_first_row_of_a_duplicated_id_and_skip_unknown_ids():
    messages = pd.DataFrame({"message_id": ["a", "b", "a", "c"]})
    members = pd.DataFrame({"message_ids": [["a", "c"], ["zzz"], ["b"]]})
    member_row, msg_row = _links(members, messages)
    assert member_row.tolist() == [0, 0, 2] and msg_row.tolist() == [0, 3, 1]

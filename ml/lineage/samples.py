"""What two runs' member samples say about each other's personas: where a persona's members land in the other
run (``reaches``), which of them are novel there (``novel_masks``, ``novel_shares``) and how much more novel they
are than the other run's own members where they land (``excess_novelty``).

In: two ``RunSnapshot``s whose persona models keep a member sample (``PersonaModel.novelty``,
``ml.lineage.neighbourhood.NeighbourhoodNovelty``). Out: per-persona shares for ``ml.lineage.compare``'s born /
died and re-cut rules; ``None`` where a model keeps no sample (event runs, runs saved before it).
"""

from __future__ import annotations

import numpy as np

from ml.lineage.neighbourhood import neighbour_reach, novel_persona_shares, own_tail_shares
from ml.lineage.snapshot import RunSnapshot


def member_samples(base: RunSnapshot, new: RunSnapshot):
    """Both runs' member samples (``NeighbourhoodNovelty`` of their persona models), None where a model keeps none."""
    return tuple(getattr(getattr(s, "model", None), "novelty", None) for s in (base, new))


def reaches(base: RunSnapshot, new: RunSnapshot, new_in_base: np.ndarray | None = None):
    """(base personas → where their sampled members' nearest new members lie, new → base), shares per pair
    (``ml.lineage.neighbourhood.neighbour_reach``; ``new_in_base``: the new sample's nearest base members, when
    known); (None, None) unless both models keep a labelled sample."""
    nb, nn = member_samples(base, new)
    if nb is None or nn is None:
        return None, None
    return (neighbour_reach(nb, nn, base.persona_ids, new.persona_ids),
            neighbour_reach(nn, nb, new.persona_ids, base.persona_ids, new_in_base))


def novel_masks(base: RunSnapshot, new: RunSnapshot, quantile: float):
    """(base's sampled members novel against the new run, new's against the base run), each sample taken as
    one fresh batch; (None, None) unless both models keep a member sample in one space."""
    nb, nn = member_samples(base, new)
    if nb is None or nn is None or nb.vectors_.shape[1] != nn.vectors_.shape[1]:
        return None, None
    return nn.novel(nb.vectors_, quantile), nb.novel(nn.vectors_, quantile)


def excess_novelty(nb, nn, base_ids: np.ndarray, new_ids: np.ndarray, quantile: float, novel: tuple,
                   reach: tuple):
    """(per base persona, per new persona) the novel share (``novel_shares``) less the share the other run's
    own members have where the persona's members land: the landing personas' own tails
    (``own_tail_shares``) weighted by the reach (``reaches``). A persona cut from a loose part of the other
    run is about as novel as that part's own members are; a topic the other run lacks is novel beyond it.
    ``nb``/``nn``: the runs' member samples (``member_samples``); (None, None) when anything is missing."""
    if nb is None or nn is None or any(x is None for x in (*novel, *reach)):
        return None, None
    tail_base, tail_new = own_tail_shares(nb, base_ids, quantile), own_tail_shares(nn, new_ids, quantile)
    if tail_base is None or tail_new is None:
        return None, None
    return (np.asarray(novel[0]) - np.asarray(reach[0]) @ tail_new,
            np.asarray(novel[1]) - np.asarray(reach[1]) @ tail_base)


def novel_shares(base: RunSnapshot, new: RunSnapshot, quantile: float, masks=(None, None)):
    """(per base persona: share of its members novel against the new run, per new persona: against the
    base run); (None, None) unless both runs' models keep a labelled member sample. ``masks``: ``novel_masks``."""
    nb, nn = member_samples(base, new)
    if nb is None or nn is None:
        return None, None
    return (novel_persona_shares(nn, nb, base.persona_ids, quantile, masks[0]),
            novel_persona_shares(nb, nn, new.persona_ids, quantile, masks[1]))

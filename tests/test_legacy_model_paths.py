"""Persona models pickled before the stage modules moved into packages still load."""

import pickle

import numpy as np
import pytest

from ml.features.fusion import FeatureFusion
from ml.runtime.legacy import MOVED, old_module_paths


def _as_old_pickle(obj, new_module: str, old_module: str) -> bytes:
    data = pickle.dumps(obj, protocol=0)  # text opcodes: module paths can be rewritten in place
    assert new_module.encode() in data
    return data.replace(new_module.encode() + b"\n", old_module.encode() + b"\n")


def test_an_old_module_path_loads_only_inside_the_block():
    fusion = FeatureFusion(text_weight=0.6).fit(np.ones((4, 3)), np.zeros((4, 2)))
    old = _as_old_pickle(fusion, "ml.features.fusion", "ml.fusion")
    with pytest.raises(ModuleNotFoundError):
        pickle.loads(old)
    with old_module_paths():
        loaded = pickle.loads(old)
    assert isinstance(loaded, FeatureFusion) and loaded.text_weight == 0.6
    with pytest.raises(ModuleNotFoundError):
        pickle.loads(old)


def test_an_old_path_that_is_now_a_package_resolves_its_classes():
    import ml.features

    fusion = FeatureFusion(text_weight=0.4).fit(np.ones((4, 3)), np.zeros((4, 2)))
    # ml.features was the behavioral-features module and is now a package
    from ml.features.behavioral import BehavioralFeatures

    feats = BehavioralFeatures()
    old = _as_old_pickle(feats, "ml.features.behavioral", "ml.features")
    with old_module_paths():
        assert isinstance(pickle.loads(old), BehavioralFeatures)
    assert not hasattr(ml.features, "BehavioralFeatures")
    assert fusion.text_weight == 0.4


def test_every_old_path_names_an_importable_new_module():
    import importlib

    for new in MOVED.values():
        importlib.import_module(new)

"""Model files: tree structures (whose skops loader trusts the file) load only from vouched bytes."""

import pytest
from sklearn.tree import DecisionTreeRegressor

from mlops_tasks.artifacts import sha256_file
from mlops_tasks.models.serialization import UntrustedModelError, dump_model, load_model


def test_a_tree_loads_only_when_its_hash_is_vouched_for(tmp_path):
    path = tmp_path / "tree.skops"
    dump_model(DecisionTreeRegressor(max_depth=2).fit([[0], [1], [2]], [0, 1, 2]), path)
    with pytest.raises(UntrustedModelError, match="sklearn.tree._tree.Tree"):
        load_model(path)
    model = load_model(path, expected_sha256=sha256_file(path))
    assert model.predict([[2]])[0] == 2

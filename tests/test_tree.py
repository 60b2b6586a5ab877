"""dualad.tree: flatten / unflatten round trips, nodes, paths, structure errors."""

from __future__ import annotations

import collections
import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dualad as da
from dualad import tree

Point = collections.namedtuple("Point", ["x", "y"])

# random pytrees of numbers: every built-in node kind, nested
_leaf = st.floats(allow_nan=False, width=32) | st.integers(-5, 5) | st.none()
_trees = st.recursive(
    _leaf,
    lambda kids: (st.lists(kids, max_size=3) | st.lists(kids, max_size=3).map(tuple)
                  | st.dictionaries(st.text("abc", min_size=1, max_size=2), kids, max_size=3)
                  | st.tuples(kids, kids).map(lambda t: Point(*t))),
    max_leaves=12)


@given(_trees)
def test_flatten_unflatten_round_trip(t):
    leaves, treedef = tree.flatten(t)
    assert tree.unflatten(treedef, leaves) == t
    assert treedef.num_leaves == len(leaves)
    assert None not in leaves  # None is an empty node, never a leaf
    # the structure survives a change of every leaf, and a second flatten agrees
    marked = tree.unflatten(treedef, [("leaf", i) for i in range(len(leaves))])
    leaves2, treedef2 = tree.flatten(marked, is_leaf=lambda v: isinstance(v, tuple)
                                     and len(v) == 2 and v[0] == "leaf")
    assert treedef2 == treedef and leaves2 == [("leaf", i) for i in range(len(leaves))]


@given(_trees)
def test_paths_lead_to_their_leaves(t):
    pairs, _ = tree.flatten_with_path(t)
    for path, leaf in pairs:
        node = t
        for key in path:
            if isinstance(key, tree.SequenceKey):
                node = node[key.idx]
            elif isinstance(key, tree.DictKey):
                node = node[key.key]
            else:
                node = getattr(node, key.name)
        assert node is leaf


def test_dict_leaves_are_in_sorted_key_order_whatever_the_insertion_order():
    a = {"w": 1, "b": 2}
    b = {"b": 20, "w": 10}
    la, da_ = tree.flatten(a)
    lb, db = tree.flatten(b)
    assert la == [2, 1] and lb == [20, 10] and da_ == db
    assert list(tree.unflatten(da_, [0, 0])) == ["b", "w"]
    od = collections.OrderedDict([("w", 1), ("b", 2)])  # insertion order is kept
    assert tree.leaves(od) == [1, 2]
    assert isinstance(tree.map(lambda v: v, od), collections.OrderedDict)
    dd = collections.defaultdict(list, {"b": 1, "a": 2})
    out = tree.map(lambda v: v * 3, dd)
    assert isinstance(out, collections.defaultdict) and out.default_factory is list
    assert dict(out) == {"a": 6, "b": 3}


def test_arrays_tensors_and_numbers_are_leaves_and_none_is_empty():
    x, t = np.ones(3), da.tensor([1.0])
    leaves, treedef = tree.flatten({"x": x, "t": t, "n": 2.0, "none": None})
    assert leaves[0] == 2.0 and leaves[1] is t and leaves[2] is x
    assert treedef.num_leaves == 3
    assert tree.flatten(None) == ([], tree.structure(None))
    assert tree.structure(x).is_leaf() and tree.structure(t).is_leaf()


def test_namedtuple_is_a_node_with_field_paths():
    p = Point(1.0, [2.0, 3.0])
    pairs, treedef = tree.flatten_with_path(p)
    assert [tree.keystr(path) for path, _ in pairs] == [".x", ".y[0]", ".y[1]"]
    back = tree.unflatten(treedef, [4.0, 5.0, 6.0])
    assert type(back) is Point and back == Point(4.0, [5.0, 6.0])
    assert repr(treedef) == "TreeDef(Point(x=*, y=[*, *]))"
    assert tree.structure(Point(1, 2)) != tree.structure((1, 2))


def test_register_node_and_dataclass():
    class Box:
        def __init__(self, items, label):
            self.items, self.label = items, label

    tree.register_node(Box, lambda b: (b.items, b.label), lambda label, c: Box(c, label))
    leaves, treedef = tree.flatten(Box([1.0, {"a": 2.0}], "lbl"))
    assert leaves == [1.0, 2.0]
    back = tree.unflatten(treedef, [3.0, 4.0])
    assert isinstance(back, Box) and back.items == [3.0, {"a": 4.0}] and back.label == "lbl"
    assert tree.structure(Box([1.0, 1.0], "other")) != tree.structure(Box([1.0, 1.0], "lbl"))
    with pytest.raises(ValueError, match="already a tree node"):
        tree.register_node(Box, lambda b: ((), None), lambda a, c: Box(c, a))
    with pytest.raises(TypeError, match="give a class"):
        tree.register_node("Box", lambda b: ((), None), lambda a, c: None)

    @tree.register_dataclass
    @dataclasses.dataclass
    class Layer:
        w: object
        b: object

    pairs, treedef = tree.flatten_with_path(Layer(w=1.0, b=2.0))
    assert [(tree.keystr(p), v) for p, v in pairs] == [(".w", 1.0), (".b", 2.0)]
    assert tree.unflatten(treedef, [5.0, 6.0]) == Layer(5.0, 6.0)

    @dataclasses.dataclass(frozen=True)
    class Conv:
        kernel: object
        stride: int

    tree.register_dataclass(Conv, meta_fields=("stride",))
    assert tree.leaves(Conv(np.ones(2), 2))[0].shape == (2,)
    assert tree.structure(Conv(1.0, 2)) != tree.structure(Conv(1.0, 3))
    with pytest.raises(TypeError, match="not a dataclass"):
        tree.register_dataclass(Box)

    @dataclasses.dataclass
    class Half:
        a: object
        b: object

    with pytest.raises(ValueError, match=r"fields \['b'\] are neither"):
        tree.register_dataclass(Half, data_fields=("a",))


def test_map_with_several_trees_and_mismatches_name_the_path():
    assert tree.map(lambda a, b: a - b, {"a": [1, 2]}, {"a": [10, 20]}) == {"a": [-9, -18]}
    with pytest.raises(ValueError, match=r"differ at \['a'\]: expected a list of 2, got a "
                                         r"list of 3"):
        tree.map(lambda a, b: a, {"a": [1, 2]}, {"a": [1, 2, 3]})
    with pytest.raises(ValueError, match=r"differ at <root>: expected a dict with keys "
                                         r"\['a'\], got a dict with keys \['b'\]"):
        tree.map(lambda a, b: a, {"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match=r"differ at \[1\]: expected a tuple of 2, got a "
                                         r"leaf \(float\)"):
        tree.map(lambda a, b: a, (1, (2, 3)), (1, 2.0))
    # the first tree's structure may be a prefix: the others' subtrees go to f whole
    assert tree.map(lambda a, b: (a, b), (1, 2), (3, [4])) == ((1, 3), (2, [4]))


def test_map_with_path():
    out = tree.map_with_path(lambda p, v: tree.keystr(p) + str(v), {"a": [1], "b": (2,)})
    assert out == {"a": ["['a'][0]1"], "b": ("['b'][0]2",)}


def test_unflatten_checks_its_arguments():
    _, treedef = tree.flatten((1, 2))
    with pytest.raises(ValueError, match=r"has 2 leaves but 3 were given"):
        tree.unflatten(treedef, [1, 2, 3])
    with pytest.raises(TypeError, match="must be a TreeDef"):
        tree.unflatten((1, 2), [1, 2])


def test_dict_keys_that_do_not_sort_raise_clearly():
    with pytest.raises(TypeError, match="keys that sort.*OrderedDict"):
        tree.flatten({1: 1.0, "a": 2.0})
    assert tree.leaves(collections.OrderedDict([(1, 1.0), ("a", 2.0)])) == [1.0, 2.0]


def test_treedefs_hash_and_compare():
    a = tree.structure({"x": (1, 2), "y": None})
    b = tree.structure({"y": None, "x": (5, 6)})
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != tree.structure({"x": [1, 2], "y": None})
    assert tree.structure(1) == tree.structure(np.ones(3))

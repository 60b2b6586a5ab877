"""Pytrees: nested containers of arrays, flattened to a list of leaves and a structure.

A pytree is a leaf or a *node* holding pytrees. The built-in nodes are
``tuple``, ``list``, ``dict`` (its keys in sorted order, as in JAX, so two
dicts with the same keys have the same structure whatever their insertion
order; ``unflatten`` builds the dict in that sorted order), ``OrderedDict``
and ``defaultdict`` (insertion order is kept for ``OrderedDict``),
namedtuples, and ``None`` (a node with no children: it holds no leaf).
Anything else is a leaf. Other classes become nodes with
:func:`register_node`; dataclasses with :func:`register_dataclass`.

The transforms of :mod:`dualad.func` differentiate every leaf of their
arguments; there a leaf must be a Tensor, a NumPy array or a Python number
(they check, naming the leaf's path).

>>> from dualad import tree
>>> leaves, treedef = tree.flatten({"w": [1.0, 2.0], "b": None, "a": (3.0,)})
>>> leaves
[3.0, 1.0, 2.0]
>>> treedef
TreeDef({'a': (*,), 'b': None, 'w': [*, *]})
>>> tree.unflatten(treedef, [10.0, 20.0, 30.0])
{'a': (10.0,), 'b': None, 'w': [20.0, 30.0]}
>>> tree.map(lambda x, y: x + y, (1, [2]), (10, [20]))
(11, [22])
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, NamedTuple

__all__ = ["TreeDef", "flatten", "flatten_with_path", "unflatten", "leaves", "structure",
           "map", "map_with_path", "flatten_up_to", "register_node", "register_dataclass",
           "keystr", "SequenceKey", "DictKey", "GetAttrKey"]

_builtin_map = map


# ------------------------------------------------------------------ path entries

class SequenceKey(NamedTuple):
    """A child of a tuple, a list or a registered node, by position: ``[0]``."""

    idx: int

    def __str__(self) -> str:
        return f"[{self.idx}]"


class DictKey(NamedTuple):
    """A child of a dict, by key: ``['w']``."""

    key: Hashable

    def __str__(self) -> str:
        return f"[{self.key!r}]"


class GetAttrKey(NamedTuple):
    """A field of a namedtuple or a dataclass: ``.name``."""

    name: str

    def __str__(self) -> str:
        return f".{self.name}"


Key = SequenceKey | DictKey | GetAttrKey
Path = tuple[Key, ...]


def keystr(path: Sequence[Key]) -> str:
    """A path as text, ``['layers'][0].w``; the root (an empty path) is ``<root>``.

    >>> from dualad import tree
    >>> [tree.keystr(p) for p, _ in tree.flatten_with_path({"a": [1, 2]})[0]]
    ["['a'][0]", "['a'][1]"]
    """
    return "".join(str(k) for k in path) if path else "<root>"


# --------------------------------------------------------------------- node kinds

class _Kind:
    """How one node type flattens: ``split(node) -> (children, aux)``,
    ``build(aux, children) -> node`` and ``keys(aux, n) -> path entries``."""

    __slots__ = ("type", "split", "build", "keys", "show")

    def __init__(self, typ: type, split: Callable[[Any], tuple[Sequence[Any], Any]],
                 build: Callable[[Any, list[Any]], Any],
                 keys: Callable[[Any, int], list[Key]],
                 show: Callable[[Any, list[str]], str]) -> None:
        self.type = typ
        self.split = split
        self.build = build
        self.keys = keys
        self.show = show


def _positions(aux: Any, n: int) -> list[Key]:
    return [SequenceKey(i) for i in range(n)]


def _dict_keys(aux: Any, n: int) -> list[Key]:
    return [DictKey(k) for k in aux]


def _sorted_keys(d: dict) -> tuple:
    try:
        return tuple(sorted(d))
    except TypeError:
        raise TypeError(f"dualad.tree: a dict node needs keys that sort (its leaves are "
                        f"ordered by key, as in JAX), got keys {list(d)!r}; use keys of one "
                        "type, or an OrderedDict (insertion order)") from None


def _split_dict(d: dict) -> tuple[list, tuple]:
    keys = _sorted_keys(d)
    return [d[k] for k in keys], keys


def _split_ordered(d: OrderedDict) -> tuple[list, tuple]:
    keys = tuple(d)
    return [d[k] for k in keys], keys


def _split_defaultdict(d: defaultdict) -> tuple[list, tuple]:
    keys = _sorted_keys(d)
    return [d[k] for k in keys], (d.default_factory, keys)


def _show_items(open_: str, close: str, keys: Iterable[Any], parts: list[str]) -> str:
    return open_ + ", ".join(f"{k!r}: {p}" for k, p in zip(keys, parts)) + close


def _show_seq(open_: str, close: str) -> Callable[[Any, list[str]], str]:
    def show(aux: Any, parts: list[str]) -> str:
        if open_ == "(" and len(parts) == 1:
            return f"({parts[0]},)"
        return open_ + ", ".join(parts) + close
    return show


_NODES: dict[type, _Kind] = {
    tuple: _Kind(tuple, lambda t: (t, None), lambda aux, c: tuple(c), _positions,
                 _show_seq("(", ")")),
    list: _Kind(list, lambda t: (t, None), lambda aux, c: list(c), _positions,
                _show_seq("[", "]")),
    dict: _Kind(dict, _split_dict, lambda aux, c: dict(zip(aux, c)), _dict_keys,
                lambda aux, parts: _show_items("{", "}", aux, parts)),
    OrderedDict: _Kind(OrderedDict, _split_ordered, lambda aux, c: OrderedDict(zip(aux, c)),
                       _dict_keys,
                       lambda aux, parts: _show_items("OrderedDict({", "})", aux, parts)),
    defaultdict: _Kind(defaultdict, _split_defaultdict,
                       lambda aux, c: defaultdict(aux[0], zip(aux[1], c)),
                       lambda aux, n: [DictKey(k) for k in aux[1]],
                       lambda aux, parts: _show_items("defaultdict({", "})", aux[1], parts)),
    type(None): _Kind(type(None), lambda t: ((), None), lambda aux, c: None,
                      _positions, lambda aux, parts: "None"),
}


def _namedtuple_kind(typ: type) -> _Kind:
    fields = typ._fields  # type: ignore[attr-defined]
    kind = _Kind(typ, lambda t: (t, None), lambda aux, c: typ(*c),
                 lambda aux, n: [GetAttrKey(f) for f in fields],
                 lambda aux, parts: typ.__name__ + "(" + ", ".join(
                     f"{f}={p}" for f, p in zip(fields, parts)) + ")")
    return kind


def _kind_of(x: Any) -> _Kind | None:
    """The node kind of ``x``, or None for a leaf."""
    typ = type(x)
    kind = _NODES.get(typ)
    if kind is None and isinstance(x, tuple) and hasattr(typ, "_fields"):
        kind = _NODES[typ] = _namedtuple_kind(typ)  # namedtuples are nodes (cached)
    return kind


def register_node(typ: type, flatten_fn: Callable[[Any], tuple[Iterable[Any], Any]],
                  unflatten_fn: Callable[[Any, list[Any]], Any]) -> None:
    """Make instances of ``typ`` tree nodes.

    ``flatten_fn(node)`` returns ``(children, aux)``: the child subtrees and
    hashable data kept in the structure (compared by ``==``);
    ``unflatten_fn(aux, children)`` builds the node back. Children are named
    ``[0]``, ``[1]``... in paths.

    >>> from dualad import tree
    >>> class Pair:
    ...     def __init__(self, a, b):
    ...         self.a, self.b = a, b
    >>> tree.register_node(Pair, lambda p: ((p.a, p.b), None), lambda aux, c: Pair(*c))
    >>> tree.leaves(Pair(1.0, [2.0]))
    [1.0, 2.0]
    """
    if not isinstance(typ, type):
        raise TypeError(f"register_node: give a class, got {typ!r}")
    if not callable(flatten_fn) or not callable(unflatten_fn):
        raise TypeError("register_node: flatten_fn and unflatten_fn must be callables: "
                        "flatten_fn(node) -> (children, aux), unflatten_fn(aux, children)")
    if typ in _NODES:
        raise ValueError(f"register_node: {typ.__name__} is already a tree node")

    def split(node: Any) -> tuple[Sequence[Any], Any]:
        result = flatten_fn(node)
        if not isinstance(result, tuple) or len(result) != 2:
            raise TypeError(f"dualad.tree: the flatten_fn registered for {typ.__name__} must "
                            f"return (children, aux), got {type(result).__name__}")
        return list(result[0]), result[1]

    _NODES[typ] = _Kind(typ, split, lambda aux, c: unflatten_fn(aux, list(c)), _positions,
                        lambda aux, parts: f"{typ.__name__}[{aux!r}](" + ", ".join(parts) + ")")


def register_dataclass(typ: type, data_fields: Sequence[str] | None = None,
                       meta_fields: Sequence[str] = ()) -> type:
    """Make a dataclass a tree node: ``data_fields`` (all init fields not in ``meta_fields``
    by default) are children, named ``.field`` in paths; ``meta_fields`` are kept in the
    structure (hashable). Returns ``typ``, so it also works as a decorator.

    >>> import dataclasses
    >>> from dualad import tree
    >>> @tree.register_dataclass
    ... @dataclasses.dataclass
    ... class Params:
    ...     w: object
    ...     b: object
    >>> tree.map(lambda v: v * 2, Params(1.0, 2.0))
    Params(w=2.0, b=4.0)
    """
    if not (isinstance(typ, type) and dataclasses.is_dataclass(typ)):
        raise TypeError(f"register_dataclass: {typ!r} is not a dataclass")
    init = [f.name for f in dataclasses.fields(typ) if f.init]
    meta = tuple(meta_fields)
    data = tuple(data_fields) if data_fields is not None else tuple(
        n for n in init if n not in meta)
    missing = sorted(set(init) - set(data) - set(meta))
    if missing:
        raise ValueError(f"register_dataclass({typ.__name__}): fields {missing} are neither in "
                         "data_fields nor in meta_fields")
    if typ in _NODES:
        raise ValueError(f"register_dataclass: {typ.__name__} is already a tree node")

    def split(node: Any) -> tuple[list, tuple]:
        return [getattr(node, n) for n in data], tuple(getattr(node, n) for n in meta)

    def build(aux: tuple, children: list) -> Any:
        return typ(**dict(zip(data, children)), **dict(zip(meta, aux)))

    _NODES[typ] = _Kind(typ, split, build, lambda aux, n: [GetAttrKey(f) for f in data],
                        lambda aux, parts: typ.__name__ + "(" + ", ".join(
                            f"{f}={p}" for f, p in zip(data, parts)) + ")")
    return typ


# ----------------------------------------------------------------------- TreeDef

class TreeDef:
    """The structure of a pytree: its nodes (types and aux data), without the leaves.

    Two trees have equal TreeDefs when they differ only in their leaves.
    """

    __slots__ = ("kind", "aux", "children", "num_leaves", "_hash")

    def __init__(self, kind: _Kind | None, aux: Any, children: tuple[TreeDef, ...]) -> None:
        self.kind = kind
        self.aux = aux
        self.children = children
        self.num_leaves: int = 1 if kind is None else sum(c.num_leaves for c in children)
        self._hash: int | None = None

    def is_leaf(self) -> bool:
        """Whether this is the structure of a single leaf."""
        return self.kind is None

    def unflatten(self, leaves: Iterable[Any]) -> Any:
        """The tree of this structure with ``leaves`` (same as :func:`unflatten`)."""
        return unflatten(self, leaves)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TreeDef):
            return NotImplemented
        if self is other:
            return True
        if self.kind is None or other.kind is None:
            return self.kind is other.kind
        return (self.kind.type is other.kind.type and self.num_leaves == other.num_leaves
                and self.aux == other.aux and self.children == other.children)

    def __hash__(self) -> int:
        if self._hash is None:
            typ = None if self.kind is None else self.kind.type
            try:
                aux_hash = hash(self.aux)
            except TypeError:
                aux_hash = 0
            self._hash = hash((typ, aux_hash, self.children))
        return self._hash

    def _show(self) -> str:
        if self.kind is None:
            return "*"
        return self.kind.show(self.aux, [c._show() for c in self.children])

    def __repr__(self) -> str:
        return f"TreeDef({self._show()})"


LEAF = TreeDef(None, None, ())


def _describe(kind: _Kind | None, aux: Any, n: int) -> str:
    """A node (or a leaf) in words, for mismatch errors."""
    if kind is None:
        return "a leaf"
    typ = kind.type
    if typ in (dict, OrderedDict):
        return f"a {typ.__name__} with keys {list(aux)}"
    if typ is defaultdict:
        return f"a defaultdict with keys {list(aux[1])}"
    if typ is type(None):
        return "None"
    return f"a {typ.__name__} of {n}"


# ------------------------------------------------------------------ flattening

def _flatten(x: Any, is_leaf: Callable[[Any], bool] | None, out: list,
             paths: list | None, path: Path) -> TreeDef:
    kind = None if is_leaf is not None and is_leaf(x) else _kind_of(x)
    if kind is None:
        out.append(x)
        if paths is not None:
            paths.append(path)
        return LEAF
    children, aux = kind.split(x)
    if paths is None:
        defs = tuple(_flatten(c, is_leaf, out, None, path) for c in children)
    else:
        keys = kind.keys(aux, len(children))
        defs = tuple(_flatten(c, is_leaf, out, paths, path + (k,))
                     for c, k in zip(children, keys))
    return TreeDef(kind, aux, defs)


def flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None
            ) -> tuple[list[Any], TreeDef]:
    """``(leaves, treedef)``: the leaves of ``tree`` left to right, and its structure.

    ``is_leaf(x)`` True stops the walk at ``x`` (a leaf even if it is a node).

    >>> from dualad import tree
    >>> tree.flatten([1.0, (2.0, None)])
    ([1.0, 2.0], TreeDef([*, (*, None)]))
    """
    if is_leaf is None and type(tree) not in _NODES and not isinstance(tree, tuple):
        return [tree], LEAF  # the common case of one array: no walk
    out: list = []
    treedef = _flatten(tree, is_leaf, out, None, ())
    return out, treedef


def flatten_with_path(tree: Any, is_leaf: Callable[[Any], bool] | None = None
                      ) -> tuple[list[tuple[Path, Any]], TreeDef]:
    """Like :func:`flatten`, each leaf paired with its path (a tuple of keys; see keystr).

    >>> from dualad import tree
    >>> [(tree.keystr(p), v) for p, v in tree.flatten_with_path({"w": [5.0]})[0]]
    [("['w'][0]", 5.0)]
    """
    out: list = []
    paths: list = []
    treedef = _flatten(tree, is_leaf, out, paths, ())
    return list(zip(paths, out)), treedef


def leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list[Any]:
    """The leaves of ``tree``, left to right."""
    return flatten(tree, is_leaf)[0]


def structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> TreeDef:
    """The TreeDef of ``tree``."""
    return flatten(tree, is_leaf)[1]


def _build(treedef: TreeDef, it: Iterable[Any]) -> Any:
    if treedef.kind is None:
        return next(it)  # type: ignore[call-overload]
    return treedef.kind.build(treedef.aux, [_build(c, it) for c in treedef.children])


def unflatten(treedef: TreeDef, leaves: Iterable[Any]) -> Any:
    """The tree of structure ``treedef`` holding ``leaves`` (in the order flatten gives).

    >>> from dualad import tree
    >>> _, td = tree.flatten((1, {"a": 2}))
    >>> tree.unflatten(td, ["x", "y"])
    ('x', {'a': 'y'})
    """
    if treedef is LEAF and type(leaves) is list and len(leaves) == 1:
        return leaves[0]  # the common case of one array
    if not isinstance(treedef, TreeDef):
        raise TypeError(f"unflatten: the first argument must be a TreeDef (from "
                        f"dualad.tree.flatten), got {type(treedef).__name__}")
    items = list(leaves)
    if len(items) != treedef.num_leaves:
        raise ValueError(f"unflatten: the structure {treedef} has {treedef.num_leaves} "
                         f"leaves but {len(items)} were given")
    if treedef.kind is None:
        return items[0]
    return _build(treedef, iter(items))


def _up_to(treedef: TreeDef, x: Any, path: Path, out: list, paths: list, what: str) -> None:
    if treedef.kind is None:
        out.append(x)
        paths.append(path)
        return
    kind = _kind_of(x)
    if kind is None or kind.type is not treedef.kind.type:
        children: Sequence[Any] = () if kind is None else kind.split(x)[0]
        aux = None if kind is None else kind.split(x)[1]
        raise ValueError(
            f"{what}: the structures differ at {keystr(path)}: expected "
            f"{_describe(treedef.kind, treedef.aux, len(treedef.children))}, got "
            f"{_describe(kind, aux, len(children))} ({type(x).__name__})")
    children, aux = kind.split(x)
    if aux != treedef.aux or len(children) != len(treedef.children):
        raise ValueError(
            f"{what}: the structures differ at {keystr(path)}: expected "
            f"{_describe(treedef.kind, treedef.aux, len(treedef.children))}, got "
            f"{_describe(kind, aux, len(children))}")
    keys = kind.keys(aux, len(children))
    for c, d, k in zip(children, treedef.children, keys):
        _up_to(d, c, path + (k,), out, paths, what)


def flatten_up_to(treedef: TreeDef, tree: Any, what: str = "flatten_up_to"
                  ) -> list[Any]:
    """The subtrees of ``tree`` at the leaves of ``treedef``, a prefix of its structure.

    Raises ValueError naming the first path where the structures differ
    (``what`` starts the message). With ``treedef`` the full structure of
    ``tree`` this is :func:`leaves` with a check.

    >>> from dualad import tree
    >>> tree.flatten_up_to(tree.structure((0, 0)), (1.0, {"a": 2.0}))
    [1.0, {'a': 2.0}]
    """
    out: list = []
    _up_to(treedef, tree, (), out, [], what)
    return out


def flatten_up_to_with_path(treedef: TreeDef, tree: Any, what: str = "flatten_up_to"
                            ) -> list[tuple[Path, Any]]:
    """Like :func:`flatten_up_to`, each subtree paired with its path."""
    out: list = []
    paths: list = []
    _up_to(treedef, tree, (), out, paths, what)
    return list(zip(paths, out))


def map(f: Callable[..., Any], tree: Any, *rest: Any,
        is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """``f`` applied to each leaf of ``tree`` (with the matching leaves of ``rest``,
    trees of the same structure, or with ``tree``'s structure as a prefix).

    >>> from dualad import tree
    >>> tree.map(lambda v: v * 10, {"a": 1, "b": (2, None)})
    {'a': 10, 'b': (20, None)}
    """
    items, treedef = flatten(tree, is_leaf)
    others = [flatten_up_to(treedef, r, "dualad.tree.map") for r in rest]
    return unflatten(treedef, [f(*xs) for xs in zip(items, *others)])


def map_with_path(f: Callable[..., Any], tree: Any, *rest: Any,
                  is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """``f(path, leaf, *others)`` for each leaf: :func:`map` with the leaf's path first."""
    pairs, treedef = flatten_with_path(tree, is_leaf)
    others = [flatten_up_to(treedef, r, "dualad.tree.map_with_path") for r in rest]
    return unflatten(treedef, [f(p, x, *xs) for (p, x), *xs in zip(pairs, *others)])

"""The SymPy bridge: a recorded graph as SymPy expressions, exact gradients, cross-checks.

:func:`to_sympy` walks the graph from a tensor to its leaves and builds the
same computation in SymPy, element by element, with each op's registered
``sympy`` form (this module knows no op). :func:`gradient` differentiates the
exported expression exactly, by reverse accumulation over the SymPy values:
each op's SymPy form is differentiated locally by SymPy, and the local
derivatives are chained along the graph, so shared subexpressions are shared
(and the check stays independent of dualad's own derivative rules).
:func:`compare` puts reverse mode, forward mode, the symbolic derivative and
finite differences side by side.

>>> import dualad as da
>>> x = da.tensor(1.0, requires_grad=True, name="x")
>>> y = da.tensor(2.0, requires_grad=True, name="y")
>>> to_sympy(da.sin(x) * da.exp(y))
exp(y)*sin(x)
>>> gradient(da.sin(x) * da.exp(y), x)
exp(y)*cos(x)
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from .autograd import graph
from .autograd.node import AccumulateGrad, Node, OpNode, edge_node
from .registry import LINEAR, NO_SYMPY_FORM, Op
from .tensor import Tensor, meta_of

__all__ = ["to_sympy", "gradient", "compare", "CompareReport", "GraphTooLarge", "MAX_SIZE",
           "MAX_DEPTH"]

DEEP = 48
"""Graphs deeper than this (longest path, in nodes) are exported unevaluated by default:
SymPy's automatic simplification re-walks a nested argument at every level, which is
quadratic in the depth. Pass ``evaluate=`` to choose."""

MAX_SIZE = 50_000
"""Default limit on the size of an export: the number of SymPy terms it would build,
estimated before building (per node: elements x terms per element, from each op's
``sympy_terms``; for a gradient also the reverse sweeps). Pass ``max_size=`` to change it."""

MAX_DEPTH = 1_500
"""Graphs with a longer path (in nodes) raise :class:`GraphTooLarge`: SymPy walks
expressions recursively, and Python limits the depth of recursion."""


class GraphTooLarge(ValueError):
    """The graph would give an expression too large to build in reasonable time."""


# ----------------------------------------------------------------- helpers

def _number(v: Any) -> Any:
    """A NumPy/Python scalar as a SymPy number: exact integers where the value is one."""
    if isinstance(v, sp.Basic):
        return v
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return sp.Integer(int(v))
    if isinstance(v, (complex, np.complexfloating)):  # (complex numbers: x + I*y)
        return _number(v.real) + sp.I * _number(v.imag) if v.imag else _number(v.real)
    v = float(v)
    if math.isnan(v):
        return sp.nan
    if math.isinf(v):
        return sp.oo if v > 0 else -sp.oo
    if v.is_integer() and abs(v) < 2**31:
        return sp.Integer(int(v))
    return sp.Float(v)


def _obj(x: Any) -> np.ndarray:
    """``x`` (a SymPy value, a number or an array) as a NumPy object array."""
    if isinstance(x, Tensor):
        x = x._data
    if isinstance(x, np.ndarray):
        if x.dtype == object:
            return x
        flat = [_number(v) for v in x.ravel().tolist()]
        out = np.empty(len(flat), dtype=object)
        out[:] = flat
        return out.reshape(x.shape)
    out = np.empty((), dtype=object)
    out[()] = x if isinstance(x, sp.Basic) else _number(x)
    return out


def _result(arr: np.ndarray) -> Any:
    """A 0-d object array as its expression, anything else as an immutable SymPy array."""
    if arr.ndim == 0:
        return arr[()]
    return sp.ImmutableDenseNDimArray(arr.ravel().tolist(), arr.shape)


def _leaf_names(shape: tuple, base: str) -> list[str]:
    if not shape:
        return [base]
    return [base + "_" + "_".join(map(str, idx)) for idx in np.ndindex(*shape)]


_NOTHING: Mapping = {}


def _symbol_array(shape: tuple, base: str, dummy: bool = False) -> np.ndarray:
    """Real symbols ``base`` (0-d) or ``base_i_j...`` as an object array of ``shape``;
    ``dummy``: SymPy dummies, distinct from every other symbol whatever their names."""
    make = sp.Dummy if dummy else sp.Symbol
    arr = np.empty(shape, dtype=object)
    arr.reshape(-1)[:] = [make(n, real=True) for n in _leaf_names(shape, base)]
    return arr


def _terms(node: OpNode) -> float:
    """Estimated SymPy terms per element of ``node``'s output (see ``Op.sympy_terms``)."""
    op = node.op
    inputs = node.inputs(check=False)
    # SymPy is several times slower on floating-point constants than on integers
    weight = FLOAT_WEIGHT if any(_fractional(v) for e, v in zip(node.next_edges, inputs)
                                 if e is None) else 1.0
    if op.elementwise and op.sympy_terms is None:
        # a function of expressions: SymPy asks their assumptions as it evaluates it
        return weight * ELEMENTWISE_WEIGHT * max(1, len(inputs))
    shapes = [_shape_of(edge_node(e)) if e is not None
              else (v._data.shape if isinstance(v, Tensor) else np.shape(v))
              for e, v in zip(node.next_edges, inputs)]
    if op.sympy_terms is not None:
        return weight * float(op.sympy_terms(shapes, node.out_data.shape, node.params))
    return weight * max(1, sum(int(np.prod(s, dtype=np.int64)) for s in shapes))


FLOAT_WEIGHT = 4.0
SMALL_ARGUMENTS = 16.0
"""Estimated terms below which the arguments of an extremum compare at no extra cost."""
ELEMENTWISE_WEIGHT = 4.0
_WIDENING = frozenset({"add", "sub", "neg", "mul", "div"})
"""Elementwise ops whose SymPy result flattens the sums (and products) it is given, or
distributes a number over them; any other function of a sum is one term."""


def _cost(node: OpNode, widths: list[float]) -> tuple[float, float]:
    """(estimated cost per output element, estimated width of each output element).

    The width is the number of terms at the top of an element's expression (a sum of
    3,000 terms has width 3,000): SymPy walks the top of its arguments when it builds an
    ``Add`` or ``Mul`` of them (and distributes numbers over sums), so an op costs more on
    wide arguments, and its own result may be as wide as its arguments together.
    """
    terms = _terms(node)
    if node.op.elementwise:
        total = sum(widths) if widths else 1.0
        return terms + total - len(widths), total if node.op.name in _WIDENING else 1.0
    wide = max(widths, default=1.0)
    sizes = sum(_size_of(edge_node(e)) for e in node.next_edges if e is not None)
    reduction = min(terms, sizes / max(1, node.out_data.size))
    return terms * wide, wide * max(1.0, reduction)


def _fractional(v: Any) -> bool:
    """Whether ``v`` is a floating-point constant with a value that is not a whole number."""
    data = v._data if isinstance(v, Tensor) else v
    if not isinstance(data, (np.ndarray, float, np.floating)):
        return False
    data = np.asarray(data)
    return data.dtype.kind == "f" and bool(np.any(data != np.round(data)))


@contextlib.contextmanager
def _depth_guard() -> Iterator[None]:
    """A RecursionError inside SymPy (a graph too deeply nested) as :class:`GraphTooLarge`."""
    try:
        yield
    except RecursionError:
        raise GraphTooLarge(
            "the expression is too deeply nested for SymPy (Python's recursion limit was "
            f"reached); export a shorter piece of the computation, or lower "
            f"dualad.symbolic.MAX_DEPTH (now {MAX_DEPTH:,})") from None


def _settle(value: np.ndarray) -> None:
    """Work out (and cache) the assumptions SymPy asks of new expressions, one level at a
    time as they are built: asked first at the top of a deep chain, they recurse its depth."""
    for e in value.reshape(-1):
        if isinstance(e, sp.Basic):
            e.is_commutative  # noqa: B018  (computed and cached on first access)


def _map_elementwise(fn: Callable, args: list[np.ndarray], params: dict) -> np.ndarray:
    shape = np.broadcast_shapes(*(a.shape for a in args))
    flats = [np.broadcast_to(a, shape).ravel() for a in args]
    out = np.empty(len(flats[0]), dtype=object)
    for k, items in enumerate(zip(*flats)):
        out[k] = fn(*items, **params)
    return out.reshape(shape)


def _sympy_form(op: Op) -> Callable[..., Any]:
    """``op``'s SymPy form; an op without one cannot be exported."""
    if op.sympy is None:
        raise ValueError(f"cannot export op {op.name!r} to SymPy: it has no sympy form; give "
                         "its registry entry one")
    if op.sympy is NO_SYMPY_FORM:
        raise ValueError(f"cannot export op {op.name!r} to SymPy: SymPy has no form for it "
                         "(a matrix decomposition); differentiate it numerically instead "
                         "(dualad.gradcheck)")
    return op.sympy


def _node_label(node: Any) -> str:
    return node.name() if hasattr(node, "name") else type(node).__name__


def _with_op(exc: Exception, what: str) -> Exception:
    """``exc`` with ``what`` (naming the op) in front of its message, same type if possible."""
    try:
        return type(exc)(f"{what}: {exc}")
    except Exception:
        return ValueError(f"{what}: {type(exc).__name__}: {exc}")


# ------------------------------------------------------------------ graph

class _Graph:
    """A recorded graph, walked once: nodes in order (inputs first), leaves and symbols."""

    def __init__(self, tensor: Tensor, symbols: Mapping | Iterable | None,
                 max_size: int | None, evaluate: bool | None = None,
                 for_gradient: bool = False) -> None:
        if not isinstance(tensor, Tensor):
            raise TypeError(f"to_sympy expects a dualad Tensor, got {type(tensor).__name__}")
        self.tensor = tensor
        self.root = None
        if tensor.grad_fn is not None:
            self.root = tensor.grad_fn
        elif tensor.requires_grad_flag:
            from .autograd.node import accumulator_of

            self.root = accumulator_of(tensor)
        nodes = [] if self.root is None else graph.oldest_first(graph.reachable([self.root]))
        self.order = self._check(nodes, max_size, for_gradient)
        self.evaluate = self.depth <= DEEP if evaluate is None else bool(evaluate)
        self.user_symbols = _symbol_map(symbols)
        self.symbols: dict[int, np.ndarray] = {}  # id(leaf node) -> object array of symbols
        self.values: dict[int, np.ndarray] = {}
        self.built: set = set()  # the nodes whose value is in ``values``
        self._assign_symbols()

    def _check(self, nodes: list[Node], max_size: int | None,
               for_gradient: bool) -> list[AccumulateGrad | OpNode]:
        """Refuse what cannot be exported, and graphs too large or too deep to build fast:
        the size is estimated per node before anything is built (see :func:`_terms`).
        Returns ``nodes`` (all leaves and op nodes by then)."""
        limit = MAX_SIZE if max_size is None else max_size
        size = elements = 0.0
        largest = (0.0, "")
        depth: dict[int, int] = {}
        width: dict[int, float] = {}  # terms at the top of each element's expression
        whole: dict[int, float] = {}  # terms in each element's whole expression (a bound)
        known: list[AccumulateGrad | OpNode] = []
        for node in nodes:
            depth[id(node)] = 1 + max((depth[id(edge_node(e))] for e in node.next_edges
                                       if e is not None), default=0)
            if isinstance(node, AccumulateGrad):
                n = cost = float(node.variable._data.size)
                width[id(node)] = whole[id(node)] = 1.0
            elif isinstance(node, OpNode):
                if node.freed:
                    raise RuntimeError(
                        f"cannot export the graph to SymPy: the values saved by {node.name()} "
                        "were freed by a backward pass. Call to_sympy before backward(), or "
                        "pass retain_graph=True to backward().")
                _sympy_form(node.op)  # an op without one is refused here, before any work
                n = float(node.out_data.size)
                below = [id(edge_node(e)) for e in node.next_edges if e is not None]
                per, width[id(node)] = _cost(node, [width[i] for i in below])
                args = sum(whole[i] for i in below)
                whole[id(node)] = min(per + args, 1e18)
                if getattr(node.op.sympy_terms, "compares_arguments", False):
                    # SymPy's Max compares whole arguments pairwise: cheap for small ones
                    per *= max(1.0, args / SMALL_ARGUMENTS)
                cost = n * per
                largest = max(largest, (cost, f"op {node.op.name!r}"))
            else:
                raise ValueError(
                    f"cannot export {_node_label(node)} to SymPy: it is not a registered op "
                    "(e.g. a custom autograd.Function). Register it with dualad.register_op "
                    "and a sympy form to export it.")
            known.append(node)
            size += cost
            elements += n
        self.depth = max(depth.values(), default=0)
        sweeps = ""
        if for_gradient and self.root is not None:
            # local derivatives cost about as much again as the values; and one reverse
            # sweep per output element, each over the adjoints of the graph
            size *= 2
            outputs = _size_of(self.root)
            if outputs > 1:
                size += outputs * elements / 4
                sweeps = f", plus {outputs:,} reverse sweeps (one per output element)"
        if size > limit:
            what = f"; the largest part is {largest[1]} with {largest[0]:,.0f}" \
                if largest[0] > limit / 2 else ""
            raise GraphTooLarge(
                f"graph too large to export to SymPy: {len(nodes):,} nodes with "
                f"{elements:,.0f} elements, estimated at {size:,.0f} SymPy terms (elements "
                f"x terms per element{sweeps}{what}); the limit is {limit:,}. Export a "
                "smaller piece of the computation, or raise the limit with max_size= (or "
                "dualad.symbolic.MAX_SIZE).")
        if self.depth > MAX_DEPTH:
            raise GraphTooLarge(
                f"graph too deep to export to SymPy: its longest path has {self.depth:,} "
                f"nodes; the limit is {MAX_DEPTH:,} (SymPy walks expressions recursively). "
                "Export a shorter piece of the computation, or raise "
                "dualad.symbolic.MAX_DEPTH together with sys.setrecursionlimit.")
        return known

    def _assign_symbols(self) -> None:
        leaves = [n for n in self.order if isinstance(n, AccumulateGrad)]
        taken = {t.name for t in (n.variable for n in leaves) if t.name}
        counter = 0
        seen_names: dict[str, Tensor] = {}
        owners: dict[sp.Basic, str] = {}  # symbol -> the leaf element it stands for
        generated: list[tuple[np.ndarray, str]] = []
        for node in sorted(leaves, key=lambda n: n.seq):
            t = node.variable
            given = self.user_symbols.get(id(t))
            if given is not None:
                arr = _obj(np.asarray(given, dtype=object) if not isinstance(given, sp.Basic)
                           else given)
                if arr.shape != t._data.shape:
                    raise ValueError(f"symbols=: the symbols given for a leaf of shape "
                                     f"{t._data.shape} have shape {arr.shape}")
                owners.update((e, "a symbol given in symbols=") for e in arr.reshape(-1)
                              if isinstance(e, sp.Symbol))
            else:
                name = t.name
                if name is None:
                    while f"x{counter}" in taken:
                        counter += 1
                    name = f"x{counter}"
                    counter += 1
                if name in seen_names:
                    raise ValueError(
                        f"two different leaves are both named {name!r}; their symbols would "
                        "be the same. Give them distinct name= values or pass symbols=.")
                seen_names[name] = t
                if t._data.dtype.kind == "c":  # two real symbols: x_re + I*x_im
                    re, im = (_symbol_array(t._data.shape, f"{name}_{p}") for p in ("re", "im"))
                    generated += [(re, f"{name}_re"), (im, f"{name}_im")]
                    arr = re + sp.I * im
                else:
                    arr = _symbol_array(t._data.shape, name)
                    generated.append((arr, name))
            self.symbols[id(node)] = arr
            self.values[id(node)] = arr
        for arr, name in generated:
            for idx, s in zip(np.ndindex(*arr.shape), arr.reshape(-1)):
                what = f"the leaf named {name!r}" + (f", element {list(idx)}" if idx else "")
                other = owners.setdefault(s, what)
                if other != what:
                    raise ValueError(
                        f"{other} and {what} would both be the symbol {s}; rename one of "
                        f"the leaves (name=) so their symbols differ, or pass symbols=")

    def leaf_node(self, t: Tensor) -> AccumulateGrad | None:
        alias_of = meta_of(t).alias_of
        base = t if alias_of is None else alias_of
        for node in self.order:
            if isinstance(node, AccumulateGrad) and node.variable is base:
                return node
        return None

    def input_values(self, node: OpNode, placeholders: bool = False) -> list[np.ndarray | Any]:
        """The SymPy values of the node's inputs (graph values or converted constants).

        ``placeholders``: object arrays of None (of the right shapes) stand for the
        graph inputs, which are then not built.
        """
        raw = node.inputs()
        out = []
        for edge, value in zip(node.next_edges, raw):
            if edge is not None:
                child = edge_node(edge)
                out.append(np.empty(_shape_of(child), dtype=object) if placeholders
                           else self.value(child))
            elif isinstance(value, Tensor):
                given = self.user_symbols.get(id(value))
                out.append(_obj(given) if given is not None else _obj(value._data))
            elif isinstance(value, (np.ndarray, int, float, np.number, bool, np.bool_)):
                out.append(_obj(value))
            else:
                out.append(value)
        return out

    def build(self) -> np.ndarray:
        """The SymPy value of the whole graph (see :meth:`value`)."""
        if self.root is None:
            return _obj(self.tensor._data)
        return self.value(self.root)

    def value(self, node: Any) -> np.ndarray:
        """``node``'s SymPy value, built with the values it needs (memoized: shared
        subgraphs are built once, and values nothing asks for are never built)."""
        if id(node) not in self.values:
            # the root needs every node: the order found when the graph was walked
            order = self.order if node is self.root else \
                graph.oldest_first(graph.reachable([node], skip=self.built))
            with sp.evaluate(self.evaluate):
                for n in order:
                    # (a node with no value yet is an op node: leaves got theirs first)
                    if id(n) not in self.values and isinstance(n, OpNode):
                        value = self.values[id(n)] = self._node_value(n)
                        self.built.add(n)
                        _settle(value)
        return self.values[id(node)]

    def _node_value(self, node: OpNode) -> np.ndarray:
        op = node.op
        args = self.input_values(node)
        try:
            if op.elementwise:
                value = _map_elementwise(_sympy_form(op), [_obj(a) for a in args], node.params)
            else:
                value = _obj(_sympy_form(op)(*args, **node.params))
        except Exception as exc:
            raise _with_op(exc, f"the sympy form of op {op.name!r} failed") from exc
        if value.shape != node.out_data.shape:
            raise ValueError(f"the sympy form of op {op.name!r} gave shape {value.shape} "
                             f"but its forward gave {node.out_data.shape}")
        return value


def _symbol_map(symbols: Mapping | Iterable | None) -> dict[int, Any]:
    if symbols is None:
        return {}
    items = symbols.items() if isinstance(symbols, Mapping) else symbols
    out: dict[int, Any] = {}
    for pair in items:
        try:
            t, s = pair
        except (TypeError, ValueError):
            raise TypeError("symbols= must map tensors to SymPy symbols (a dict or a list of "
                            "(tensor, symbol) pairs)") from None
        if not isinstance(t, Tensor):
            raise TypeError(f"symbols=: keys must be dualad Tensors, got {type(t).__name__}")
        out[id(t)] = s
        base = meta_of(t).alias_of
        if base is not None:
            out[id(base)] = s
    return out


def to_sympy(tensor: Tensor, symbols: Mapping | Iterable | None = None, *,
             evaluate: bool | None = None, max_size: int | None = None) -> Any:
    """The recorded computation of ``tensor`` as SymPy: an expression (0-d) or an array.

    Leaves that require grad become real symbols, named from ``name=`` (a vector
    leaf ``x`` gives ``x_0, x_1, ...``) or ``x0, x1, ...`` in order of first use;
    ``symbols`` maps tensors to your own symbols (or arrays of them). Constants
    become SymPy numbers (exact integers where they are whole numbers).
    ``evaluate=False`` keeps SymPy from simplifying as it builds (the default for
    graphs deeper than :data:`DEEP`); a graph larger than ``max_size`` raises
    :class:`GraphTooLarge`.

    >>> import dualad as da
    >>> x = da.tensor([1.0, 2.0], requires_grad=True, name="x")
    >>> to_sympy((x * x).sum() + 3.0)
    x_0**2 + x_1**2 + 3
    """
    graph = _Graph(tensor, symbols, max_size, evaluate)
    with _depth_guard():
        return _result(graph.build())


# --------------------------------------------------------------- gradients

def _partials(expr: Any, dummies: dict) -> dict:
    """Exact partial derivatives of ``expr`` with respect to the dummies occurring in it."""
    if expr in dummies:
        return {expr: sp.Integer(1)}
    if not isinstance(expr, sp.Basic):
        return {}
    terms = expr.args if expr.is_Add else (expr,)
    out: dict = {}
    one = sp.Integer(1)
    for term in terms:
        if term in dummies:
            out[term] = out[term] + one if term in out else one
            continue
        ds = [d for d in term.free_symbols if d in dummies]
        factors = term.args if term.is_Mul else ()
        for d in ds:
            if d in factors and sum(1 for a in factors if a.has(d)) == 1:
                # a plain factor of a product (x_i * y_i in a sum of products): the others
                q = sp.Mul(*[a for a in factors if a is not d])
            else:
                q = term.diff(d)
            out[d] = out[d] + q if d in out else q
    return out


_DUMMIES = [sp.Dummy(f"a{i}", real=True) for i in range(8)]


_POOL_LIMIT = 4096  # dummies kept per input position, for the next export


def _dummies(i: int, n: int) -> list:
    """``n`` distinct real dummies for the elements of input ``i`` of a node (reused: every
    local derivative has them substituted away before it is returned)."""
    pool = _GENERAL_DUMMIES.setdefault(i, [])
    while len(pool) < min(n, _POOL_LIMIT):
        pool.append(sp.Dummy(f"a{i}_{len(pool)}", real=True))
    if n <= len(pool):
        return pool[:n]
    return pool + [sp.Dummy(f"a{i}_{j}", real=True) for j in range(len(pool), n)]


_GENERAL_DUMMIES: dict[int, list] = {}


class _Local:
    """Local derivatives of one node: for each output element, ``[(input, index, partial)]``."""

    @staticmethod
    def of(graph: _Graph, node: OpNode, templates: dict) -> list[list[tuple]]:
        op = node.op
        graph_pos = [i for i, e in enumerate(node.next_edges) if e is not None]
        # linear in its one graph input (sum, getitem, a product with a constant...): the
        # partials do not depend on that input's value, which need not be built
        linear = len(graph_pos) == 1 and op.jvp[graph_pos[0]] is LINEAR
        args = [a if isinstance(a, np.ndarray) else _obj(a) if _is_value(a) else a
                for a in graph.input_values(node, placeholders=linear)]
        try:
            if op.elementwise:
                return _Local._elementwise(op, args, graph_pos, node, templates)
            return _Local._general(op, args, graph_pos, node)
        except Exception as exc:
            raise _with_op(exc, "could not differentiate the sympy form of op "
                           f"{op.name!r}") from exc

    @staticmethod
    def _elementwise(op: Op, args: list[Any], graph_pos: list[int], node: OpNode,
                     templates: dict) -> list[list[tuple]]:
        shape = node.out_data.shape
        n = int(np.prod(shape, dtype=np.int64))
        flats = [np.broadcast_to(a, shape).ravel() for a in args]
        index = {i: np.broadcast_to(np.arange(args[i].size).reshape(args[i].shape),
                                    shape).ravel() for i in graph_pos}
        while len(_DUMMIES) < len(args):
            _DUMMIES.append(sp.Dummy(f"a{len(_DUMMIES)}", real=True))
        dummies = {i: _DUMMIES[i] for i in graph_pos}
        try:
            base: tuple[object, ...] = (op, tuple(graph_pos), tuple(sorted(node.params.items())))
            hash(base)
        except TypeError:  # unhashable params: templates are shared within this node only
            base = (op, tuple(graph_pos), id(node))
        entries: list[list[tuple]] = []
        for k in range(n):
            key = base + tuple(flats[i][k] for i in range(len(args)) if i not in dummies)
            tmpl = templates.get(key)
            if tmpl is None:
                call = [dummies[i] if i in dummies else flats[i][k] for i in range(len(args))]
                with sp.evaluate(True):
                    expr = sp.sympify(_sympy_form(op)(*call, **node.params))
                    tmpl = [(i, expr.diff(dummies[i])) for i in graph_pos]
                tmpl = [(i, p) for i, p in tmpl if p != 0]
                templates[key] = tmpl
            sub = {dummies[i]: flats[i][k] for i in graph_pos}
            entries.append([(i, int(index[i][k]), p.xreplace(sub)) for i, p in tmpl])
        return entries

    @staticmethod
    def _general(op: Op, args: list[Any], graph_pos: list[int],
                 node: OpNode) -> list[list[tuple]]:
        call = list(args)
        where: dict = {}
        sub: dict = {}
        for i in graph_pos:
            actual = args[i]
            ds = np.empty(actual.shape, dtype=object)
            flat = ds.reshape(-1)
            actual_flat = actual.reshape(-1)
            for j, d in enumerate(_dummies(i, flat.size)):
                flat[j] = d
                where[d] = (i, j)
                sub[d] = actual_flat[j]
            call[i] = ds if ds.ndim else ds[()]
        with sp.evaluate(True):
            local = _obj(_sympy_form(op)(*call, **node.params))
            partials = [_partials(expr, where) for expr in local.reshape(-1)]
        entries = []
        for parts in partials:
            row = []
            for d, p in parts.items():
                if p != 0:
                    i, j = where[d]
                    row.append((i, j, p.xreplace(sub)))
            entries.append(row)
        return entries


def _is_value(a: Any) -> bool:
    return isinstance(a, (sp.Basic, int, float, np.number, bool, np.bool_))


class _Reverse:
    """Symbolic reverse accumulation over a built graph (local partials computed once)."""

    def __init__(self, graph: _Graph) -> None:
        self.graph = graph
        self.root_shape = _shape_of(graph.root) if graph.root is not None \
            else graph.tensor._data.shape
        self.root_size = int(np.prod(self.root_shape, dtype=np.int64))
        self.locals: dict[int, list[list[tuple]]] = {}
        self.templates: dict = {}  # elementwise local derivatives, shared between nodes

    def sweep(self, k: int) -> dict[int, np.ndarray]:
        """Adjoints of every leaf node for output element ``k`` (flat index)."""
        with sp.evaluate(self.graph.evaluate):
            return self._sweep(k)

    def _sweep(self, k: int) -> dict[int, np.ndarray]:
        g = self.graph
        root = g.root
        if root is None:
            return {}
        adj: dict[int, list] = {id(root): [[] for _ in range(self.root_size)]}
        adj[id(root)][k].append(sp.Integer(1))
        leaves: dict[int, np.ndarray] = {}
        for node in reversed(g.order):
            terms = adj.pop(id(node), None)
            if terms is None:
                continue
            total = np.empty(len(terms), dtype=object)
            total[:] = [sp.Add(*t) if t else sp.Integer(0) for t in terms]
            if isinstance(node, AccumulateGrad):
                leaves[id(node)] = total.reshape(node.variable._data.shape)
                continue
            local = self.locals.get(id(node))
            if local is None:
                local = self.locals[id(node)] = _Local.of(g, node, self.templates)
            for a, row in zip(total, local):
                if a == 0:
                    continue
                for i, j, p in row:
                    child = edge_node(node.next_edges[i])
                    buf = adj.get(id(child))
                    if buf is None:
                        buf = adj[id(child)] = [[] for _ in range(_size_of(child))]
                    buf[j].append(p if a == 1 else a if p == 1 else a * p)
        return leaves


def _shape_of(node: Any) -> tuple:
    if isinstance(node, AccumulateGrad):
        return node.variable._data.shape
    return node.out_data.shape


def _size_of(node: Any) -> int:
    return int(np.prod(_shape_of(node), dtype=np.int64))


def _jacobian(graph: _Graph, wrt: list[Tensor]) -> list[np.ndarray]:
    """Exact Jacobian blocks, shape ``out.shape + w.shape``, as object arrays."""
    if any(n.variable._data.dtype.kind == "c" if isinstance(n, AccumulateGrad) else
           n.out_data.dtype.kind == "c" for n in graph.order):
        return _jacobian_by_diff(graph, wrt)
    rev = _Reverse(graph)
    out_shape = rev.root_shape
    nodes = []
    for w in wrt:
        if not isinstance(w, Tensor):
            raise TypeError(f"gradient: wrt must be dualad Tensors, got {type(w).__name__}")
        if w.grad_fn is not None or not w.requires_grad_flag:
            raise ValueError("gradient: wrt must be leaf tensors that require grad (the "
                             "inputs of the computation), not intermediate results")
        nodes.append(graph.leaf_node(w))
    blocks = [np.empty((rev.root_size, int(w._data.size)), dtype=object) for w in wrt]
    for b in blocks:
        b[...] = sp.Integer(0)
    for k in range(rev.root_size):
        leaves = rev.sweep(k)
        for b, node in zip(blocks, nodes):
            if node is not None and id(node) in leaves:
                b[k, :] = leaves[id(node)].reshape(-1)
    return [b.reshape(out_shape + w._data.shape) for b, w in zip(blocks, wrt)]


def _jacobian_by_diff(graph: _Graph, wrt: list[Tensor]) -> list[np.ndarray]:
    """:func:`_jacobian` of a graph with complex values: the exported expression
    differentiated with respect to the leaves' real symbols (the reverse sweep multiplies
    local derivatives, which is the chain rule of holomorphic functions only)."""
    expr = np.asarray(graph.build(), dtype=object)
    blocks = []
    for w in wrt:
        if not isinstance(w, Tensor):
            raise TypeError(f"gradient: wrt must be dualad Tensors, got {type(w).__name__}")
        if w._data.dtype.kind == "c":
            raise ValueError("gradient: wrt is complex; its symbols are its real and "
                             "imaginary parts (x_re + I*x_im): differentiate to_sympy(...) "
                             "with respect to them (sympy.diff)")
        node = graph.leaf_node(w)
        if w.grad_fn is not None or not w.requires_grad_flag:
            raise ValueError("gradient: wrt must be leaf tensors that require grad (the "
                             "inputs of the computation), not intermediate results")
        syms = graph.symbols[id(node)].reshape(-1) if node is not None else None
        block = np.empty(expr.shape + w._data.shape, dtype=object)
        flat = block.reshape(expr.size, -1)
        for k, e in enumerate(expr.reshape(-1)):
            flat[k, :] = [sp.Integer(0) if syms is None else sp.diff(e, x) for x in
                          (syms if syms is not None else range(w._data.size))]
        blocks.append(block)
    return blocks


def gradient(tensor: Tensor, wrt: Tensor | Iterable[Tensor],
             symbols: Mapping | Iterable | None = None, *, evaluate: bool | None = None,
             max_size: int | None = None) -> Any:
    """The exact derivative of ``to_sympy(tensor)`` with respect to the leaf (or leaves) ``wrt``.

    For a one-element ``tensor`` the result has ``wrt``'s shape (an expression if
    ``wrt`` is 0-d); otherwise it is the Jacobian, shape ``tensor.shape + wrt.shape``.
    A list of leaves gives a list of results.

    >>> import dualad as da
    >>> x = da.tensor([1.0, 2.0], requires_grad=True, name="x")
    >>> gradient((x * x).sum(), x)
    [2*x_0, 2*x_1]
    """
    many = not isinstance(wrt, Tensor)
    ws = [wrt] if isinstance(wrt, Tensor) else list(wrt)
    graph = _Graph(tensor, symbols, max_size, evaluate, for_gradient=True)
    with _depth_guard():
        blocks = _jacobian(graph, ws)
    results = [_result(b) for b in blocks]
    return results if many else results[0]


# -------------------------------------------------------- numeric evaluation

def evaluate(expr: Any, at: Mapping) -> np.ndarray:
    """Evaluate SymPy expressions (or arrays of them) at ``at`` (symbol -> number) as floats.

    Shared subexpressions are evaluated once. Values SymPy cannot reduce to a
    number (e.g. ``DiracDelta(0)``) become nan.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> float(evaluate(sp.sin(x) ** 2 + sp.cos(x) ** 2, {x: 0.3}))
    1.0
    """
    arr = _obj(np.asarray(expr.tolist(), dtype=object)) if isinstance(expr, sp.NDimArray) \
        else _obj(expr)
    subs = {s: sp.Float(float(v)) for s, v in at.items()}
    cache: dict = {}
    out = np.empty(arr.shape, dtype=float)
    flat_in = arr.reshape(-1)
    flat_out = out.reshape(-1)
    for k in range(flat_in.size):
        flat_out[k] = _to_float(_substitute(flat_in[k], subs, cache))
    return out


def _substitute(expr: Any, subs: dict, cache: dict) -> Any:
    """``expr.xreplace(subs)``, memoized over shared subtrees and without recursion."""
    if not isinstance(expr, sp.Basic):
        return expr
    stack = [expr]
    while stack:
        e = stack[-1]
        if e in cache:
            stack.pop()
            continue
        if e in subs:
            cache[e] = subs[e]
            stack.pop()
            continue
        if not e.args:
            cache[e] = e
            stack.pop()
            continue
        pending = [a for a in e.args if a not in cache]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        cache[e] = e.func(*[cache[a] for a in e.args])
    return cache[expr]


def _to_float(v: Any) -> float:
    try:
        c = complex(v)
    except (TypeError, ValueError):
        return math.nan
    return c.real if abs(c.imag) <= 1e-12 * max(1.0, abs(c.real)) else math.nan


# ------------------------------------------------------------------ compare

@dataclass
class Row:
    """One partial derivative computed four ways, and its verdict (see :func:`_verdict`);
    ``error`` is the worst relative error of the columns compared with reverse mode."""

    label: str
    reverse: float
    forward: float | None  # None: not available (the note of the report says why)
    symbolic: float | None
    numeric: float
    error: float
    status: str  # "ok", "kink", "singular" or "MISMATCH"
    note: str = ""  # what was not compared, and why


STATUSES = {
    "ok": "forward mode, the symbolic derivative and finite differences all agree with "
          "reverse mode (equal infinities agree; a column that is undefined here, such as "
          "SymPy's 0 * log(0), is left out and the note says so)",
    "kink": "an op was evaluated at one of its declared kinks and the function is not smooth "
            "along this input there: reverse and forward mode (dualad's convention) agree; "
            "SymPy and finite differences cannot check a convention, so they are not compared",
    "singular": "the function's value is inf or nan here (a pole, a point outside the domain "
                "or an overflow): its derivative is not defined, nothing is compared",
    "MISMATCH": "anything else: a column disagrees with reverse mode",
}
"""The verdicts of :func:`compare`, applied the same way to every row."""


@dataclass
class CompareReport:
    """Reverse mode, forward mode, the symbolic derivative and finite differences, per element.

    Each row has one of the verdicts in :data:`STATUSES`. ``ok`` is true when
    every row is ``"ok"`` or ``"kink"``: no mismatch, and no row left unchecked at
    a singular point. Relative errors are ``|a - b| / max(1, |b|)`` with ``b`` the
    reverse-mode value. Printing the report gives a table and a summary line that
    counts the verdicts.
    """

    rows: list[Row]
    kinks: list[str] = field(default_factory=list)
    symbolic_note: str | None = None
    rtol: float = 1e-8
    fd_rtol: float = 1e-5
    forward_note: str | None = None

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.rows)

    @property
    def ok(self) -> bool:
        return all(r.status in ("ok", "kink") for r in self.rows)

    @property
    def worst(self) -> float:
        """The worst relative error of the compared columns (singular rows compare none)."""
        errs = [r.error for r in self.rows if r.status != "singular"]
        return max(errs, default=0.0)

    @property
    def mismatches(self) -> list[Row]:
        return [r for r in self.rows if r.status == "MISMATCH"]

    @property
    def verdict(self) -> str:
        """The summary: "all agree", or how many rows got each other verdict."""
        if all(r.status == "ok" for r in self.rows):
            return "all agree"
        parts = []
        if self.count("MISMATCH"):
            parts.append(f"{self.count('MISMATCH')} MISMATCH(ES)")
        if self.count("singular"):
            parts.append(f"{self.count('singular')} at a singular point (the value is inf or "
                         "nan there), not checked")
        if self.count("kink"):
            parts.append(f"{self.count('kink')} at a kink, where reverse and forward mode "
                         "agree on dualad's convention")
        if self.count("ok"):
            parts.append(f"{self.count('ok')} agree")
        return "; ".join(parts)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        head: tuple[str, ...] = ("derivative", "reverse", "forward", "symbolic", "finite diff",
                                 "rel. error", "status", "note")
        body: list[tuple[str, ...]] = [
            (r.label, _fmt(r.reverse), _fmt(r.forward), _fmt(r.symbolic), _fmt(r.numeric),
             "-" if math.isnan(r.error) else f"{r.error:.1e}", r.status, r.note)
            for r in self.rows]
        if not any(r.note for r in self.rows):
            head, body = head[:-1], [row[:-1] for row in body]
        widths = [max(len(row[c]) for row in [head, *body]) for c in range(len(head))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
                 for row in [head, *body]]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.append(f"worst relative error {self.worst:.1e} (tolerance {self.rtol:g} exact, "
                     f"{self.fd_rtol:g} finite differences): {self.verdict}")
        for k in self.kinks:
            lines.append(f"kink: {k}")
        if self.symbolic_note:
            lines.append(f"symbolic: {self.symbolic_note}")
        if self.forward_note:
            lines.append(f"forward: {self.forward_note}")
        return "\n".join(lines)


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.10g}"


def _rel(a: float | None, b: float) -> float:
    """The relative error of ``a`` against ``b``: 0 for a column that is not available, for
    equal values (the same infinity) and for two nans; inf if only one is finite."""
    if a is None:
        return 0.0
    if a == b or (math.isnan(a) and math.isnan(b)):
        return 0.0
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(a - b) / max(1.0, abs(b))


_ROUNDING = 2.0 ** -52


def _verdict(value: float, r: float, fw: float | None, s: float | None, n: float,
             rough: bool, kinks: bool, rtol: float, fd_rtol: float,
             eps: float = 1e-6) -> tuple[str, float, str]:
    """(status, error, note) of one row; the one place the verdicts of :data:`STATUSES` are
    decided. ``value``: the function's value; ``rough``: the function is not smooth along
    this input (the one-sided differences disagree, jump or are not finite). Finite
    differences are not compared where they cannot be trusted: the value is not finite at
    ``x +- eps``, or so large that its rounding error over ``eps`` exceeds the tolerance."""
    if not math.isfinite(value):
        return "singular", math.nan, f"the value is {value} here"
    note = ""
    numeric: float | None = n  # None: finite differences are not compared
    if not math.isfinite(n) and n != r:  # f is not finite at x +- eps: nothing to compare
        note, numeric = "finite differences: the value is not finite next to this point", None
    elif abs(value) * _ROUNDING / eps > 0.1 * fd_rtol * max(1.0, abs(r)):
        # f(x +- eps) - f(x) is lost in the rounding of f's value (1e308 - x, say)
        note, numeric = "finite differences: the value is too large for the step", None
    if s is not None and math.isnan(s) and math.isfinite(r) and numeric is not None:
        # SymPy's expression is 0 * log(0), 0/0... at a point where the function is smooth
        # (d/dy 0**y at y = 2): the symbolic column has no value to compare, and forward
        # mode and finite differences still check reverse mode
        note, s = "symbolic: SymPy's form is undefined (nan) here", None
    exact = max(_rel(fw, r), _rel(s, r))
    fd = _rel(numeric, r)
    if exact <= rtol and fd <= fd_rtol:
        return "ok", max(exact, fd), note
    if kinks and rough and _rel(fw, r) <= rtol:
        parts = []
        if _rel(s, r) > rtol:
            parts.append("symbolic: SymPy's form lacks the convention")
        if fd > fd_rtol:
            parts.append("finite differences straddle the kink")
        return "kink", _rel(fw, r), "; ".join(parts)
    return "MISMATCH", max(exact, fd), note


def _leaves(inputs: tuple) -> tuple[list[np.ndarray], list[str]]:
    values, names = [], []
    taken = {getattr(a, "name", None) for a in inputs}
    for k, a in enumerate(inputs):
        data = a._data if isinstance(a, Tensor) else np.asarray(a)
        if data.dtype.kind not in "fiub":
            raise TypeError(f"compare: input {k} is not numeric ({data.dtype})")
        values.append(np.array(data, dtype=np.float64))
        name = a.name if isinstance(a, Tensor) and a.name else None
        if name is None:
            name = f"x{k}"
            while name in taken:
                name = "_" + name
        names.append(name)
    if len(set(names)) != len(names):
        raise ValueError(f"compare: inputs must have distinct names, got {names}")
    return values, names


def _reverse_jacobian(f: Callable, values: list, names: list) -> tuple:
    from . import nondiff
    from .autograd import grad

    leaves = [Tensor(v, requires_grad=True, name=n) for v, n in zip(values, names)]
    with nondiff.track() as hits:
        out = f(*leaves)
    if not isinstance(out, Tensor) or out.dtype.kind != "f":
        raise TypeError("compare: f must return a floating-point dualad Tensor, got "
                        f"{type(out).__name__}")
    jac = [np.zeros(out.shape + v.shape) for v in values]
    if out.requires_grad_flag:
        for k in np.ndindex(*out.shape):
            onehot = np.zeros(out.shape)
            onehot[k] = 1.0
            gs = grad(out, leaves, grad_outputs=Tensor(onehot), retain_graph=True,
                      allow_unused=True)
            for j, g in zip(jac, gs):
                if g is not None:
                    j[k] = g._data
    kinks = [f"{h.op} at {h.where}: {h.count} element(s); dualad's derivative there is "
             f"{h.value}" for h in hits if h.mode == "forward"]
    return out, leaves, jac, kinks


def _forward_jacobian(f: Callable, values: list, out_shape: tuple) -> list[np.ndarray]:
    from . import forward_ad

    jac = [np.zeros(out_shape + v.shape) for v in values]
    for i, v in enumerate(values):
        for e in np.ndindex(*v.shape):
            tangent = np.zeros(v.shape)
            tangent[e] = 1.0
            with forward_ad.dual_level():
                # every input is dual (zero tangents elsewhere), as every leaf requires grad
                # in reverse mode: kink conventions depend on which inputs are differentiated
                args = [forward_ad.make_dual(Tensor(w), Tensor(tangent if j == i else
                                                              np.zeros(w.shape)))
                        for j, w in enumerate(values)]
                _, t = forward_ad.unpack_dual(f(*args))
            if t is not None:
                column = (Ellipsis, *e)  # named: mypy takes a[(..., *e)] for 3.11 syntax
                jac[i][column] = t._data
    return jac


def _symbolic_jacobian(out: Tensor, leaves: list, names: list,
                       max_size: int | None) -> tuple[list | None, str | None]:
    syms = {}
    at: dict[sp.Symbol, float] = {}
    for t, n in zip(leaves, names):
        arr = _symbol_array(t.shape, n, dummy=True)  # names may clash: x_0 and x[0]
        syms[t] = arr if arr.ndim else arr[()]
        at.update(zip(arr.reshape(-1).tolist(), t._data.reshape(-1).tolist()))
    try:
        graph = _Graph(out, list(syms.items()), max_size, for_gradient=True)
        with _depth_guard():
            blocks = _jacobian(graph, leaves)
    except (ValueError, TypeError, NotImplementedError, RecursionError) as exc:
        return None, f"not available: {exc}"
    return [evaluate(b, at) for b in blocks], None


def _differences(f: Callable, values: list, eps: float) -> tuple[list, list]:
    """Central differences of ``f`` along every input coordinate, and where ``f`` is not
    smooth along it: one-sided differences that disagree or are not finite, or a jump (the
    difference quotient over ``4 eps`` is not the one over ``eps``)."""
    from .check import _evaluate, _one_sided

    f0 = _evaluate(f, values)
    central, rough = [], []
    for i, v in enumerate(values):
        c = np.zeros(f0.shape + v.shape)
        bad = np.zeros(f0.shape + v.shape, dtype=bool)
        for e in np.ndindex(*v.shape):
            step = np.zeros(v.shape)
            step[e] = 1.0
            left, right = _one_sided(f, values, i, step, eps, f0)
            wide = sum(_one_sided(f, values, i, step, 4 * eps, f0)) / 2
            mid = (left + right) / 2
            tol = 1e-3 * np.maximum(1.0, np.abs(mid))
            column = (Ellipsis, *e)  # named: mypy takes a[(..., *e)] for 3.11 syntax
            c[column] = mid
            bad[column] = ~(np.isfinite(left) & np.isfinite(right)) | \
                (np.abs(left - right) > tol) | (np.abs(wide - mid) > tol)
        central.append(c)
        rough.append(bad)
    return central, rough


def _realified_inputs(f: Callable, inputs: tuple) -> tuple[Callable, tuple]:
    """A complex input ``z`` (named ``z``, or ``x<k>``) as two real leaves ``z_re`` and
    ``z_im`` (SymPy's symbols are real: ``z = z_re + I*z_im``); a complex output as its
    real parts then its imaginary parts (see ``dualad.check.gradcheck``)."""
    from .check import _is_complex_input, _realified

    if not any(_is_complex_input(a) for a in inputs):
        return f, inputs
    real_f, parts, origin = _realified(f, inputs)
    named = []
    for a, (k, part) in zip(parts, origin):
        if not part:
            named.append(a)
            continue
        source = inputs[k]
        base = source.name if isinstance(source, Tensor) and source.name else f"x{k}"
        data = a._data if isinstance(a, Tensor) else np.asarray(a)
        named.append(Tensor(data, name=f"{base}_{'re' if part == 'real part' else 'im'}"))
    return real_f, tuple(named)


def compare(f: Callable, *inputs: Any, eps: float = 1e-6, rtol: float = 1e-8,
            fd_rtol: float = 1e-5, max_size: int | None = None) -> CompareReport:
    """Run ``f`` on ``inputs`` and compare four derivatives of it, element by element.

    Reverse mode, forward mode (``dualad.forward_ad``), the exact symbolic
    derivative of the exported graph (evaluated at the inputs) and central
    finite differences, all in float64. Forward and symbolic values must match
    reverse mode to ``rtol``, finite differences to ``fd_rtol``. Each row gets one
    of the verdicts of :data:`STATUSES`: where an op was evaluated at one of its
    declared kinks and the function is not smooth along that input, disagreement
    of the symbolic or finite-difference column is a ``"kink"``, not a mismatch;
    where the function's value is inf or nan nothing is compared (``"singular"``).

    A complex input ``z`` is compared as two real leaves, ``z_re`` and ``z_im`` (its
    real and imaginary parts: SymPy's symbols are real); a complex output as its real
    parts, then its imaginary parts.

    >>> import dualad as da
    >>> report = compare(lambda x, y: da.sin(x) * da.exp(y), 1.0, 2.0)
    >>> report.ok, report.worst < 1e-6
    (True, True)
    """
    if not callable(f):
        raise TypeError(f"compare: f must be callable, got {type(f).__name__}")
    if not inputs:
        raise TypeError("compare: give at least one input")
    if not (isinstance(eps, (int, float)) and math.isfinite(eps) and eps > 0):
        raise ValueError(f"compare: eps must be a positive finite step, got {eps!r}")
    f, inputs = _realified_inputs(f, inputs)
    values, names = _leaves(inputs)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # inf and nan are judged below
        out, leaves, rev, kinks = _reverse_jacobian(f, values, names)
        try:
            fwd, fwd_note = _forward_jacobian(f, values, out.shape), None
        except (RuntimeError, NotImplementedError) as exc:  # e.g. a Function without jvp
            fwd, fwd_note = None, f"not available: {exc}"
        sym, sym_note = _symbolic_jacobian(out, leaves, names, max_size)
        num, rough = _differences(f, values, eps)
    rows = []
    scalar = out._data.size == 1 and out.ndim == 0
    value = np.asarray(out._data, dtype=np.float64)
    for i, (v, name) in enumerate(zip(values, names)):
        for k in np.ndindex(*out.shape):
            for e in np.ndindex(*v.shape):
                idx = (*k, *e)
                r, n = float(rev[i][idx]), float(num[i][idx])
                fw = float(fwd[i][idx]) if fwd is not None else None
                s = float(sym[i][idx]) if sym is not None else None
                el = name + (f"[{', '.join(map(str, e))}]" if e else "")
                label = f"d/d{el}" if scalar else f"d out[{', '.join(map(str, k))}]/d{el}"
                status, err, why = _verdict(float(value[k]), r, fw, s, n, bool(rough[i][idx]),
                                            bool(kinks), rtol, fd_rtol, eps)
                rows.append(Row(label, r, fw, s, n, err, status, why))
    return CompareReport(rows, kinks, sym_note, rtol, fd_rtol, fwd_note)

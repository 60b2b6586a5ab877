"""``dualad.scipy``: SciPy's functions on dualad Tensors, differentiable in both modes.

``special`` (gamma, erf, Bessel, logsumexp, ... functions), ``stats`` (distributions'
densities and distribution functions) and ``integrate`` (trapezoid, simpson), with SciPy's
names and signatures. Each function is a registry op or a composite of ops, so it works in
reverse and forward mode, to any order, in every transform. Importing ``dualad.scipy``
needs no SciPy; the functions whose values come from SciPy import it on first use and say
``pip install dualad[scipy]`` when it is missing.

>>> import dualad as da
>>> from dualad.scipy import stats
>>> x = da.tensor(0.5, requires_grad=True)
>>> stats.norm.logpdf(x).backward()
>>> x.grad.item()  # d/dx of -x**2/2 - log(2 pi)/2
-0.5
"""

from . import integrate, interpolate, linalg, signal, special, stats

__all__ = ["special", "stats", "integrate"]
__all__ += ["linalg", "signal", "interpolate"]

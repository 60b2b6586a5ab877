"""Maximum likelihood with dualad.scipy.stats: a Student-t linear regression.

The data are y = 1.5 + 2 x + 0.5 e on [0, 4] with heavy-tailed noise e (Student-t, 2.5
degrees of freedom, generated here with a seed) and a few gross outliers. The model
y ~ t(df, loc=a + b x, scale=s) is fitted by minimizing the negative log-likelihood
-sum(stats.t.logpdf(y, df, loc=a + b x, scale=s)) over (a, b, log s, log df) with Adam.
Its gradients are checked first: against central differences (``da.gradcheck``), and,
on a few points, four ways (reverse, forward, the exact SymPy derivative through gammaln
and log1p, finite differences) with ``dualad.symbolic.compare``. The fit is compared with
ordinary least squares (which the outliers pull away) and with SciPy's own optimizer on
SciPy's own log-density. With matplotlib installed the data and both lines are drawn
(``--out DIR``, default ./figures).

Needs SciPy (the ``scipy`` extra: ``pip install dualad[scipy]``).

Run:  python examples/student_t_regression.py [--steps N] [--out DIR]
"""

from __future__ import annotations

import argparse

import numpy as np

import dualad as da
from dualad import symbolic
from dualad._plot import save_figure
from dualad.scipy import stats

TRUE = {"a": 1.5, "b": 2.0, "scale": 0.5, "df": 2.5}


def make_data(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(0.0, 4.0, size=n)
    y = TRUE["a"] + TRUE["b"] * x + TRUE["scale"] * rng.standard_t(TRUE["df"], size=n)
    y[np.argsort(x)[-6:]] -= 15.0  # gross outliers at large x pull least squares down
    return x, y


def negative_log_likelihood(a: da.Tensor, b: da.Tensor, log_scale: da.Tensor,
                            log_df: da.Tensor, x: np.ndarray, y: np.ndarray) -> da.Tensor:
    """-sum log t(y; df, loc=a + b x, scale) with scale and df kept positive by exp."""
    logpdf = stats.t.logpdf(y, da.exp(log_df), loc=a + b * x, scale=da.exp(log_scale))
    return -logpdf.sum()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--out", default="figures", help="directory for the PNG")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(7)
    x, y = make_data(120, rng)
    b_ols, a_ols = np.polyfit(x, y, 1)
    print(f"least squares:        a = {a_ols:.3f}, b = {b_ols:.3f}")

    # start from least squares, scale 1, df 5
    params = [da.tensor(v, requires_grad=True)
              for v in (a_ols, b_ols, 0.0, float(np.log(5.0)))]

    # 1. the gradient of the likelihood, checked before it is trusted
    report = da.gradcheck(lambda *p: negative_log_likelihood(*p, x, y), tuple(params))
    print(report)
    four_ways = symbolic.compare(lambda *p: negative_log_likelihood(*p, x[:4], y[:4]),
                                 *[p.detach() for p in params])
    print(four_ways)
    assert report.passed and four_ways.ok

    # 2. maximum likelihood with Adam
    optimizer = da.optim.Adam(params, lr=0.05)
    for step in range(args.steps):
        optimizer.zero_grad()
        loss = negative_log_likelihood(*params, x, y)
        loss.backward()
        optimizer.step()
        if step % 150 == 0 or step == args.steps - 1:
            print(f"step {step:4d}  -log L {loss.item():.4f}")
    a, b, log_scale, log_df = (p.item() for p in params)
    print(f"Student-t likelihood: a = {a:.3f}, b = {b:.3f}, scale = {np.exp(log_scale):.3f}, "
          f"df = {np.exp(log_df):.2f}   (true: {TRUE})")

    # 3. independent checks: SciPy's log-density and SciPy's optimizer agree
    from scipy import optimize
    from scipy import stats as scipy_stats

    def scipy_nll(p: np.ndarray) -> float:
        return -float(np.sum(scipy_stats.t.logpdf(y, np.exp(p[3]), loc=p[0] + p[1] * x,
                                                  scale=np.exp(p[2]))))

    ours = np.array([a, b, log_scale, log_df])
    assert abs(scipy_nll(ours) - loss.item()) < 1e-6 * abs(loss.item()) + 1e-2
    reference = optimize.minimize(scipy_nll, np.array([a_ols, b_ols, 0.0, np.log(5.0)]),
                                  method="Nelder-Mead",
                                  options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 20000})
    print(f"SciPy Nelder-Mead:    a = {reference.x[0]:.3f}, b = {reference.x[1]:.3f}, "
          f"-log L {reference.fun:.4f}")
    if args.steps >= 600:  # with the default budget the optimum is reached
        assert abs(scipy_nll(ours) - reference.fun) < 1e-3
        assert abs(b - TRUE["b"]) < 0.15 < abs(b_ols - TRUE["b"]), \
            "the t likelihood should resist the outliers that pull least squares"

    grid = np.linspace(0.0, 4.0, 50)
    save_figure(f"{args.out}/student_t_regression.png", [
        (x, y, "data (with outliers)", "."),
        (grid, a_ols + b_ols * grid, "least squares", "--"),
        (grid, a + b * grid, "Student-t maximum likelihood", "-"),
    ], title="Student-t regression", xlabel="x", ylabel="y")


if __name__ == "__main__":
    main()

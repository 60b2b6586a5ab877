"""One real problem end to end: fit a small MLP to a noisy 1-D regression dataset.

The data are y = x sin(3x) + 0.5 x + noise on [-2, 2] (generated here, with a
seed). A 1 → 32 → 32 → 1 tanh network is trained with Adam on the mean
squared error, full batch; the test error is compared with the best
constant predictor and with the noise level. With matplotlib installed the
loss curve and the fit are written as PNGs (``--out DIR``, default ./figures).

Run:  python examples/fit_mlp_regression.py [--steps N] [--out DIR]
"""

from __future__ import annotations

import argparse

import numpy as np

import dualad as da
from dualad import nn
from dualad._plot import save_figure

NOISE = 0.1


def make_data(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-2.0, 2.0, size=(n, 1))
    y = x * np.sin(3 * x) + 0.5 * x + NOISE * rng.standard_normal((n, 1))
    return x, y


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--out", default="figures", help="directory for the PNGs")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    da.manual_seed(0)
    x_train, y_train = make_data(200, rng)
    x_test, y_test = make_data(500, rng)
    xt, yt = da.tensor(x_train), da.tensor(y_train)

    model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                          nn.Linear(32, 1))
    print(model)
    loss_fn = nn.MSELoss()
    optimizer = da.optim.Adam(model.parameters(), lr=0.01)

    losses = []
    for step in range(args.steps):
        optimizer.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step % 100 == 0 or step == args.steps - 1:
            print(f"step {step:4d}  train MSE {loss.item():.5f}")

    model.eval()
    with da.no_grad():
        pred = model(da.tensor(x_test)).numpy()
    test_mse = float(((pred - y_test) ** 2).mean())
    baseline = float(((y_test - y_train.mean()) ** 2).mean())
    print(f"\ntest MSE {test_mse:.5f}   (constant predictor {baseline:.4f}, "
          f"noise floor {NOISE**2:.4f})")

    steps = np.arange(len(losses))
    save_figure(f"{args.out}/mlp_loss_curve.png", [(steps, losses, "train MSE")],
                title="training loss", xlabel="step", ylabel="MSE", logy=True)
    order = np.argsort(x_test[:, 0])
    save_figure(f"{args.out}/mlp_fit.png", [
        (x_train[:, 0], y_train[:, 0], "training data", "."),
        (x_test[order, 0], pred[order, 0], "MLP prediction", "-"),
    ], title="1-D regression", xlabel="x", ylabel="y")
    if args.steps >= 600:  # with the default training budget the fit must be good
        assert test_mse < 0.1 * baseline, "the network should explain most of the variance"


if __name__ == "__main__":
    main()

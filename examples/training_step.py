"""The tutorial's TinyModel (1000 → 100 → ReLU → 10) through one training batch.

Shows that ``backward`` fills ``.grad`` but leaves the weights alone, that
``optimizer.step()`` moves them by −lr·grad, that gradients accumulate over
five more passes unless cleared, and that ``zero_grad`` clears them.

Run:  python examples/training_step.py
"""

from __future__ import annotations

import numpy as np

import dualad as da

BATCH_SIZE = 16
DIM_IN = 1000
HIDDEN_SIZE = 100
DIM_OUT = 10


class TinyModel(da.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layer1 = da.nn.Linear(DIM_IN, HIDDEN_SIZE)
        self.relu = da.nn.ReLU()
        self.layer2 = da.nn.Linear(HIDDEN_SIZE, DIM_OUT)

    def forward(self, x: da.Tensor) -> da.Tensor:
        x = self.layer1(x)
        x = self.relu(x)
        x = self.layer2(x)
        return x


def main() -> None:
    da.manual_seed(0)
    some_input = da.randn(BATCH_SIZE, DIM_IN, requires_grad=False)
    ideal_output = da.randn(BATCH_SIZE, DIM_OUT, requires_grad=False)
    model = TinyModel()
    print(model)

    print(model.layer2.weight[0][0:10])  # just a small slice
    print(model.layer2.weight.grad)  # None: no backward pass yet

    optimizer = da.optim.SGD(model.parameters(), lr=0.001)
    prediction = model(some_input)
    loss = (ideal_output - prediction).pow(2).sum()
    print(loss)

    loss.backward()
    w_before = model.layer2.weight.detach().numpy().copy()
    print(model.layer2.weight[0][0:10])  # unchanged
    print(model.layer2.weight.grad[0][0:10])  # now filled in

    optimizer.step()
    print(model.layer2.weight[0][0:10])  # moved by -lr * grad
    g = model.layer2.weight.grad.numpy()
    assert np.allclose(model.layer2.weight.detach().numpy(), w_before - 0.001 * g)

    print("\ngradients accumulate unless they are cleared:")
    one_pass = model.layer2.weight.grad.numpy().copy()
    print(model.layer2.weight.grad[0][0:10])
    for _ in range(5):
        prediction = model(some_input)
        loss = (ideal_output - prediction).pow(2).sum()
        loss.backward()
    print(model.layer2.weight.grad[0][0:10])  # the old gradient plus five new ones
    assert np.abs(model.layer2.weight.grad.numpy()).sum() > np.abs(one_pass).sum()

    optimizer.zero_grad(set_to_none=False)
    print(model.layer2.weight.grad[0][0:10])  # zeros
    assert not model.layer2.weight.grad.numpy().any()

    print("\ntraining for 20 steps (zero_grad, forward, backward, step):")
    losses = []
    for step in range(20):
        optimizer.zero_grad()
        loss = (ideal_output - model(some_input)).pow(2).sum()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step % 5 == 0 or step == 19:
            print(f"  step {step:2d}  loss {loss.item():10.4f}")
    assert losses[-1] < losses[0]


if __name__ == "__main__":
    main()

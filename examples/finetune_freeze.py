"""Freezing layers for fine-tuning: only the new classifier learns.

The tutorial freezes a pretrained ResNet and swaps in a new final layer;
here a small "pretrained" network stands in for it. Frozen parameters get
no ``.grad`` and the optimizer leaves them untouched, even though they are
all registered with it.

Run:  python examples/finetune_freeze.py
"""

from __future__ import annotations

import numpy as np

import dualad as da
from dualad import nn


class Backbone(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU())
        self.fc = nn.Linear(16, 1000)

    def forward(self, x: da.Tensor) -> da.Tensor:
        return self.fc(self.features(x))


def main() -> None:
    da.manual_seed(0)
    model = Backbone()  # pretend these weights were trained on a large dataset

    # freeze all the parameters in the network
    for param in model.parameters():
        param.requires_grad = False
    # a new classifier for a 10-class problem (unfrozen by default)
    model.fc = nn.Linear(16, 10)
    print(model)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    print("trainable:", trainable)

    # register every parameter: only the ones with gradients move
    optimizer = da.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    frozen_before = {n: p.detach().numpy().copy() for n, p in model.named_parameters()
                     if not p.requires_grad}
    x = da.randn(64, 20)
    teacher = np.random.default_rng(1).normal(size=(20, 10))
    labels = da.tensor((x.numpy() @ teacher).argmax(axis=1))  # a learnable 10-class task
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for step in range(50):
        optimizer.zero_grad()
        loss = loss_fn(model(x), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step % 10 == 0 or step == 49:
            print(f"step {step}: loss {loss.item():.4f}")
    assert losses[-1] < losses[0], "the new classifier should learn"
    for name, p in model.named_parameters():
        if not p.requires_grad:
            assert p.grad is None and np.array_equal(p.detach().numpy(), frozen_before[name])
    print("frozen parameters unchanged, no .grad:", sorted(frozen_before))

    # the same effect for a whole module at once
    model.features.requires_grad_(False)
    print("features trainable?", any(p.requires_grad for p in model.features.parameters()))


if __name__ == "__main__":
    main()

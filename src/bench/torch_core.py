"""The core of Table 1 in PyTorch on CPU, timed the way `repro bench` times ours.

Prints one JSON line: training and inference images per second at the given
batch size and thread count. Used only as a peer measurement by `repro bench`.
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Core(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Conv2d(1, 32, 5, padding=2)
        self.layer2 = nn.Conv2d(32, 64, 5, padding=2)
        self.layer3 = nn.Linear(7 * 7 * 64, 1024)
        self.layer4 = nn.Linear(1024, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.layer1(x)), 2)
        x = F.max_pool2d(F.relu(self.layer2(x)), 2)
        return self.layer4(F.relu(self.layer3(x.flatten(1))))


def timed(fn, seconds):
    for _ in range(3):
        fn()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - start)


def main():
    batch, threads, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = Core()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x = torch.rand(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))

    def train_step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    def infer_step():
        with torch.no_grad():
            model(x)

    print(json.dumps({
        "torchVersion": torch.__version__,
        "torchThreads": torch.get_num_threads(),
        "torchTrainImagesPerSec": batch * timed(train_step, seconds),
        "torchInferImagesPerSec": batch * timed(infer_step, seconds),
        "torchGemmGmacPerSec": gemm_gmac_per_sec(seconds),
    }))


def gemm_gmac_per_sec(seconds, size=1024):
    """1e9 multiply-accumulates per second of a size^3 float32 matMul (the bench's ceiling peer)."""
    a = torch.rand(size, size) * 2 - 1
    b = torch.rand(size, size) * 2 - 1
    return timed(lambda: torch.mm(a, b), seconds) * size**3 / 1e9


if __name__ == "__main__":
    main()

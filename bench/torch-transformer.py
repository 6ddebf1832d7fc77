"""The char transformer on PyTorch (CPU), a reference row for bench/transformer.bench.ts.

    python3 bench/torch-transformer.py '{"vocab": 96, "context": 128, "dim": 128, "layers": 4,
        "heads": 4, "hidden": 512, "batch": 32, "threads": 2, "rounds": 5, "iterations": 3}'

The same architecture as bench/char-transformer-model.ts (token + position embeddings, pre-LayerNorm
blocks of causal multi-head attention with a fused q/k/v projection and an additive -1e9 mask,
exact-erf GELU MLP, final LayerNorm, linear head), loss (mean cross-entropy over B*T positions) and
optimizer (AdamW, lr 1e-3, weight decay 0.01), in eager mode with torch's own autograd. Prints one
JSON line: the best round's mean step and forward (loss without backward, under no_grad) times in ms.
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    def __init__(self, dim, heads, hidden, context):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        self.register_buffer("mask", torch.triu(torch.full((context, context), -1e9), diagonal=1))

    def forward(self, x):
        b, t, d = x.shape
        dh = d // self.heads
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.heads, dh).permute(2, 0, 3, 1, 4)
        p = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + self.mask[:t, :t], dim=-1)
        x = x + self.out((p @ v).transpose(1, 2).reshape(b, t, d))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class CharTransformer(nn.Module):
    def __init__(self, vocab, context, dim, layers, heads, hidden):
        super().__init__()
        self.token = nn.Embedding(vocab, dim)
        self.position = nn.Parameter(torch.randn(context, dim) * 0.02)
        nn.init.normal_(self.token.weight, std=0.02)
        self.blocks = nn.ModuleList(Block(dim, heads, hidden, context) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab)

    def forward(self, ids):
        h = self.token(ids) + self.position[: ids.shape[1]]
        for block in self.blocks:
            h = block(h)
        return self.head(self.norm(h))


def best_round(fn, rounds, iterations):
    best = math.inf
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(iterations):
            fn()
        best = min(best, (time.perf_counter() - t0) / iterations * 1000)
    return best


def main():
    c = json.loads(sys.argv[1])
    torch.set_num_threads(c["threads"])
    torch.manual_seed(0)
    model = CharTransformer(c["vocab"], c["context"], c["dim"], c["layers"], c["heads"], c["hidden"])
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3)
    ids = torch.randint(0, c["vocab"], (c["batch"], c["context"]))
    targets = torch.randint(0, c["vocab"], (c["batch"], c["context"]))

    def loss():
        return F.cross_entropy(model(ids).view(-1, c["vocab"]), targets.view(-1))

    def step():
        opt.zero_grad(set_to_none=True)
        loss().backward()
        opt.step()

    def forward():
        with torch.no_grad():
            loss().item()

    for _ in range(2):
        step()
        forward()
    step_ms = best_round(step, c["rounds"], c["iterations"])
    forward_ms = best_round(forward, c["rounds"], c["iterations"])
    blas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")  # Debian's BLAS alternative, which torch's GEMMs use
    print(json.dumps({"stepMs": step_ms, "forwardMs": forward_ms, "torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas}))


if __name__ == "__main__":
    main()

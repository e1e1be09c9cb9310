"""Proxy models: train a small model on a mixture, report its loss on each target (bits per byte).

A proxy is anything with ``train_eval(train: list[np.ndarray], evals: dict[str, np.ndarray], seed) ->
dict[str, float]``: ``train`` holds the mixture's training bytes (one uint8 array per source, already cut to
the mixture's token shares), ``evals`` each target's dev bytes; it returns each target's loss in bits per
byte. Register a new one in ``PROXIES`` with its parameter defaults.

- ``ngram_kn_v1`` (default): an interpolated Kneser-Ney byte n-gram model (Chen & Goodman 1998; one discount
  per order, D = n1 / (n1 + 2 n2)), counted with numpy: cheap enough to train dozens of proxies on one core
  (docs/measurements.md has the cost); its target loss falls as in-domain data grows,
  which is the ranking signal the regression needs (RegMix's point: the ranking of mixtures transfers from
  small proxies to large models better than their absolute losses do).
- ``transformer_v1``: a small byte-level transformer in PyTorch (GPU when present), for users with compute.
  An optional extra (``pip install -e .[torch]``); imported only when chosen. On 2 CPU cores it learns too
  slowly to beat byte statistics within minutes, hence not the default.
"""

from __future__ import annotations

import numpy as np

from pipeline.errors import ConfigError, WinnowError

_NGRAM_DEFAULTS = {"order": 4}
_TRANSFORMER_DEFAULTS = {"d_model": 128, "n_layers": 2, "n_heads": 4, "context": 128, "batch_size": 32,
                         "steps": 0, "lr": 3e-3, "device": "auto"}  # steps 0: one pass over the budget


def proxy_params(kind: str, params: dict) -> dict:
    defaults = _NGRAM_DEFAULTS if kind == "ngram_kn_v1" else _TRANSFORMER_DEFAULTS
    for k in params:
        if k not in defaults:
            raise ConfigError(f"proxy: unknown parameter {k!r} for {kind}; valid parameters: budget_tokens, "
                              f"{', '.join(defaults)}")
    out = {**defaults, **params}
    if kind == "ngram_kn_v1" and (not isinstance(out["order"], int) or not 1 <= out["order"] <= 7):
        raise ConfigError(f"proxy.order: expected an integer from 1 to 7, got {out['order']!r}")
    return out


def make_proxy(kind: str, params: dict):
    if kind == "ngram_kn_v1":
        return NgramKN(**proxy_params(kind, params))
    if kind == "transformer_v1":
        return TinyTransformer(**proxy_params(kind, params))
    raise ConfigError(f"proxy.kind: unknown proxy {kind!r}; valid proxies: ngram_kn_v1, transformer_v1")


def _codes(x: np.ndarray, k: int) -> np.ndarray:
    """Integer code of every k-byte window of ``x`` (big-endian), as int64."""
    n = len(x) - k + 1
    if n <= 0:
        return np.zeros(0, np.int64)
    c = x[:n].astype(np.int64)
    for j in range(1, k):
        c = (c << 8) | x[j:n + j]
    return c


class _Level:
    """Counts of one order: the grams (sorted codes) with their (continuation) counts, per-context totals."""

    def __init__(self, keys: np.ndarray, counts: np.ndarray):
        self.keys, self.counts = keys, counts
        n1, n2 = int((counts == 1).sum()), int((counts == 2).sum())
        self.discount = min(max(n1 / (n1 + 2 * n2), 0.05), 0.95) if n1 + n2 else 0.5
        ctx = keys >> 8
        self.ctx_keys, start = np.unique(ctx, return_index=True)
        self.ctx_totals = np.add.reduceat(counts, start) if len(keys) else np.zeros(0, np.int64)
        self.ctx_types = np.diff(np.append(start, len(keys)))


def _lookup(keys: np.ndarray, values: np.ndarray, q: np.ndarray) -> np.ndarray:
    if len(keys) == 0:
        return np.zeros(len(q), np.float64)
    idx = np.searchsorted(keys, q)
    idx_c = np.minimum(idx, len(keys) - 1)
    return np.where(keys[idx_c] == q, values[idx_c], 0).astype(np.float64)


class NgramKN:
    """Interpolated Kneser-Ney over bytes (the default proxy). Loss: bits per byte of each target."""

    name = "ngram_kn_v1"

    def __init__(self, order: int = 4):
        self.order = order
        self.levels: list[_Level] = []

    def fit(self, x: np.ndarray) -> "NgramKN":
        x = np.ascontiguousarray(x, dtype=np.uint8)
        top_keys, top_counts = np.unique(_codes(x, self.order), return_counts=True)
        levels = [_Level(top_keys, top_counts)]
        higher = top_keys
        for k in range(self.order - 1, 0, -1):
            # lower orders count distinct left extensions N1+(. g), not occurrences (the Kneser-Ney idea)
            keys, counts = np.unique(higher & ((1 << (8 * k)) - 1), return_counts=True)
            levels.append(_Level(keys, counts))
            higher = np.unique(_codes(x, k))  # every k-gram seen, for the next lower order's extensions
        self.levels = levels[::-1]  # order 1 .. order N
        return self

    def bits_per_byte(self, y: np.ndarray) -> float:
        y = np.ascontiguousarray(y, dtype=np.uint8)
        n = self.order
        if len(y) < n:
            raise WinnowError("proxy: target text shorter than the n-gram order")
        p = np.full(len(y) - n + 1, 1 / 256)
        for k, lev in enumerate(self.levels, start=1):
            g = _codes(y, k)[n - k:]  # the k-gram ending at each scored position
            c = _lookup(lev.keys, lev.counts, g)
            ctx = g >> 8
            tot = _lookup(lev.ctx_keys, lev.ctx_totals, ctx)
            types = _lookup(lev.ctx_keys, lev.ctx_types, ctx)
            safe = np.maximum(tot, 1)
            mixed = np.maximum(c - lev.discount, 0) / safe + lev.discount * types / safe * p
            p = np.where(tot > 0, mixed, p)
        return float(-np.log2(p).mean())

    def train_eval(self, train: list[np.ndarray], evals: dict[str, np.ndarray], seed: int = 0) -> dict[str, float]:
        self.fit(np.concatenate([np.asarray(t, np.uint8) for t in train]) if train else np.zeros(0, np.uint8))
        return {name: self.bits_per_byte(y) for name, y in evals.items()}


class TinyTransformer:
    """A small byte-level causal transformer (PyTorch; GPU when present): the proxy for users with compute.

    Trains one pass over the mixture's bytes (or ``steps`` steps) with AdamW, then reports bits per byte of
    each target on non-overlapping windows of ``context`` bytes. Needs the ``torch`` extra.
    """

    name = "transformer_v1"

    def __init__(self, d_model=128, n_layers=2, n_heads=4, context=128, batch_size=32, steps=0, lr=3e-3,
                 device="auto"):
        self.d_model, self.n_layers, self.n_heads, self.context = d_model, n_layers, n_heads, context
        self.batch_size, self.steps, self.lr, self.device = batch_size, steps, lr, device

    @staticmethod
    def _torch():
        try:
            import torch
        except ImportError:
            raise WinnowError("proxy transformer_v1 needs PyTorch, an optional extra: pip install -e .[torch] "
                              "(or choose proxy.kind: ngram_kn_v1, the CPU default)") from None
        return torch

    def train_eval(self, train: list[np.ndarray], evals: dict[str, np.ndarray], seed: int = 0) -> dict[str, float]:
        torch = self._torch()
        nn = torch.nn
        dev = ("cuda" if torch.cuda.is_available() else "cpu") if self.device == "auto" else self.device
        torch.manual_seed(seed)
        ctx = self.context

        class Model(nn.Module):
            def __init__(s):
                super().__init__()
                s.emb = nn.Embedding(256, self.d_model)
                s.pos = nn.Embedding(ctx, self.d_model)
                layer = nn.TransformerEncoderLayer(self.d_model, self.n_heads, 4 * self.d_model, dropout=0.0,
                                                   batch_first=True, norm_first=True)
                s.body = nn.TransformerEncoder(layer, self.n_layers)
                s.head = nn.Linear(self.d_model, 256)

            def forward(s, idx):
                t = idx.shape[1]
                mask = torch.triu(torch.full((t, t), float("-inf"), device=idx.device), diagonal=1)
                h = s.emb(idx) + s.pos(torch.arange(t, device=idx.device))
                return s.head(s.body(h, mask=mask))

        data = torch.from_numpy(np.concatenate(train).astype(np.int64))
        if len(data) <= ctx + 1:
            raise WinnowError("proxy transformer_v1: training budget smaller than one context window")
        model = Model().to(dev)
        opt = torch.optim.AdamW(model.parameters(), lr=self.lr, weight_decay=0.01)
        steps = self.steps or max(len(data) // (ctx * self.batch_size), 1)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=self.lr, total_steps=steps, pct_start=0.1)
        gen = torch.Generator().manual_seed(seed)
        model.train()
        for _ in range(steps):
            starts = torch.randint(0, len(data) - ctx - 1, (self.batch_size,), generator=gen)
            batch = torch.stack([data[s:s + ctx + 1] for s in starts]).to(dev)
            logits = model(batch[:, :-1])
            loss = nn.functional.cross_entropy(logits.reshape(-1, 256), batch[:, 1:].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        out = {}
        with torch.no_grad():
            for name, y in evals.items():
                t = torch.from_numpy(np.asarray(y, np.int64))
                n = (len(t) - 1) // ctx
                if n < 1:
                    raise WinnowError(f"proxy transformer_v1: target {name} shorter than one context window")
                xs = t[: n * ctx].view(n, ctx)
                ys = t[1: n * ctx + 1].view(n, ctx)
                total = 0.0
                for i in range(0, n, 64):
                    logits = model(xs[i:i + 64].to(dev))
                    total += nn.functional.cross_entropy(logits.reshape(-1, 256), ys[i:i + 64].reshape(-1).to(dev),
                                                         reduction="sum").item()
                out[name] = total / (n * ctx) / np.log(2)
        return out

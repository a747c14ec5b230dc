"""Embedding heads on a backbone feature map (torch, training extra): linear, pooling, attention.

All heads map ``(B, C, h, w)`` features to a ``(B, dim)`` embedding through a final
BatchNorm (the "BNNeck": the identity classifier reads the BN output, the metric losses and
the runtime use its L2-normalised form). An optional ``adapter`` of residual 3x3 conv blocks
lets the head re-shape frozen detector features before pooling; it is the same for every
head type so the comparison stays about how positions are aggregated.

- linear: flatten + one fully connected layer (keeps spatial layout, many weights);
- pooling: global average pooling + linear (position-free, tiny);
- attention: ``heads`` learned score maps (1x1 conv + a learned bias per position), softmax
  over positions, ``heads`` attention-weighted sums of a 1x1-projected value map,
  concatenated and projected — it learns *where* the person's informative parts are.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812


class Adapter(nn.Module):
    """``blocks`` residual (3x3 conv, BN, SiLU) blocks, channel count unchanged."""

    def __init__(self, channels: int, blocks: int) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(channels, channels, 3, padding=1, bias=False),
                nn.BatchNorm2d(channels),
                nn.SiLU(),
            )
            for _ in range(blocks)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = x + block(x)
        return x


class EmbeddingHead(nn.Module):
    """Common part: adapter → aggregate (subclass) → linear → BN."""

    def __init__(self, channels: int, hw: tuple[int, int], dim: int, adapter: int) -> None:
        super().__init__()
        self.channels, self.hw, self.dim = channels, hw, dim
        self.adapter = Adapter(channels, adapter)
        self.bn = nn.BatchNorm1d(dim)
        self.bn.bias.requires_grad_(False)

    def aggregate(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, h, w)`` features → ``(B, dim)`` BN output (not normalised)."""
        return self.bn(self.aggregate(self.adapter(x)))


class LinearHead(EmbeddingHead):
    """Flatten + fully connected."""

    def __init__(self, channels: int, hw: tuple[int, int], dim: int = 256, adapter: int = 0) -> None:
        super().__init__(channels, hw, dim, adapter)
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(channels * hw[0] * hw[1], dim, bias=False)

    def aggregate(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.drop(torch.flatten(x, 1)))


class PoolingHead(EmbeddingHead):
    """Global average pooling + linear."""

    def __init__(self, channels: int, hw: tuple[int, int], dim: int = 256, adapter: int = 0) -> None:
        super().__init__(channels, hw, dim, adapter)
        self.fc = nn.Linear(channels, dim, bias=False)

    def aggregate(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.mean(dim=(2, 3)))


class AttentionHead(EmbeddingHead):
    """Multi-head attention pooling over all positions with a learned position bias."""

    def __init__(self, channels: int, hw: tuple[int, int], dim: int = 256, adapter: int = 0, heads: int = 4) -> None:
        super().__init__(channels, hw, dim, adapter)
        self.heads = heads
        self.score = nn.Conv2d(channels, heads, 1)
        self.pos = nn.Parameter(torch.zeros(1, heads, hw[0] * hw[1]))
        self.value = nn.Conv2d(channels, channels, 1, bias=False)
        self.fc = nn.Linear(heads * channels, dim, bias=False)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, heads, h*w)`` softmax weights over positions."""
        return F.softmax(self.score(x).flatten(2) + self.pos, dim=-1)

    def aggregate(self, x: torch.Tensor) -> torch.Tensor:
        weights = self.attention(x)  # B, K, P
        # `value` is a bias-free 1x1 conv, i.e. linear: projecting the K pooled vectors gives
        # the same sums as projecting all P positions first, with P/K (here 32x) fewer
        # operations — it was the costliest op of the exported head (joint mode, 10 boxes).
        pooled = torch.einsum("bkp,bcp->bkc", weights, x.flatten(2))  # B, K, C
        values = F.linear(pooled, self.value.weight.flatten(1))
        return self.fc(values.flatten(1))


HEADS: dict[str, type[EmbeddingHead]] = {
    "linear": LinearHead,
    "pooling": PoolingHead,
    "attention": AttentionHead,
}


def build_head(kind: str, channels: int, hw: tuple[int, int], dim: int = 256, adapter: int = 0) -> EmbeddingHead:
    """A head by name (``linear``, ``pooling``, ``attention``)."""
    try:
        cls = HEADS[kind]
    except KeyError:
        raise ValueError(f"unknown head {kind!r} (known: {', '.join(HEADS)})") from None
    return cls(channels, hw, dim, adapter)


class Normalized(nn.Module):
    """A head whose output is L2-normalised (what gets exported)."""

    def __init__(self, head: nn.Module) -> None:
        super().__init__()
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.head(x), dim=1)


def param_count(module: nn.Module) -> int:
    """Number of parameters."""
    return sum(p.numel() for p in module.parameters())


class AttentionPool(nn.Module):
    """One level of `MultiLevelHead`: ``heads`` attention maps over the grid, pooled then projected."""

    def __init__(self, channels: int, hw: tuple[int, int], heads: int = 4) -> None:
        super().__init__()
        self.channels, self.hw, self.heads = channels, hw, heads
        self.score = nn.Conv2d(channels, heads, 1)
        self.pos = nn.Parameter(torch.zeros(1, heads, hw[0] * hw[1]))
        self.value = nn.Conv2d(channels, channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, h, w)`` → ``(B, heads * C)``."""
        weights = F.softmax(self.score(x).flatten(2) + self.pos, dim=-1)  # B, K, P
        pooled = torch.einsum("bkp,bcp->bkc", weights, x.flatten(2))  # B, K, C
        return F.linear(pooled, self.value.weight.flatten(1)).flatten(1)


class Trunk(nn.Module):
    """A small trainable re-id-only conv stage on RoIAligned features: halves the grid, widens to ``out``.

    Depthwise-separable (3x3 depthwise stride 2 + 1x1, then one residual depthwise-separable
    block), so 10 boxes cost a few tens of MMACs: the detector's own later layers, re-learned
    for appearance instead of objectness, at a fraction of their cost.
    """

    def __init__(self, channels: int, out: int) -> None:
        super().__init__()
        self.down = nn.Sequential(
            nn.Conv2d(channels, channels, 3, stride=2, padding=1, groups=channels, bias=False),
            nn.BatchNorm2d(channels),
            nn.Conv2d(channels, out, 1, bias=False),
            nn.BatchNorm2d(out),
            nn.SiLU(),
        )
        self.block = nn.Sequential(
            nn.Conv2d(out, out, 3, padding=1, groups=out, bias=False),
            nn.BatchNorm2d(out),
            nn.Conv2d(out, out, 1, bias=False),
            nn.BatchNorm2d(out),
            nn.SiLU(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.down(x)
        return x + self.block(x)


class MultiLevelHead(nn.Module):
    """Attention pooling on each RoIAligned detector level, concatenated → linear → BN (joint mode).

    With one level it is `AttentionHead` without adapter. Several levels let the head take
    detail from an early, fine map (small people) and context from a later one.
    """

    def __init__(
        self,
        levels: list[tuple[int, tuple[int, int]]],
        dim: int = 256,
        heads: int = 4,
        adapter: int = 0,
        trunk: int = 0,
    ) -> None:
        super().__init__()
        self.levels = [(int(c), (int(hw[0]), int(hw[1]))) for c, hw in levels]
        self.dim = dim
        # trainable residual 3x3 conv blocks per level, before pooling (0: none): a re-id-only
        # refinement of the frozen detector features
        self.adapters = nn.ModuleList(Trunk(c, trunk) if trunk else Adapter(c, adapter) for c, _ in self.levels)
        pooled = [(trunk, ((h + 1) // 2, (w + 1) // 2)) if trunk else (c, (h, w)) for c, (h, w) in self.levels]
        self.pools = nn.ModuleList(AttentionPool(c, hw, heads) for c, hw in pooled)
        self.fc = nn.Linear(sum(heads * c for c, _ in pooled), dim, bias=False)
        self.bn = nn.BatchNorm1d(dim)
        self.bn.bias.requires_grad_(False)

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        """One ``(B, C_i, h_i, w_i)`` tensor per level (or one sequence of them) → ``(B, dim)`` BN output."""
        if len(xs) == 1 and isinstance(xs[0], list | tuple):
            xs = tuple(xs[0])
        pooled = [pool(adapt(x)) for adapt, pool, x in zip(self.adapters, self.pools, xs, strict=True)]
        return self.bn(self.fc(torch.cat(pooled, dim=1)))


class NormalizedMulti(nn.Module):
    """A several-input head whose output is L2-normalised (what gets exported)."""

    def __init__(self, head: nn.Module) -> None:
        super().__init__()
        self.head = head

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.head(*xs), dim=1)

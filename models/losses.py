"""Training losses: identity cross-entropy, batch-hard triplet, distillation from a teacher.

- ID cross-entropy (label-smoothed) on the BNNeck output of labelled crops;
- batch-hard triplet (Hermans et al. 2017) on L2-normalised embeddings of a P x K batch;
- distillation on every crop, labelled or not: ``1 - cos(student, teacher)`` pulls each
  embedding to the teacher's, and a relational term matches the batch's pairwise cosine
  matrix to the teacher's, which spreads the student's embeddings out of the narrow cone an
  absolute-only loss left them in (DESIGN §3).
"""

from __future__ import annotations

import torch
from torch.nn import functional as F  # noqa: N812


def batch_hard_triplet(emb: torch.Tensor, labels: torch.Tensor, margin: float = 0.3) -> torch.Tensor:
    """Mean over anchors of ``relu(max d(a, p) - min d(a, n) + margin)`` on normalised ``emb``."""
    emb = F.normalize(emb, dim=1)
    dist = (2 - 2 * emb @ emb.T).clamp_min(1e-12).sqrt()
    same = labels[:, None] == labels[None, :]
    hardest_pos = (dist * same).max(dim=1).values
    hardest_neg = (dist + same * 1e4).min(dim=1).values
    valid = same.sum(1) > 1
    if not valid.any():
        return emb.sum() * 0
    return F.relu(hardest_pos - hardest_neg + margin)[valid].mean()


def distillation(student: torch.Tensor, teacher: torch.Tensor, relational: float = 1.0) -> torch.Tensor:
    """``mean(1 - cos(s, t)) + relational * mse(S S^T, T T^T)`` over a batch."""
    s = F.normalize(student, dim=1)
    t = F.normalize(teacher, dim=1)
    loss = (1 - (s * t).sum(1)).mean()
    if relational:
        loss = loss + relational * F.mse_loss(s @ s.T, t @ t.T)
    return loss

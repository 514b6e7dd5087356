"""The quality figures a checkpoint manifest records: bits/dim from the bound, a 2-D sample distance, and
how a digits classifier sees generated digits."""
from __future__ import annotations

import torch

from .data import load_digits_split
from .losses import vlb_terms
from .schedules import Schedule


def bits_per_dim(model, x0: torch.Tensor, schedule: Schedule, decoder: str, seed: int = 0,
                 max_rows: int = 65536, clip_x0: float | None = None, prediction: str = "eps") -> float:
    """The mean negative bound L = L_T + Σ L_{t-1} + L_0 (eq. 5) over the examples x0, in bits per dimension.

    Images pass clip_x0=1.0, as Ho et al.'s bits/dim evaluation clips x̂0 to the data's range.
    """
    terms = vlb_terms(model, x0, schedule, decoder=decoder, seed=seed, max_rows=max_rows, clip_x0=clip_x0,
                      prediction=prediction)
    return float(terms.bits_per_dim(terms.total).mean())


def sliced_wasserstein(x: torch.Tensor, y: torch.Tensor, projections: int = 256, seed: int = 0) -> float:
    """Sliced 1-Wasserstein distance between the point clouds x (N, D) and y (N, D), equal N.

    The mean over `projections` random unit directions θ of W_1 between the 1-D projections x·θ and y·θ, which
    for equal sizes is the mean |difference| of the sorted projections.
    """
    if x.dim() != 2 or x.shape != y.shape:
        raise ValueError(f"x and y must be (N, D) of equal shape; got {tuple(x.shape)} and {tuple(y.shape)}")
    generator = torch.Generator().manual_seed(seed)
    theta = torch.randn(x.shape[1], projections, generator=generator, dtype=torch.float64)
    theta = theta / theta.norm(dim=0, keepdim=True)  # (D, P)
    px = (x.double().cpu() @ theta).sort(dim=0).values  # (N, P)
    py = (y.double().cpu() @ theta).sort(dim=0).values
    return float((px - py).abs().mean())


def support_precision(samples: torch.Tensor, data: torch.Tensor, k: int = 3) -> float:
    """The fraction of samples (N, D) inside the support of `data` (M, D) as estimated from the data alone: the
    union of the balls around each data point whose radius is its distance to its k-th nearest other data point
    (the precision of Kynkäänniemi et al. 2019, "Improved precision and recall metric for assessing generative
    models", §2, with k = 3 as there). Samples that are NaN or infinite count as outside.
    """
    if samples.dim() != 2 or data.dim() != 2 or samples.shape[1] != data.shape[1] or not 1 <= k < len(data):
        raise ValueError(f"samples (N, D) and data (M, D) with 1 ≤ k < M; got {tuple(samples.shape)}, "
                         f"{tuple(data.shape)}, k={k}")
    data = data.double().cpu()
    radius = torch.cdist(data, data).kthvalue(k + 1, dim=1).values  # the 1st nearest is the point itself
    x = torch.nan_to_num(samples.double().cpu(), nan=float("inf"))
    inside = (torch.cdist(x, data) <= radius).any(dim=1)
    return float(inside.double().mean())


def digits_classifier():
    """Multinomial logistic regression fitted on the training digits (flattened 64 pixels in [−1, 1])."""
    from sklearn.linear_model import LogisticRegression

    split = load_digits_split()
    return LogisticRegression(max_iter=2000).fit(split.x_train.flatten(1).numpy(), split.y_train.numpy())


def digit_quality(samples: torch.Tensor, classifier) -> dict:
    """How the classifier sees generated digits (B, 1, 8, 8): the mean top-class probability (and its standard
    error over the B digits), the fraction labelled with probability ≥ 0.9, the class histogram and its total
    variation distance from uniform. Pixels are clamped to [−1, 1] (NaN read as 0) before the classifier sees them."""
    x = torch.nan_to_num(samples, nan=0.0).clamp(-1, 1).flatten(1).cpu().numpy()  # (B, 64)
    probs = torch.from_numpy(classifier.predict_proba(x))  # (B, 10)
    top, label = probs.max(dim=1)
    histogram = torch.bincount(label, minlength=10).double() / len(label)
    return {"mean_confidence": float(top.mean()), "confidence_se": float(top.std() / len(top) ** 0.5),
            "confident_fraction": float((top >= 0.9).double().mean()),
            "class_histogram": [round(float(h), 4) for h in histogram],
            "tv_from_uniform": float(0.5 * (histogram - 0.1).abs().sum())}

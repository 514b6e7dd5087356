"""The quality figures a checkpoint manifest records: bits/dim from the bound, a 2-D sample distance, how a
digits classifier sees generated digits, and, for a class-conditional model, how class accuracy and diversity of
guided samples move with the guidance scale w (Ho & Salimans 2022, Fig. 1's trade-off)."""
from __future__ import annotations

import torch

from .checkpoints import Sampling
from .data import TOY_HELDOUT_N, TOY_HELDOUT_SEED, load_digits_split, make_labelled_toy, make_toy
from .diffusion.bound import vlb_terms
from .diffusion.guidance import guided_model, num_classes_of
from .diffusion.options import Decoder, Prediction
from .diffusion.sampling import sample_ddim, sample_ddpm
from .diffusion.schedules import Schedule

GUIDANCE_SCALES = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0)  # the w grid of a conditional checkpoint's manifest
GUIDANCE_DDIM_STEPS = 50
GUIDANCE_PER_CLASS = {"digits": 20, "toy": 500}  # samples per class and guidance scale w in the manifest's sweep
DIGITS_SAMPLES, DIGITS_DDIM_STEPS = 500, 50
DIGITS_BPD_N = 100  # bits/dim on the first 100 test digits: the bound costs T model calls per example


def bits_per_dim(model, x0: torch.Tensor, schedule: Schedule, decoder: Decoder, seed: int = 0,
                 max_rows: int = 65536, clip_x0: float | None = None, prediction: Prediction = "eps") -> float:
    """The mean negative bound L = L_T + Σ L_{t-1} + L_0 (eq. 5) over the examples x0, in bits per dimension.

    Images pass clip_x0=1.0, as Ho et al.'s bits/dim evaluation clips x̂0 to the data's range.
    """
    terms = vlb_terms(model, x0, schedule, decoder=decoder, seed=seed, max_rows=max_rows, clip_x0=clip_x0,
                      prediction=prediction)
    return float(terms.bits_per_dim(terms.total).mean())


def bits_per_dim_given_class(model, x0: torch.Tensor, y: torch.Tensor, schedule: Schedule, decoder: Decoder,
                             seed: int = 0, max_rows: int = 65536, clip_x0: float | None = None,
                             prediction: Prediction = "eps") -> tuple[float, list[float | None]]:
    """The bound of a conditional model told each example's class, −log p_θ(x0 | y) ≤ L (eq. 5 with ε_θ(x_t, t, y),
    w = 0), in bits/dim: (the mean over the examples x0 (B, *S) with labels y (B,), the mean per class, None for
    a class without examples)."""
    terms = vlb_terms(guided_model(model, y, 0.0), x0, schedule, decoder=decoder, seed=seed, max_rows=max_rows,
                      clip_x0=clip_x0, prediction=prediction)
    bits, y = terms.bits_per_dim(terms.total).cpu(), y.cpu()  # (B,)
    per_class = [float(bits[y == c].mean()) if (y == c).any() else None for c in range(num_classes_of(model))]
    return float(bits.mean()), per_class


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


def toy_classifier(name: str, n: int = 2000, seed: int = 1, k: int = 15):
    """k-nearest-neighbour classifier of a labelled toy set (moons: which moon), fitted on make_labelled_toy(name,
    n, seed): the 2-D counterpart of `digits_classifier`, telling which class a generated point lies on."""
    from sklearn.neighbors import KNeighborsClassifier

    x0, y = make_labelled_toy(name, n, seed)
    return KNeighborsClassifier(n_neighbors=k).fit(x0.numpy(), y.numpy())


def class_probabilities(samples: torch.Tensor, classifier) -> torch.Tensor:
    """The classifier's p(class | x) for samples (B, *S), (B, K): NaN read as 0, images (B, C, H, W) clamped to
    [−1, 1] as in `digit_quality`, then flattened."""
    x = torch.nan_to_num(samples.detach().cpu(), nan=0.0)
    x = x.clamp(-1, 1) if x.dim() == 4 else x
    return torch.from_numpy(classifier.predict_proba(x.flatten(1).numpy())).double()


def per_class_diversity(x: torch.Tensor, y: torch.Tensor, num_classes: int) -> list[float | None]:
    """For each class c < num_classes, the mean pairwise Euclidean distance between the examples x (B, *S) whose
    label y (B,) is c: how spread out the samples of one class are (None for fewer than two examples)."""
    x, y = torch.nan_to_num(x.detach().double().cpu().flatten(1)), y.cpu()
    return [float(torch.pdist(x[y == c]).mean()) if int((y == c).sum()) >= 2 else None for c in range(num_classes)]


def class_diversity(x: torch.Tensor, y: torch.Tensor) -> float:
    """`per_class_diversity` averaged over the classes with at least two examples."""
    means = [d for d in per_class_diversity(x, y, int(y.max()) + 1) if d is not None]
    if not means:
        raise ValueError("class_diversity needs at least two examples of some class")
    return sum(means) / len(means)


def class_fidelity(samples: torch.Tensor, y: torch.Tensor, classifier) -> dict:
    """How well samples (B, *S) drawn for classes y (B,) show their class: the fraction the classifier labels y
    (accuracy, with its standard error, and per class), the mean p(y | sample) it gives the intended class, and
    the within-class `class_diversity`, overall and per class."""
    probs = class_probabilities(samples, classifier)  # (B, K)
    y = y.cpu()
    correct = (probs.argmax(1) == y).double()  # (B,)
    classes = range(probs.shape[1])
    return {"accuracy": float(correct.mean()), "accuracy_se": float(correct.std() / len(correct) ** 0.5),
            "per_class_accuracy": [round(float(correct[y == c].mean()), 4) if (y == c).any() else None
                                   for c in classes],
            "mean_confidence": float(probs[torch.arange(len(y)), y].mean()),
            "diversity": class_diversity(samples, y),
            "per_class_diversity": [None if d is None else round(d, 4)
                                    for d in per_class_diversity(samples, y, probs.shape[1])]}


def guidance_sweep(model, schedule: Schedule, sample_shape: tuple[int, ...], classifier, per_class: int,
                   ws=GUIDANCE_SCALES, seed: int = 0, steps: int = GUIDANCE_DDIM_STEPS,
                   clip_x0: float | None = None, prediction: Prediction = "eps") -> list[dict]:
    """The accuracy-vs-diversity curve of classifier-free guidance: for each w in `ws`, `per_class` DDIM samples
    (η = 0, `steps` trailing steps) of every class of the conditional `model`, from the same x_T for every w
    (drawn from `seed`), scored by `class_fidelity`. One dict per w, with "w" added."""
    if isinstance(per_class, bool) or not isinstance(per_class, int) or per_class < 2:
        raise ValueError(f"per_class must be an integer of at least 2; got {per_class!r}")
    device = next(model.parameters()).device
    num_classes = num_classes_of(model)
    y = torch.arange(num_classes, device=device).repeat_interleave(per_class)  # (K·per_class,)
    generator = torch.Generator(device=device).manual_seed(seed)
    x_T = torch.randn((len(y), *sample_shape), generator=generator, device=device)
    curve = []
    for w in ws:
        samples = sample_ddim(model, x_T.shape, schedule, steps=steps, x_T=x_T, clip_x0=clip_x0,
                              prediction=prediction, y=y, guidance=float(w))
        curve.append({"w": float(w), **class_fidelity(samples, y, classifier)})
    return curve


def evaluate_ddpm(model, schedule: Schedule, data: str, seed: int, prediction: Prediction = "eps"
                  ) -> tuple[float, dict]:
    """(bits/dim on held-out data, the sample-quality figure) that a checkpoint manifest records for a denoiser of
    a toy set or the digits, trained and in eval mode, which outputs `prediction`."""
    device = next(model.parameters()).device
    generator = torch.Generator(device=device).manual_seed(seed)
    if data == "digits":
        x_test = load_digits_split().x_test[:DIGITS_BPD_N].to(device)
        bpd = bits_per_dim(model, x_test, schedule, decoder="discrete", seed=seed, max_rows=8192, clip_x0=1.0,
                           prediction=prediction)
        # leading spacing: the shipped digits manifest is measured with it
        samples = sample_ddim(model, (DIGITS_SAMPLES, 1, 8, 8), schedule, steps=DIGITS_DDIM_STEPS, spacing="leading",
                              generator=generator, clip_x0=1.0, prediction=prediction)
        quality = {"metric": "digits_classifier", "n_samples": DIGITS_SAMPLES,
                   "sampler": f"ddim, {DIGITS_DDIM_STEPS} steps, eta 0, x̂0 clipped to [-1, 1]", "sample_seed": seed,
                   **digit_quality(samples, digits_classifier())}
        return bpd, quality
    heldout = make_toy(data, TOY_HELDOUT_N, seed=TOY_HELDOUT_SEED).to(device)
    bpd = bits_per_dim(model, heldout, schedule, decoder="continuous", seed=seed, prediction=prediction)
    samples = sample_ddpm(model, heldout.shape, schedule, generator=generator, prediction=prediction)
    gaussian = torch.randn(heldout.shape, generator=torch.Generator().manual_seed(seed))
    quality = {"metric": "sliced_wasserstein", "n_samples": TOY_HELDOUT_N, "sampler": "ddpm, fixed_large",
               "sample_seed": seed, "heldout_seed": TOY_HELDOUT_SEED,
               "value": sliced_wasserstein(samples, heldout),
               "gaussian_baseline": sliced_wasserstein(gaussian, heldout),
               "support_precision": support_precision(samples, heldout),
               "support_precision_gaussian": support_precision(gaussian, heldout)}
    return bpd, quality


def evaluate_guidance(model, schedule: Schedule, data: str, seed: int, prediction: Prediction = "eps") -> dict:
    """What a class-conditional model's manifest records under "guidance": bits/dim of held-out data given its
    true labels (w = 0), and the accuracy-vs-diversity curve over GUIDANCE_SCALES (`guidance_sweep`), scored by
    the digits classifier or, on a toy, a nearest-neighbour classifier of the held-out points; with the
    classifier's accuracy and the class diversity of real held-out data for comparison."""
    device = next(model.parameters()).device
    clip_x0 = Sampling.for_data(data).ddim_clip_x0  # DDIM from t = T clips x̂0 (see Sampling)
    if data == "digits":
        split = load_digits_split()
        x_bpd, y_bpd = split.x_test[:DIGITS_BPD_N].to(device), split.y_test[:DIGITS_BPD_N].to(device)
        bpd = bits_per_dim_given_class(model, x_bpd, y_bpd, schedule, decoder="discrete", seed=seed, max_rows=8192,
                                       clip_x0=1.0, prediction=prediction)
        classifier, x_data, y_data = digits_classifier(), split.x_test, split.y_test
        per_class, name = GUIDANCE_PER_CLASS["digits"], "digits_classifier (logistic regression)"
    else:
        x_data, y_data = make_labelled_toy(data, TOY_HELDOUT_N, seed=TOY_HELDOUT_SEED)
        bpd = bits_per_dim_given_class(model, x_data.to(device), y_data.to(device), schedule, decoder="continuous",
                                       seed=seed, prediction=prediction)
        classifier = toy_classifier(data, TOY_HELDOUT_N, TOY_HELDOUT_SEED)
        per_class = GUIDANCE_PER_CLASS["toy"]
        name = f"toy_classifier: 15 nearest neighbours in make_labelled_toy(n={TOY_HELDOUT_N}, seed={TOY_HELDOUT_SEED})"
    curve = guidance_sweep(model, schedule, tuple(x_data.shape[1:]), classifier, per_class, seed=seed,
                           clip_x0=clip_x0, prediction=prediction)
    return {"bits_per_dim_given_class": bpd[0], "bits_per_dim_per_class": bpd[1], "classifier": name,
            "sampler": f"ddim, {GUIDANCE_DDIM_STEPS} steps (trailing), eta 0, x̂0 clipped to ±{clip_x0:g}",
            "per_class": per_class, "sample_seed": seed,
            "data": {"n": len(y_data), "accuracy": class_fidelity(x_data, y_data, classifier)["accuracy"],
                     "diversity": class_diversity(x_data, y_data)},
            "curve": curve}

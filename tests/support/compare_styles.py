"""Correct solutions of the four tasks written in different styles, as students might, for the TA comparison tests.

Each style is a dict grade_id -> cell source. "vectorised" is the instructor's own (read from the notebook);
the others are independent rewrites; "table" is an idiosyncratic one, and "table_renamed" is the same code with
every name, comment and docstring changed: the near-copy the similarity review must catch.
"""

LOOP = {
    "q_sample": '''def q_sample(x0, t, noise, alpha_bar):
    rows = []
    for i in range(x0.shape[0]):
        a = alpha_bar[t[i]]
        rows.append(torch.sqrt(a) * x0[i] + torch.sqrt(1 - a) * noise[i])
    return torch.stack(rows).to(x0.dtype)
''',
    "posterior_mean": '''def posterior_mean(x0, x_t, t, betas):
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, dim=0)
    out = torch.empty_like(x_t)
    for i in range(x_t.shape[0]):
        k = int(t[i])
        prev = alpha_bar[k - 1] if k > 0 else torch.tensor(1.0, dtype=betas.dtype)
        c0 = prev.sqrt() * betas[k] / (1 - alpha_bar[k])
        ct = alphas[k].sqrt() * (1 - prev) / (1 - alpha_bar[k])
        out[i] = c0 * x0[i] + ct * x_t[i]
    return out
''',
    "eps_loss": '''def eps_loss(model, x0, t, noise, alpha_bar):
    x_t = torch.empty_like(x0)
    for i in range(x0.shape[0]):
        a = alpha_bar[t[i]]
        x_t[i] = a.sqrt() * x0[i] + (1 - a).sqrt() * noise[i]
    eps_pred = model(x_t, t)
    total = 0.0
    for i in range(x0.shape[0]):
        total = total + ((noise[i] - eps_pred[i]) ** 2).sum()
    return total / noise.numel()
''',
    "sample_loop": '''def sample_loop(model, x_T, betas, noises):
    T = betas.shape[0]
    abars, abar = [], 1.0
    for b in betas.tolist():
        abar *= 1 - b
        abars.append(abar)
    x = x_T.clone()
    t = T - 1
    while t >= 0:
        beta = float(betas[t])
        eps = model(x, torch.full((x.shape[0],), t, dtype=torch.long))
        x = (x - beta / (1 - abars[t]) ** 0.5 * eps) / (1 - beta) ** 0.5
        if t > 0:
            x = x + beta ** 0.5 * noises[t]
        t -= 1
    return x
''',
}

NUMPY = {
    "q_sample": '''import numpy as np


def q_sample(x0, t, noise, alpha_bar):
    ab = alpha_bar.numpy()[t.numpy()]
    shape = (-1,) + (1,) * (x0.dim() - 1)
    a = torch.from_numpy(np.sqrt(ab).reshape(shape)).to(x0.dtype)
    b = torch.from_numpy(np.sqrt(1.0 - ab).reshape(shape)).to(x0.dtype)
    return a * x0 + b * noise
''',
    "posterior_mean": '''import numpy as np


def posterior_mean(x0, x_t, t, betas):
    b = betas.numpy()
    a = 1.0 - b
    ab = np.cumprod(a)
    ab_prev = np.concatenate([[1.0], ab[:-1]])
    c0 = np.sqrt(ab_prev) * b / (1.0 - ab)
    c1 = np.sqrt(a) * (1.0 - ab_prev) / (1.0 - ab)
    idx = t.numpy()
    shape = (-1,) + (1,) * (x0.dim() - 1)
    c0 = torch.from_numpy(c0[idx].reshape(shape)).to(x0.dtype)
    c1 = torch.from_numpy(c1[idx].reshape(shape)).to(x0.dtype)
    return c0 * x0 + c1 * x_t
''',
    "eps_loss": '''import numpy as np


def eps_loss(model, x0, t, noise, alpha_bar):
    ab = alpha_bar.numpy()[t.numpy()].reshape((-1,) + (1,) * (x0.dim() - 1))
    x_t = torch.from_numpy(np.sqrt(ab)).to(x0.dtype) * x0 + torch.from_numpy(np.sqrt(1 - ab)).to(x0.dtype) * noise
    diff = (noise - model(x_t, t)).detach().numpy()
    return torch.tensor(np.mean(diff ** 2), dtype=x0.dtype)
''',
    "sample_loop": '''import numpy as np


def sample_loop(model, x_T, betas, noises):
    b = betas.numpy()
    ab = np.cumprod(1.0 - b)
    eps_coef = b / np.sqrt(1.0 - ab)
    inv_sqrt_a = 1.0 / np.sqrt(1.0 - b)
    sigma = np.sqrt(b)
    x = x_T
    for t in range(len(b) - 1, -1, -1):
        eps_pred = model(x, torch.full((x.shape[0],), t, dtype=torch.long))
        x = float(inv_sqrt_a[t]) * (x - float(eps_coef[t]) * eps_pred)
        if t > 0:
            x = x + float(sigma[t]) * noises[t]
    return x
''',
}

FLOAT64 = {
    "q_sample": '''def q_sample(x0, t, noise, alpha_bar):
    ab = alpha_bar.double()[t].view(-1, *([1] * (x0.dim() - 1)))
    return (ab.sqrt() * x0.double() + (1.0 - ab).sqrt() * noise.double()).to(x0.dtype)
''',
    "posterior_mean": '''def posterior_mean(x0, x_t, t, betas):
    betas = betas.double()
    alpha_bar = (1 - betas).cumprod(0)
    alpha_bar_prev = torch.ones_like(alpha_bar)
    alpha_bar_prev[1:] = alpha_bar[:-1]
    view = (-1,) + (1,) * (x0.dim() - 1)
    coef_x0 = (alpha_bar_prev.sqrt() * betas / (1 - alpha_bar))[t].view(view)
    coef_xt = ((1 - betas).sqrt() * (1 - alpha_bar_prev) / (1 - alpha_bar))[t].view(view)
    return (coef_x0 * x0.double() + coef_xt * x_t.double()).to(x0.dtype)
''',
    "eps_loss": '''def eps_loss(model, x0, t, noise, alpha_bar):
    ab = alpha_bar.double()[t].view(-1, *([1] * (x0.dim() - 1)))
    x_t = (ab.sqrt() * x0.double() + (1 - ab).sqrt() * noise.double()).to(x0.dtype)
    err = noise.double() - model(x_t, t).double()
    return err.pow(2).mean().to(x0.dtype)
''',
    "sample_loop": '''def sample_loop(model, x_T, betas, noises):
    betas = betas.double()
    alpha_bar = torch.cumprod(1 - betas, 0)
    x = x_T.double()
    for t in reversed(range(len(betas))):
        eps_pred = model(x.to(x_T.dtype), torch.full((x.shape[0],), t, dtype=torch.long)).double()
        x = (x - betas[t] / torch.sqrt(1 - alpha_bar[t]) * eps_pred) / torch.sqrt(1 - betas[t])
        if t > 0:
            x = x + torch.sqrt(betas[t]) * noises[t].double()
    return x.to(x_T.dtype)
''',
}

GATHER = {
    "q_sample": '''def coef(arr, t, x):
    """arr[t] as (B, 1, ..., 1) in x's dtype."""
    return arr.gather(0, t).to(x.dtype).reshape(t.shape[0], *([1] * (x.dim() - 1)))


def q_sample(x0, t, noise, alpha_bar):
    return coef(alpha_bar.sqrt(), t, x0) * x0 + coef((1 - alpha_bar).sqrt(), t, x0) * noise
''',
    "posterior_mean": '''def posterior_mean(x0, x_t, t, betas):
    alphas = 1 - betas
    alpha_bar = alphas.cumprod(0)
    alpha_bar_prev = torch.nn.functional.pad(alpha_bar[:-1], (1, 0), value=1.0)
    mean_coef_x0 = alpha_bar_prev.sqrt() * betas / (1 - alpha_bar)
    mean_coef_xt = alphas.sqrt() * (1 - alpha_bar_prev) / (1 - alpha_bar)
    return coef(mean_coef_x0, t, x0) * x0 + coef(mean_coef_xt, t, x_t) * x_t
''',
    "eps_loss": '''def eps_loss(model, x0, t, noise, alpha_bar):
    x_t = q_sample(x0, t, noise, alpha_bar)
    return torch.nn.functional.mse_loss(model(x_t, t), noise)
''',
    "sample_loop": '''def sample_loop(model, x_T, betas, noises):
    alphas = 1 - betas
    eps_coef = betas / (1 - alphas.cumprod(0)).sqrt()
    x = x_T
    for step in range(len(betas)):
        t = len(betas) - 1 - step
        tt = torch.full((x.shape[0],), t, dtype=torch.long)
        x = (x - coef(eps_coef, tt, x) * model(x, tt)) / coef(alphas.sqrt(), tt, x)
        if t:
            x = x + coef(betas.sqrt(), tt, x) * noises[t]
    return x
''',
}

TABLE = {
    "q_sample": '''def schedule_table(betas):
    """Every coefficient the four tasks need, computed once in float64."""
    alphas = 1.0 - betas
    abar = torch.cumprod(alphas, 0)
    abar_prev = torch.cat([abar.new_ones(1), abar[:-1]])
    return {
        "signal": abar.sqrt(),
        "noise": (1.0 - abar).sqrt(),
        "post_x0": abar_prev.sqrt() * betas / (1.0 - abar),
        "post_xt": alphas.sqrt() * (1.0 - abar_prev) / (1.0 - abar),
        "eps": betas / (1.0 - abar).sqrt(),
        "inv_sqrt_alpha": alphas.rsqrt(),
        "sigma": betas.sqrt(),
    }


def betas_from_alpha_bar(alpha_bar):
    # undo the cumulative product: beta_t = 1 - abar_t / abar_{t-1}
    return 1.0 - alpha_bar / torch.cat([alpha_bar.new_ones(1), alpha_bar[:-1]])


def pick(table, key, t, like):
    # table[key][t], reshaped to broadcast against like
    return table[key][t].reshape(-1, *([1] * (like.dim() - 1))).to(like.dtype)


def q_sample(x0, t, noise, alpha_bar):
    table = schedule_table(betas_from_alpha_bar(alpha_bar))
    return pick(table, "signal", t, x0) * x0 + pick(table, "noise", t, x0) * noise
''',
    "posterior_mean": '''def posterior_mean(x0, x_t, t, betas):
    table = schedule_table(betas)
    return pick(table, "post_x0", t, x0) * x0 + pick(table, "post_xt", t, x0) * x_t
''',
    "eps_loss": '''def eps_loss(model, x0, t, noise, alpha_bar):
    table = schedule_table(betas_from_alpha_bar(alpha_bar))
    x_t = pick(table, "signal", t, x0) * x0 + pick(table, "noise", t, x0) * noise
    residual = noise - model(x_t, t)
    return (residual * residual).sum() / residual.numel()
''',
    "sample_loop": '''def sample_loop(model, x_T, betas, noises):
    table = schedule_table(betas)
    x = x_T
    for t in sorted(range(len(betas)), reverse=True):
        tt = torch.full((x.shape[0],), t, dtype=torch.long)
        x = pick(table, "inv_sqrt_alpha", tt, x) * (x - pick(table, "eps", tt, x) * model(x, tt))
        x = x + pick(table, "sigma", tt, x) * noises[t] * (t > 0)
    return x
''',
}

RENAMES = {"schedule_table": "coefficients", "betas_from_alpha_bar": "recover_betas", "pick": "take",
           "table": "coefs", "abar_prev": "abar_before", "abar": "cum_alpha", "alphas": "a", "residual": "r",
           "tt": "step_t", "like": "ref", "key": "name"}


def _renamed(source: str) -> str:
    """TABLE with identifiers renamed, comments reworded and the docstring changed, as a copier would."""
    import re

    for old, new in RENAMES.items():
        source = re.sub(rf"\b{old}\b", new, source)
    source = source.replace("# undo the cumulative product: beta_t = 1 - abar_t / abar_{t-1}", "# invert the cumprod")
    source = source.replace("# table[key][t], reshaped to broadcast against like", "# gather and reshape")
    return source.replace('"""Every coefficient the four tasks need, computed once in float64."""',
                          '"""Precompute all DDPM coefficients."""')


TABLE_RENAMED = {task: _renamed(source) for task, source in TABLE.items()}

STYLES = {"loop": LOOP, "numpy": NUMPY, "float64": FLOAT64, "gather": GATHER, "table": TABLE,
          "table_renamed": TABLE_RENAMED}

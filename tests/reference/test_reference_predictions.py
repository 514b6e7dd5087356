"""Do models that predict x0 or v go through the same p_θ, samplers and bound as an ε-model, and do their simple
losses weigh the ε error by 1/SNR and 1 + 1/SNR?"""
import pytest
import torch

from reference import (GaussianOptimalEps, Schedule, loss_weight_on_eps, p_mean_variance, predict_x0_from_eps,
                       sample_ddim, sample_ddpm, simple_loss, v_from_x0_eps, vlb_terms)

MU, STD = 0.5, 0.8


@pytest.fixture(scope="module")
def models():
    """The exact ε-predictor of N(μ, s²) data, and the same predictor written as an x0-model and a v-model."""
    schedule = Schedule.from_name("cosine", 100)
    eps = GaussianOptimalEps(MU, STD, schedule)

    def x0_model(x_t, t):
        return predict_x0_from_eps(x_t, t, eps(x_t, t), schedule)

    def v_model(x_t, t):
        return v_from_x0_eps(x0_model(x_t, t), eps(x_t, t), t, schedule)
    return schedule, {"eps": eps, "x0": x0_model, "v": v_model}


def test_p_mean_variance_is_the_same_for_every_output_type(models):
    schedule, by_type = models
    x_t = torch.randn(6, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    t = torch.tensor([0, 1, 30, 60, 98, 99])
    ref = p_mean_variance(by_type["eps"], x_t, t, schedule)
    for prediction in ("x0", "v"):
        p = p_mean_variance(by_type[prediction], x_t, t, schedule, prediction=prediction)
        for a, b in ((p.mean, ref.mean), (p.eps_pred, ref.eps_pred), (p.x0_pred, ref.x0_pred)):
            torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("prediction", ["x0", "v"])
def test_samplers_and_bound_agree_across_output_types(models, prediction):
    """Same x_T and noises: do DDPM, DDIM (η = 0.5) and every term of the bound match the ε-model's?"""
    schedule, by_type = models
    g = torch.Generator().manual_seed(1)
    x_T = torch.randn(8, 2, generator=g, dtype=torch.float64)
    noises = torch.randn(100, 8, 2, generator=g, dtype=torch.float64)
    for sample in (lambda m, **kw: sample_ddpm(m, x_T.shape, schedule, x_T=x_T, noises=noises, **kw),
                   lambda m, **kw: sample_ddim(m, x_T.shape, schedule, 10, 0.5, x_T=x_T, noises=noises[:10], **kw)):
        torch.testing.assert_close(sample(by_type[prediction], prediction=prediction), sample(by_type["eps"]),
                                   rtol=1e-8, atol=1e-8)
    x0 = MU + STD * torch.randn(8, 2, generator=g, dtype=torch.float64)
    ours = vlb_terms(by_type[prediction], x0, schedule, prediction=prediction)
    torch.testing.assert_close(ours.terms, vlb_terms(by_type["eps"], x0, schedule).terms, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("prediction", ["x0", "v"])
def test_simple_losses_weigh_the_eps_error_by_the_snr(prediction):
    """For any model, is the x0-loss (v-loss) of its implied prediction 1/SNR_t (1/ᾱ_t) times its ε-loss, per example?"""
    schedule = Schedule.from_name("linear", 50)
    net = torch.nn.Linear(3, 2).double()

    def eps_model(x_t, t):
        return net(torch.cat([x_t, t[:, None].double() / 50], 1))

    def as_type(x_t, t):
        x0 = predict_x0_from_eps(x_t, t, eps_model(x_t, t), schedule)
        return x0 if prediction == "x0" else v_from_x0_eps(x0, eps_model(x_t, t), t, schedule)
    g = torch.Generator().manual_seed(2)
    x0, noise = (torch.randn(50, 2, generator=g, dtype=torch.float64) for _ in range(2))
    t = torch.arange(50)
    with torch.no_grad():
        eps_l = simple_loss(eps_model, x0, t, schedule, noise)
        ours = simple_loss(as_type, x0, t, schedule, noise, prediction)
    torch.testing.assert_close(ours, eps_l * loss_weight_on_eps(schedule, prediction)[t], rtol=1e-9, atol=1e-12)


def test_an_unknown_output_type_is_refused(models):
    schedule, by_type = models
    x = torch.zeros(2, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match="prediction must be one of 'eps', 'x0', 'v'; got 'score'"):
        p_mean_variance(by_type["eps"], x, 3, schedule, prediction="score")
    with pytest.raises(ValueError, match="prediction must be one of"):
        loss_weight_on_eps(schedule, "x_0")

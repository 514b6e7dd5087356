"""Does summarize_bound give the bound's standard error over the batch, and the batch size behind it?"""
import math

import numpy as np
import pytest
import torch

import reference
from reference import VLBTerms


def test_total_se_is_the_spread_of_per_example_totals_over_root_n():
    """Is total_se the sample standard deviation (n − 1) of the per-example bits/dim totals over √n?"""
    g = torch.Generator().manual_seed(2)
    vlb = VLBTerms(prior=torch.rand(9, generator=g), terms=torch.rand(9, 6, generator=g), dims=4)
    out = reference.summarize_bound(vlb)
    totals = (vlb.prior.numpy().astype(np.float64) + vlb.terms.numpy().astype(np.float64).sum(1)) / (4 * math.log(2))
    assert out.n == 9
    assert out.total == pytest.approx(totals.mean(), rel=1e-6)
    assert out.total_se == pytest.approx(totals.std(ddof=1) / 3, rel=1e-6)


def test_one_example_has_no_standard_error():
    """Is the standard error of a single example NaN (no spread to measure), without a warning?"""
    vlb = VLBTerms(prior=torch.ones(1), terms=torch.ones(1, 3), dims=2)
    out = reference.summarize_bound(vlb)
    assert out.n == 1 and math.isnan(out.total_se)

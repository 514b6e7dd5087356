"""Does ddim_timesteps place DDIM's sub-sequence as diffusers' DDIMScheduler does, for every spacing it names?

Lin et al. (2024, Table 2): "leading" and "linspace" start at 0, "trailing" ends at T − 1 (the paper's t = T).
"""
import functools
from fractions import Fraction

import pytest
from diffusers import DDIMScheduler

from reference import DDIM_SPACINGS, ddim_timesteps


@functools.cache
def diffusers_scheduler(T, spacing):
    return DDIMScheduler(num_train_timesteps=T, timestep_spacing=spacing, steps_offset=0)


def diffusers_timesteps(T, steps, spacing):
    """diffusers' set_timesteps(steps), ascending."""
    scheduler = diffusers_scheduler(T, spacing)
    scheduler.set_timesteps(steps)
    return sorted(scheduler.timesteps.tolist())


def exact_fractions(T, steps, spacing):
    """The exact positions each spacing rounds (trailing subtracts 1 after rounding)."""
    if spacing == "trailing":
        return [Fraction(j * T, steps) for j in range(1, steps + 1)]
    if spacing == "leading":
        return [Fraction(i * (T // steps)) for i in range(steps)]
    return [Fraction(i * (T - 1), max(steps - 1, 1)) for i in range(steps)]


@pytest.mark.parametrize("spacing", DDIM_SPACINGS)
@pytest.mark.parametrize("steps", [1, 2, 3, 7, 50, 333, 600, 999, 1000])
def test_matches_diffusers_at_T_1000(spacing, steps):
    """For T = 1000 and step counts that do and do not divide it, is the sub-sequence diffusers' own?"""
    assert ddim_timesteps(1000, steps, spacing) == diffusers_timesteps(1000, steps, spacing)


@pytest.mark.parametrize("spacing", DDIM_SPACINGS)
@pytest.mark.parametrize("T", [7, 100, 1000])
def test_differs_from_diffusers_only_where_its_floats_do(spacing, T):
    """For every steps in 1 … T, do we agree with diffusers except where its floating point goes astray?

    diffusers' floats go astray in two ways, both listed here so that nothing else can hide among them: at an exact
    half (j·T/steps = m + ½) its rounding error picks either neighbour; and "trailing" sometimes gets one entry too
    many from np.arange, a −1 (T = 1000: 62 step counts, 61 the first), which would index ᾱ from the end.
    """
    for steps in range(1, T + 1):
        ours, theirs = ddim_timesteps(T, steps, spacing), diffusers_timesteps(T, steps, spacing)
        if spacing == "trailing" and len(theirs) == steps + 1:
            assert theirs[0] == -1, (steps, theirs[:3])
            theirs = theirs[1:]
        assert len(theirs) == steps, steps
        for a, b, exact in zip(ours, theirs, exact_fractions(T, steps, spacing)):
            assert a == b or (abs(a - b) == 1 and exact.denominator == 2), (steps, a, b, exact)


@pytest.mark.parametrize("spacing", DDIM_SPACINGS)
@pytest.mark.parametrize("T", [1, 2, 3, 10, 999, 1000])
def test_distinct_ascending_and_in_range_for_every_step_count(spacing, T):
    """For every steps in 1 … T, are the timesteps `steps` distinct ascending ints in [0, T − 1], all of them at T?"""
    for steps in range(1, T + 1):
        timesteps = ddim_timesteps(T, steps, spacing)
        assert len(timesteps) == steps and all(isinstance(t, int) for t in timesteps), steps
        assert all(a < b for a, b in zip(timesteps, timesteps[1:])), (steps, timesteps)
        assert 0 <= timesteps[0] and timesteps[-1] <= T - 1, (steps, timesteps)
    assert ddim_timesteps(T, T, spacing) == list(range(T))


@pytest.mark.parametrize("T", [1, 2, 7, 10, 999, 1000])
def test_trailing_always_starts_sampling_at_T(T):
    """With trailing spacing, is the largest timestep T − 1 (the paper's t = T, pure noise) for every steps?"""
    assert all(ddim_timesteps(T, steps)[-1] == T - 1 for steps in range(1, T + 1))


def test_leading_and_linspace_start_at_zero_and_leading_stops_short():
    """Do leading and linspace start at 0, linspace reach T − 1, and leading stop short of it (the issue's cases)?"""
    assert ddim_timesteps(1000, 1, "leading") == [0]  # one step at the paper's t = 1: x_T comes back unchanged
    assert ddim_timesteps(1000, 2, "leading") == [0, 500]
    assert ddim_timesteps(1000, 600, "leading")[-1] == 599
    assert ddim_timesteps(1000, 50, "leading")[-1] == 980
    assert ddim_timesteps(1000, 2, "linspace") == [0, 999]
    assert ddim_timesteps(1000, 1) == [999] and ddim_timesteps(1000, 2) == [499, 999]


@pytest.mark.parametrize("args,message", [
    ((1000, 50, "uniform"), r"spacing must be one of 'trailing', 'leading', 'linspace'; got 'uniform'"),
    ((1000, 0), r"steps must be an integer in \[1, T\] = \[1, 1000\]; got 0"),
    ((1000, 1001, "leading"), r"got 1001"),
    ((1000, 2.0), r"got 2.0"),
    ((1000, True), r"got True"),
])
def test_bad_arguments_are_named(args, message):
    """Is a bad spacing name or a steps outside [1, T] refused with a message naming it?"""
    with pytest.raises(ValueError, match=message):
        ddim_timesteps(*args)

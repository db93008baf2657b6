import math
import random

import pytest

from inventory import ValidationError
from inventory.forecast import moving_average, poisson, reorder_point, stockout_probability


def poisson_tail(stock, mean):
    """Exact P(X > stock) for X ~ Poisson(mean)."""
    return 1 - sum(math.exp(-mean) * mean**k / math.factorial(k) for k in range(stock + 1))


@pytest.mark.cpu_bound
@pytest.mark.parametrize("mean", [0.5, 3.0, 8.0])
def test_poisson_sampler_has_the_right_mean_and_variance(mean):
    rng = random.Random(7)
    samples = [poisson(rng, mean) for _ in range(60000)]
    average = sum(samples) / len(samples)
    variance = sum((s - average) ** 2 for s in samples) / len(samples)
    assert average == pytest.approx(mean, rel=0.03)
    assert variance == pytest.approx(mean, rel=0.05)


@pytest.mark.cpu_bound
@pytest.mark.parametrize("stock, mean", [(3, 2.0), (0, 0.7), (6, 4.0), (10, 6.5)])
def test_one_day_simulation_matches_the_exact_tail(stock, mean):
    simulated = stockout_probability(stock, mean, days=1, trials=50000, seed=3)
    assert simulated == pytest.approx(poisson_tail(stock, mean), abs=0.01)


@pytest.mark.cpu_bound
def test_more_stock_means_fewer_stockouts():
    risks = [stockout_probability(stock, 2.0, 7, trials=15000, seed=1) for stock in (8, 12, 16, 20, 24)]
    assert risks == sorted(risks, reverse=True)
    assert risks[0] > 0.8 and risks[-1] < 0.01


@pytest.mark.cpu_bound
def test_simulation_is_reproducible_per_seed():
    first = stockout_probability(14, 2.0, 7, trials=20000, seed=11)
    assert stockout_probability(14, 2.0, 7, trials=20000, seed=11) == first
    assert stockout_probability(14, 2.0, 7, trials=20000, seed=12) == pytest.approx(first, abs=0.02)


@pytest.mark.cpu_bound
@pytest.mark.parametrize("service_level", [0.8, 0.95, 0.99])
def test_reorder_point_is_the_smallest_safe_stock(service_level):
    point = reorder_point(3.0, lead_days=5, service_level=service_level, trials=6000, seed=5)
    allowed = 1 - service_level
    assert stockout_probability(point, 3.0, 5, trials=6000, seed=5) <= allowed
    assert stockout_probability(point - 1, 3.0, 5, trials=6000, seed=5) > allowed


@pytest.mark.cpu_bound
def test_reorder_point_grows_with_demand():
    points = [reorder_point(mean, lead_days=7, trials=3000, seed=2) for mean in (0.5, 1.0, 2.0, 4.0)]
    assert points == sorted(points)
    assert len(set(points)) == len(points)


def test_no_demand_never_runs_out():
    assert stockout_probability(0, 0.0, 30, trials=100) == 0.0


def test_empty_shelf_with_demand_almost_always_runs_out():
    assert stockout_probability(0, 5.0, 3, trials=2000) > 0.99


@pytest.mark.parametrize(
    "kwargs",
    [
        {"stock": -1, "daily_mean": 1.0, "days": 1},
        {"stock": 1, "daily_mean": -1.0, "days": 1},
        {"stock": 1, "daily_mean": 1.0, "days": 0},
        {"stock": 1, "daily_mean": 1.0, "days": 1, "trials": 0},
    ],
)
def test_simulation_validates_its_input(kwargs):
    with pytest.raises(ValidationError):
        stockout_probability(**kwargs)


@pytest.mark.parametrize("level", [0, 1, 1.5, -0.2])
def test_service_level_must_be_a_probability(level):
    with pytest.raises(ValidationError, match="service_level"):
        reorder_point(1.0, 3, service_level=level)


@pytest.mark.parametrize(
    "values, window, expected",
    [
        ([1, 2, 3, 4], 2, [1.5, 2.5, 3.5]),
        ([5, 5, 5], 3, [5.0]),
        ([4, 8], 3, []),
        ([2, 4, 6], 1, [2.0, 4.0, 6.0]),
    ],
)
def test_moving_average(values, window, expected):
    assert moving_average(values, window) == expected


def test_moving_average_needs_a_window():
    with pytest.raises(ValidationError):
        moving_average([1, 2], 0)

"""Demand forecasting by Monte Carlo simulation (CPU-bound, pure Python)."""

import math
import random

from inventory.errors import ValidationError


def poisson(rng, mean):
    """Knuth's method; fine for the small daily means of a shop."""
    limit = math.exp(-mean)
    count = 0
    product = rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def stockout_probability(stock, daily_mean, days, trials=10000, seed=0):
    """Probability that demand over `days` exceeds `stock`."""
    if stock < 0 or daily_mean < 0 or days <= 0 or trials <= 0:
        raise ValidationError("stock and daily_mean must be >= 0, days and trials > 0")
    rng = random.Random(seed)
    stockouts = 0
    for _ in range(trials):
        demand = 0
        for _ in range(days):
            demand += poisson(rng, daily_mean)
            if demand > stock:
                stockouts += 1
                break
    return stockouts / trials


def reorder_point(daily_mean, lead_days, service_level=0.95, trials=4000, seed=0):
    """Smallest stock whose simulated stock-out risk over the lead time is within the service level."""
    if not 0 < service_level < 1:
        raise ValidationError("service_level must be between 0 and 1")
    low, high = 0, max(1, int(daily_mean * lead_days * 3 + 10))
    while low < high:
        middle = (low + high) // 2
        if stockout_probability(middle, daily_mean, lead_days, trials, seed) <= 1 - service_level:
            high = middle
        else:
            low = middle + 1
    return low


def moving_average(values, window):
    if window <= 0:
        raise ValidationError("window must be positive")
    return [sum(values[i - window + 1 : i + 1]) / window for i in range(window - 1, len(values))]

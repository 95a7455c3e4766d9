"""Funnel-plot data for one indicator across a tier: points and control limits, never an ordering."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lm_core import compare

Z95, Z998 = 1.959964, 3.090232


@dataclass(frozen=True)
class Funnel:
    """Points (x = size or precision, y = value) and limits around a benchmark."""

    kind: str  # "proportion", "rate" or "interval"
    x_title: str
    benchmark: float
    benchmark_label: str
    phi: float  # over-dispersion factor the limits were widened by (1 = plain chance limits)
    points: pd.DataFrame  # area_code, x, value
    limits: pd.DataFrame  # x, lo95, hi95, lo998, hi998


def funnel_for(rows: pd.DataFrame, unit: str, benchmark_label: str = "all councils in the tier") -> Funnel | None:
    """A funnel from numerators/denominators (proportions, rates) or from published 95% intervals.

    The benchmark is the pooled figure of the councils shown (sum of numerators over sum of
    denominators), or for intervals their inverse-variance weighted mean; limits follow
    lm_core.compare (binomial normal approximation / exact Poisson), widened by sqrt(phi) when the
    councils vary more than chance predicts (tonnes of waste are not independent trials; without
    this almost every council would sit outside the funnel). The chart says when it was widened.
    """
    usable = rows[(rows["status"].isin(["", "u"])) & rows["value"].notna()]
    with_parts = usable[usable["numerator"].notna() & usable["denominator"].notna() & (usable["denominator"] > 0)]
    if len(with_parts) >= 10:
        scale = compare.unit_scale(with_parts, unit)
        if scale:
            num, den = with_parts["numerator"].to_numpy(float), with_parts["denominator"].to_numpy(float)
            p0 = float(num.sum() / den.sum())
            grid = np.geomspace(max(den.min() * 0.8, 1.0), den.max() * 1.2, 80)
            proportion = unit.startswith("%") and (num <= den).all()
            share = num / den
            se = np.sqrt(p0 * (1 - p0) / den) if proportion else np.sqrt(p0 / den)
            phi = max(compare.overdispersion((share - p0) / se), 1.0)
            lims = []
            for n in grid:
                if proportion:
                    lo95, hi95 = compare.binomial_limits(p0, n, Z95, phi)
                    lo998, hi998 = compare.binomial_limits(p0, n, Z998, phi)
                else:
                    lo95, hi95 = compare.poisson_limits(p0, n, Z95, phi)
                    lo998, hi998 = compare.poisson_limits(p0, n, Z998, phi)
                lims.append((n, lo95 * scale, hi95 * scale, lo998 * scale, hi998 * scale))
            limits = pd.DataFrame(lims, columns=["x", "lo95", "hi95", "lo998", "hi998"])
            points = pd.DataFrame({"area_code": with_parts["area_code"], "x": den,
                                   "value": with_parts["value"].to_numpy(float)})
            return Funnel(kind="proportion" if proportion else "rate", x_title="Denominator (size of the population "
                          "or base)", benchmark=p0 * scale, benchmark_label=benchmark_label, phi=phi, points=points,
                          limits=limits)
    with_ci = usable[usable["lower"].notna() & usable["upper"].notna() & (usable["upper"] > usable["lower"])]
    if len(with_ci) >= 10:
        se = (with_ci["upper"] - with_ci["lower"]).to_numpy(float) / (2 * Z95)
        precision = 1.0 / se
        weights = precision**2
        bench = float((with_ci["value"].to_numpy(float) * weights).sum() / weights.sum())
        grid = np.linspace(precision.min() * 0.9, precision.max() * 1.1, 80)
        limits = pd.DataFrame({"x": grid, "lo95": bench - Z95 / grid, "hi95": bench + Z95 / grid,
                               "lo998": bench - Z998 / grid, "hi998": bench + Z998 / grid})
        points = pd.DataFrame({"area_code": with_ci["area_code"], "x": precision,
                               "value": with_ci["value"].to_numpy(float)})
        return Funnel(kind="interval", x_title="Precision (1 / standard error, from the published 95% interval)",
                      benchmark=bench, benchmark_label=benchmark_label, phi=1.0, points=points, limits=limits)
    return None

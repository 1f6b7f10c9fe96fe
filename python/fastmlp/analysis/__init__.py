"""The lecture's tools: linear regression by gradient descent, shallow networks and their
hidden units, activation patterns and linear regions (exact), region and parameter counts,
universal approximation, composition of networks, activation functions.

Plots of each are in ``fastmlp.demo`` (``fastmlp demo --list``).
"""

from __future__ import annotations

from fastmlp.analysis.activations import activation_curves
from fastmlp.analysis.approximation import Approximation, universal_approximation
from fastmlp.analysis.bounds import (
    ArchitectureRow,
    architecture_table,
    max_linear_regions,
    n_parameters,
)
from fastmlp.analysis.composition import compose
from fastmlp.analysis.linear_regression import LinearRegression1D
from fastmlp.analysis.regions import (
    LinearRegions1D,
    LinearRegions2D,
    activation_patterns,
    linear_regions_1d,
    linear_regions_2d,
)
from fastmlp.analysis.shallow import HiddenUnits, hidden_units, shallow_network

__all__ = [
    "Approximation",
    "ArchitectureRow",
    "HiddenUnits",
    "LinearRegression1D",
    "LinearRegions1D",
    "LinearRegions2D",
    "activation_curves",
    "activation_patterns",
    "architecture_table",
    "compose",
    "hidden_units",
    "linear_regions_1d",
    "linear_regions_2d",
    "max_linear_regions",
    "n_parameters",
    "shallow_network",
    "universal_approximation",
]

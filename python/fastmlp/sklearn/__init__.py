"""scikit-learn estimators backed by fastmlp: ``MLPClassifier`` and ``MLPRegressor`` take
``sklearn.neural_network``'s parameters and give its attributes, and add fastmlp's
activations, ``dropout``, ``dtype``, ``n_threads`` and ``class_weight``.

Imported explicitly (``from fastmlp.sklearn import MLPClassifier``) so that
``import fastmlp`` does not load scikit-learn; needs ``pip install fastmlp[sklearn]``.
"""

from __future__ import annotations

try:
    import sklearn  # noqa: F401
except ImportError as error:  # pragma: no cover - the message is the point
    raise ImportError(
        "fastmlp.sklearn needs scikit-learn: pip install 'fastmlp[sklearn]'"
    ) from error

from fastmlp.sklearn._classifier import MLPClassifier
from fastmlp.sklearn._regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]

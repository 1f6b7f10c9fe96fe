"""scikit-learn's own estimator checks, all of them, on both estimators as constructed by
default (as a user gets them)."""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastmlp.sklearn import MLPClassifier, MLPRegressor


# The checks' datasets are tiny: 200 epochs do not meet tol there, for scikit-learn's MLPs
# as for ours, and each fit warns. Nothing is skipped or xfailed here; three checks skip
# themselves, as they do for scikit-learn's MLPs: check_array_api_input (twice) unless
# SCIPY_ARRAY_API=1 was set before scipy loaded (neither estimator supports the array
# API), and check_classifiers_multilabel_output_format_decision_function (no
# decision_function, as scikit-learn's MLPClassifier has none).
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks([MLPClassifier(), MLPRegressor()])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)

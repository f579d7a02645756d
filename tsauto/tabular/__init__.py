"""Tabular classification and regression on the search core of tsauto.

Adds to the shared engine only what tables need: a featurizer (:mod:`.featurizer`), data
checks (:mod:`.checks`), splits (:mod:`.splitting`), metrics (:mod:`.metrics`) and learners
(:mod:`.learners`); :mod:`.estimators` holds the facades.
"""

from tsauto.tabular.estimators import Classifier, Regressor

__all__ = ["Classifier", "Regressor"]

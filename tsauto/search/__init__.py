"""The search core: candidates, Optuna search, executor, ensemble selection."""

from .core import Candidate, Evaluation, Search, SearchSettings, Trial
from .executor import Executor

__all__ = ["Candidate", "Evaluation", "Search", "SearchSettings", "Trial", "Executor"]

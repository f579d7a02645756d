"""The engine shared by forecasting and tabular learning; it knows nothing of either.

The search loop (:mod:`.search`), the executor that isolates trials (:mod:`.executor`), greedy
ensemble selection and refit planning (:mod:`.ensemble`, :mod:`.selection`), the leaderboard
(:mod:`.leaderboard`), the learner registry base (:mod:`.registry`), model files
(:mod:`.persistence`), table I/O (:mod:`.table_io`) and exceptions (:mod:`.exceptions`).
"""

"""Features of the global models: lags, rolling windows, calendar, holidays, target transforms."""

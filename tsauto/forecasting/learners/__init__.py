"""Forecasting learners, one family per module, all on the protocol of :mod:`.base`."""

"""Real data shipped with tsauto: the Australian retail table of the demo (see README.md)."""

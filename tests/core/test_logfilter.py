"""Warnings said once across the folds of a backtest, whatever counts they carry; templates unsaid in a block."""

from __future__ import annotations

import logging
import threading

from tsauto.core.logfilter import unsaid, warnings_once

log = logging.getLogger("tsauto.forecasting.forecaster")


def test_a_warning_whose_count_changes_from_fold_to_fold_is_shown_once(caplog) -> None:
    """'N series forecast zero ...' came back at every fold of a backtest with its own N."""
    seen: dict = {}
    with caplog.at_level(logging.INFO, logger="tsauto"):
        for count in (3, 5, 4):
            with warnings_once(seen):
                log.warning("%d series forecast zero at every step, e.g. %s", count, "QNC23")
                log.warning("data check %s (alert): %d series", "seasons", count)
                log.warning("data check %s (alert): %d series", "ends_early", count)
                log.info("fold fitted in %.1fs", 0.1 * count)
    messages = [r.getMessage() for r in caplog.records]
    assert sum(m.endswith("e.g. QNC23") for m in messages) == 1
    assert sum(m.startswith("data check seasons") for m in messages) == 1
    assert sum(m.startswith("data check ends_early") for m in messages) == 1  # its own key: a name
    assert sum(m.startswith("fold fitted") for m in messages) == 3  # below WARNING: every one


def test_unsaid_drops_only_the_templates_named(caplog) -> None:
    log = logging.getLogger("tsauto.forecasting.validation")
    with caplog.at_level(logging.INFO, logger="tsauto"), unsaid("imputed %d values", "inserted %d steps"):
        log.warning("imputed %d values", 3)
        log.info("inserted %d steps", 2)
        log.warning("kept %d", 1)
    assert "imputed" not in caplog.text and "inserted" not in caplog.text and "kept 1" in caplog.text
    with caplog.at_level(logging.INFO, logger="tsauto"):
        log.warning("imputed %d values", 4)  # after the block: said
    assert "imputed 4 values" in caplog.text


def test_a_block_filters_the_records_of_its_own_thread_only(caplog) -> None:
    """Two forecasters in threads: one's block held back or renamed the other's records."""
    log = logging.getLogger("tsauto.forecasting.validation")
    inside, logged = threading.Barrier(2), threading.Barrier(2)

    def hold_back() -> None:
        with unsaid("imputed %d values"):
            inside.wait()
            log.warning("imputed %d values", 1)  # held back: this thread's block
            logged.wait()

    def say() -> None:
        inside.wait()  # while the other thread's block is open
        log.warning("imputed %d values", 2)
        logged.wait()

    with caplog.at_level(logging.INFO, logger="tsauto"):
        threads = [threading.Thread(target=f) for f in (hold_back, say)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert "imputed 2 values" in caplog.text and "imputed 1 values" not in caplog.text

"""The search loop: failures injected next to working trials, Ctrl-C, resuming a run folder."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import engine_doubles as d
import pytest

from tsauto.core.exceptions import DataValidationError
from tsauto.core.executor import Executor
from tsauto.core.journal import ResumeRefused, check_run_dir, part_run_dir
from tsauto.core.search import FAILED_IN_A_ROW, Candidate, Search, SearchSettings, _CtrlC, cut_reason

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent


def test_a_search_survives_dead_hung_and_hungry_trials() -> None:
    budget = 20.0
    names = ["hang", "exit", "sigkill", "hog", "constant", "quadratic"]  # faults first
    search = Search(
        d.candidates(*names),
        d.ToyEvaluator(sleep=0.2),
        SearchSettings(time_budget=budget, n_jobs=2, trial_share=0.25),
        Executor(2, memory_limit="1GiB"),
    )
    t0 = time.monotonic()
    trials = search.run()
    wall = time.monotonic() - t0
    print(f"\nfault injection: wall {wall:.1f}s for a {budget:.0f}s budget ({wall / budget:.3f}×)")
    by = {t.learner: t for t in trials if t.params == {}}  # the default trial of each learner
    assert by["exit"].status == "failed" and "exited with code 3" in by["exit"].reason
    assert by["sigkill"].status == "failed" and "SIGKILL (by the system when memory runs out, or by a kill -9)" in by["sigkill"].reason
    assert by["hog"].status == "failed" and "hog ran out of memory" in by["hog"].reason
    assert by["hang"].status == "timeout" and "hang timed out" in by["hang"].reason
    # the search went on past the failures
    assert by["constant"].status == "ok" and by["constant"].score == 5.0
    assert by["quadratic"].status == "ok" and by["quadratic"].score == 3.25
    searched = [t for t in trials if t.learner == "quadratic" and t.params]
    assert searched and all(t.status == "ok" for t in searched)
    assert wall <= budget * 1.05, f"{wall:.1f}s for a {budget}s budget"


def test_an_unbudgeted_trial_runs_in_parts_on_the_workers_and_a_failing_part_fails_it() -> None:
    def search(seconds: tuple = (10.0, 10.0, 0.0), **settings) -> dict:
        names = ("constant", "partfail", "cheap")
        candidates = {n: Candidate(n, seconds=s) for n, s in zip(names, seconds)}
        s = Search(candidates, d.FoldedEvaluator(), SearchSettings(n_jobs=2, **settings),
                   Executor(2, memory_limit=None))
        return {t.learner: t for t in s.run()}

    by = search(max_trials=3)
    whole = by["constant"]
    assert whole.status == "ok" and whole.fold_scores == [1.0, 2.0, 3.0] and whole.score == 2.0
    assert len(set(whole.oof)) == 2  # its three parts ran on both workers
    assert len(set(by["cheap"].oof)) == 1  # under the workers' even share: one call
    assert by["partfail"].status == "failed" and "fold 1 failed" in by["partfail"].reason
    budgeted = search(max_trials=3, time_budget=30)["constant"]  # a budgeted trial stays whole
    assert budgeted.fold_scores == [1.0, 2.0, 3.0] and len(set(budgeted.oof)) == 1
    short = search(seconds=(10.0, 30.0, 0.0), max_trials=3)["constant"]  # others would keep a worker busy
    assert short.fold_scores == [1.0, 2.0, 3.0] and len(set(short.oof)) == 1


def test_a_trial_run_in_parts_is_ordered_by_its_parts_seconds() -> None:
    # one series: LightGBM's 10 folds (9 s) shared by both workers, ETS (3 s, its folds fitted
    # together) started first, not after the parts (its 3 s then ran alone at the end)
    candidates = {"constant": Candidate("constant", seconds=9.0), "constant_b": Candidate("constant_b", seconds=5.0)}
    search = Search(candidates, d.FoldedEvaluator(sleep=0.1), SearchSettings(n_jobs=2, max_trials=2),
                    Executor(2, memory_limit=None))
    by = {t.learner: t for t in search.run()}
    assert by["constant"].fold_scores == [1.0, 2.0, 3.0] and by["constant_b"].fold_scores == [1.0, 2.0, 3.0]
    assert by["constant_b"].number < by["constant"].number  # 5 s whole before parts of 3 s


def test_ctrl_c_while_the_journal_is_written_is_raised_after_the_write() -> None:
    with _CtrlC() as ctrl_c, ctrl_c.allowed():  # trials running: Ctrl-C raised at once
        with pytest.raises(KeyboardInterrupt):
            with ctrl_c.held():  # a proposal or a result being journalled
                ctrl_c._handle(signal.SIGINT, None)  # held: the block goes on to its end
                wrote = True
        assert wrote and ctrl_c.requested
        with pytest.raises(KeyboardInterrupt):  # a second Ctrl-C: at once, held or not
            with ctrl_c.held():
                ctrl_c._handle(signal.SIGINT, None)
                pytest.fail("a second Ctrl-C was held")


def _search(tmp_path, max_trials: int, evaluator=None, names=("constant", "quadratic"), **kw) -> Search:
    settings = SearchSettings(max_trials=max_trials, run_dir=tmp_path / "run", random_state=kw.pop("seed", 0),
                              conditions=kw.pop("conditions", {}))
    return Search(
        d.candidates(*names),
        evaluator or d.ToyEvaluator(marker_dir=str(tmp_path)),
        settings,
        Executor(backend="sequential"),
        fingerprint=kw.pop("fingerprint", "toy-data"),
    )


def _evaluations(tmp_path) -> int:
    return len(list(tmp_path.glob("*.done")))


class _PullRecorder(Executor):
    """A sequential executor that records each trial it is handed: (learner, seconds from
    the moment it was handed out to its deadline)."""

    def __init__(self):
        super().__init__(backend="sequential")
        self.pulled = []

    def stream_trials(self, evaluator, next_trial, on_result, dropped=None):
        def recorded():
            item = next_trial()
            if item is not None:
                self.pulled.append((item[1].learner, item[2] - time.monotonic()))
            return item

        super().stream_trials(evaluator, recorded, on_result, dropped)


def test_each_trial_gets_its_own_deadline_when_handed_out() -> None:
    names = ("constant", "quadratic", "constant_b")
    unbudgeted = _PullRecorder()
    Search(d.candidates(*names), d.ToyEvaluator(), SearchSettings(max_trials=3), unbudgeted).run()
    assert unbudgeted.pulled == [(n, float("inf")) for n in names]
    budgeted = _PullRecorder()
    Search(d.candidates(*names), d.ToyEvaluator(sleep=0.3), SearchSettings(time_budget=60, max_trials=3),
           budgeted).run()
    assert [n for n, _ in budgeted.pulled] == list(names)
    # each trial's cap (0.4 x 60 s) counts from when it is handed out, not from a batch's start
    assert all(23.5 < span <= 24.0 for _, span in budgeted.pulled), budgeted.pulled


def test_default_trials_go_longest_first_without_a_budget_and_cheapest_first_with_one() -> None:
    names = ("constant", "quadratic", "constant_b")
    candidates = d.candidates(*names)  # cost rising in this order
    for name, seconds in (("constant_b", 30.0), ("quadratic", 5.0)):  # "constant": not estimated
        candidates[name] = replace(candidates[name], seconds=seconds)
    unbudgeted = _PullRecorder()
    Search(candidates, d.ToyEvaluator(), SearchSettings(max_trials=3), unbudgeted).run()
    assert [n for n, _ in unbudgeted.pulled] == ["constant_b", "quadratic", "constant"]
    budgeted = _PullRecorder()
    Search(candidates, d.ToyEvaluator(), SearchSettings(time_budget=60, max_trials=3), budgeted).run()
    assert [n for n, _ in budgeted.pulled] == list(names)
    # a learner only a search adds (rank 1) comes after the others, with a budget or without
    candidates["constant_b"] = replace(candidates["constant_b"], rank=1)
    for settings, order in ((SearchSettings(max_trials=2), ["quadratic", "constant"]),
                            (SearchSettings(time_budget=60, max_trials=2), ["constant", "quadratic"])):
        ranked = _PullRecorder()
        Search(candidates, d.ToyEvaluator(), settings, ranked).run()
        assert [n for n, _ in ranked.pulled] == order


def test_default_trials_may_run_longer_than_searched_ones() -> None:
    pulled = _PullRecorder()
    settings = SearchSettings(time_budget=60, max_trials=4, default_share=0.9)
    trials = Search(d.candidates("constant", "quadratic"), d.ToyEvaluator(), settings, pulled).run()
    assert [t.params == {} for t in trials] == [True, True, False, False]  # two defaults, then searched
    spans = [span for _, span in pulled.pulled]
    assert all(53.5 < s <= 54.0 for s in spans[:2]) and all(23.5 < s <= 24.0 for s in spans[2:]), spans


def test_a_trial_keeps_the_parameters_its_fit_used_and_names_those_proposed() -> None:
    trials = Search(d.candidates("cut"), d.ToyEvaluator(), SearchSettings(max_trials=1), _PullRecorder()).run()
    assert trials[0].params == {"x": 2.0}  # the refit fits what was validated
    assert trials[0].status == "ok" and trials[0].reason == "adjusted to its time or data: x -> 2"


def test_a_cut_trials_reason_names_what_changed() -> None:
    proposed = {"params": {"num_boost_round": 500, "learning_rate": 0.05, "num_leaves": 31}, "lags": "auto"}
    used = {"params": {"num_boost_round": 221, "learning_rate": 0.1131, "num_leaves": 31}, "lags": "auto"}
    assert cut_reason(proposed, used) == "adjusted to its time or data: num_boost_round 500 -> 221, learning_rate 0.05 -> 0.113"
    assert cut_reason({}, {"params": {"num_boost_round": 117}}) == "adjusted to its time or data: num_boost_round -> 117"


def test_no_trial_is_handed_out_once_stop_by_has_passed() -> None:
    names = ("constant", "quadratic", "constant_b", "constant_c")
    seen = []

    def stop_by(trials):  # two finished trials make a blend whose refit needs the rest
        seen.append(len(trials))
        return time.monotonic() + (10.0 if len(trials) < 2 else -1.0)

    pulled = _PullRecorder()
    trials = Search(d.candidates(*names), d.ToyEvaluator(), SearchSettings(time_budget=60, max_trials=4),
                    pulled, stop_by=stop_by).run()
    assert [t.learner for t in trials] == ["constant", "quadratic"]
    assert seen == [1, 2]  # asked only once a trial has finished
    # the first trial has the budget's cap (0.4 x 60 s), the second stops by stop_by
    (_, first), (_, second) = pulled.pulled
    assert 23.5 < first <= 24.0 and second <= 10.0, pulled.pulled


def test_a_slow_trial_holds_only_its_own_worker(tmp_path) -> None:
    names = ("slow", "constant", "constant_b", "constant_c", "constant_d")
    evaluator = d.ToyEvaluator(sleep=0.2, slow=4.0, marker_dir=str(tmp_path))
    settings = SearchSettings(time_budget=60, max_trials=len(names), n_jobs=2)
    search = Search(d.candidates(*names), evaluator, settings, Executor(2))
    trials = search.run()
    assert [t.learner for t in trials] == list(names) and all(t.status == "ok" for t in trials)
    finished = [json.loads(p.read_text())["learner"] for p in sorted(tmp_path.glob("*.done"))]
    # the other worker ran every other trial while "slow" ran: none waited for it to end
    assert finished[-1] == "slow", finished


def test_ctrl_c_keeps_the_trials_finished_before_it() -> None:
    names = ("constant", "constant_b", "constant_c", "constant_d")
    search = Search(d.candidates(*names), d.ToyEvaluator(interrupt_after=2),
                    SearchSettings(max_trials=len(names)), _PullRecorder())
    trials = search.run()
    assert search.interrupted
    assert [t.learner for t in trials] == list(names[:2]) and all(t.status == "ok" for t in trials)


class _TerminatedAfter(d.ToyEvaluator):
    """SIGTERM to this process at the third trial (in process: the sequential backend)."""

    def evaluate(self, name, params, deadline, threads):
        if self.calls == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return super().evaluate(name, params, deadline, threads)


def test_sigterm_says_the_trials_are_lost_without_a_run_folder(caplog) -> None:
    """The log said "2 finished trial(s) kept" before the process exited with nothing kept
    (user test): under SIGTERM they are lost without a run folder, and it says so."""
    names = ("constant", "constant_b", "constant_c", "constant_d")
    search = Search(d.candidates(*names), _TerminatedAfter(), SearchSettings(max_trials=4), _PullRecorder())
    with caplog.at_level(logging.WARNING, logger="tsauto.core.search"), pytest.raises(SystemExit) as stop:
        search.run()
    assert stop.value.code == 143
    assert "search stopped by SIGTERM: stopping the workers; 2 finished trial(s) lost (a run_dir journals them)" \
        in caplog.text
    interrupted = Search(d.candidates(*names), d.ToyEvaluator(interrupt_after=2), SearchSettings(max_trials=4),
                         _PullRecorder())
    with caplog.at_level(logging.WARNING, logger="tsauto.core.search"):
        interrupted.run()
    assert "search interrupted: stopping the workers; 2 finished trial(s) kept for the blend" in caplog.text


def test_a_resumed_search_repeats_no_finished_trial(tmp_path) -> None:
    first = _search(tmp_path, 5).run()
    assert _evaluations(tmp_path) == 5
    again = _search(tmp_path, 8)
    trials = again.run()
    assert again.resumed == 5 and _evaluations(tmp_path) == 8  # three new evaluations only
    assert [t.number for t in trials] == list(range(8))
    for old, new in zip(first, trials[:5]):
        assert (old.learner, old.params, old.score, old.oof) == (new.learner, new.params, new.score, new.oof)
    new_params = [t.params for t in trials[5:]]
    assert all(p not in [t.params for t in first] for p in new_params)  # no first-run proposal again


def test_a_run_folder_in_a_folder_that_does_not_exist_is_refused(tmp_path) -> None:
    """As the command line's --run-dir: a mistyped parent is not made (the search's records
    would sit where nobody looks for them); the run folder itself is, which the refusal says
    (user test 59 F11: "create it first", where another message said "made where missing")."""
    with pytest.raises(DataValidationError) as err:
        _search(tmp_path / "typo", 2).run()
    parent = str(tmp_path / "typo")
    assert str(err.value) == (f"run_dir {str(tmp_path / 'typo' / 'run')!r}: the folder {parent!r} does not exist; "
                              "the run folder itself is made where missing, not the folder it is in: create that "
                              f"first (mkdir -p {parent}) or fix the path."), str(err.value)
    assert not (tmp_path / "typo").exists() and len(_search(tmp_path, 2).run()) == 2


def test_a_run_folder_of_an_earlier_tsauto_is_not_said_to_hold_other_data_alone(tmp_path, monkeypatch) -> None:
    """A tsauto that fingerprints the same data otherwise refused a run folder as "a search of
    other data" (review 55 R6): the refusal names the version that started the folder where it
    differs, and says nothing of versions where it is the same (review 56 S5)."""
    from tsauto.core import journal

    monkeypatch.setattr(journal, "VERSION", "0.1.0")
    _search(tmp_path, 2).run()
    monkeypatch.undo()
    with pytest.raises(ResumeRefused, match=r"holds a search of other data \(fingerprint toy-data…, now new-data…; "
                       rf"started by tsauto 0\.1\.0, this is {re.escape(journal.VERSION)}, which may fingerprint the "
                       r"same data otherwise\): give another run_dir"):
        _search(tmp_path, 4, fingerprint="new-data").run()
    with pytest.raises(ResumeRefused, match=r"; started by an earlier tsauto, which recorded no version"):
        journal.RunDir(tmp_path / "old", "new-data", {})._check({"tsauto.layout": journal.LAYOUT,
                                                                 "tsauto.fingerprint": "toy-data"})
    with pytest.raises(ResumeRefused, match=r"other data \(fingerprint toy-data…, now new-data…\): give") as refused:
        journal.RunDir(tmp_path / "old", "new-data", {})._check({"tsauto.layout": journal.LAYOUT,
                                                                 "tsauto.version": journal.VERSION,
                                                                 "tsauto.fingerprint": "toy-data"})
    assert "version" not in str(refused.value)


def test_a_run_folder_of_other_data_or_settings_is_refused(tmp_path) -> None:
    _search(tmp_path, 2).run()
    with pytest.raises(ResumeRefused, match="other data"):
        _search(tmp_path, 4, fingerprint="other-data").run()
    with pytest.raises(ResumeRefused, match=r"other settings \(learners\.raises"):
        _search(tmp_path, 4, names=("constant", "quadratic", "raises")).run()
    with pytest.raises(ResumeRefused, match="random_state: 0 → 1"):
        _search(tmp_path, 4, seed=1).run()


def test_a_run_folder_of_other_conditions_is_refused_naming_them(tmp_path) -> None:
    """What the evaluator's scores depend on beyond the data (a forecast's folds, covariates)
    is named, not taken for the same (review 56 B1)."""
    _search(tmp_path, 2, conditions={"search": {"folds": 2}, "known_future": []}).run()
    with pytest.raises(ResumeRefused, match=r"other settings \(known_future: \[\] → \[\"promo\"\]; "
                       r"search\.folds: 2 → 3\)"):
        _search(tmp_path, 4, conditions={"search": {"folds": 3}, "known_future": ["promo"]}).run()
    assert len(_search(tmp_path, 3, conditions={"search": {"folds": 2}, "known_future": []}).run()) == 3


def test_a_lost_record_is_not_numbered_again(tmp_path, caplog) -> None:
    """The highest trial's record damaged: its number was given to the next trial, whose record
    two Optuna trials then named, and the next resume crashed with a raw ValueError (review 56 B4)."""
    _search(tmp_path, 3).run()
    record = tmp_path / "run" / "trials" / "2.tsauto"
    record.write_bytes(record.read_bytes()[: record.stat().st_size // 2])
    with caplog.at_level(logging.WARNING):
        trials = _search(tmp_path, 3).run()
    assert "trial 2 of" in caplog.text and [t.number for t in trials] == [0, 1, 3]
    again = _search(tmp_path, 4)
    assert [t.number for t in again.run()] == [0, 1, 3, 4] and again.resumed == 3


def test_a_journal_cut_in_its_last_line_resumes(tmp_path, caplog) -> None:
    """kill -9 or a full disk in the middle of an append: the cut line is left out with a
    warning naming the file, not glued to the next append (a raw JSONDecodeError ever after,
    review 56 B5); a journal damaged elsewhere is refused naming it."""
    _search(tmp_path, 3).run()
    journal = tmp_path / "run" / "journal.log"
    journal.write_bytes(journal.read_bytes()[:-15])
    with caplog.at_level(logging.WARNING):
        assert len(_search(tmp_path, 4).run()) == 4
    assert f"{journal} ended in a line cut short" in caplog.text
    assert len(_search(tmp_path, 5).run()) == 5
    journal.write_bytes(b"{not json\n" + journal.read_bytes())
    with pytest.raises(ResumeRefused, match=rf"the journal {re.escape(repr(str(journal)))} is damaged \(.*delete run_dir"):
        _search(tmp_path, 6).run()


def test_an_unusable_run_folder_is_refused_before_the_search(tmp_path) -> None:
    """A file (a raw NotADirectoryError, review 56 B8), or a folder of other files and no
    search (``--run-dir .``, S4)."""
    (tmp_path / "run").write_text("x")
    with pytest.raises(DataValidationError, match=r"run_dir '.*run' is a file, not a folder"):
        _search(tmp_path, 2).run()
    (tmp_path / "run").unlink()
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / ".gitkeep").write_text("")  # a hidden file a folder keeps: not another's (review 57 S3)
    check_run_dir(tmp_path / "run")
    (tmp_path / "run" / "notes.txt").write_text("x")
    with pytest.raises(DataValidationError, match=r"holds files that are not a search's \(notes\.txt\) and no search"):
        _search(tmp_path, 2).run()


def test_a_run_folder_in_use_by_another_fit_is_refused(tmp_path) -> None:
    """Two fits on one folder wrote each other's records and failed each other's trials (review
    56 R1); an Optuna lock left by a fit killed while writing is removed, not waited 30 s for (R3)."""
    from tsauto.core import journal

    _search(tmp_path, 2).run()
    held = journal.RunDir(tmp_path / "run", "toy-data", _search(tmp_path, 2)._identity())
    held.open(None)
    try:
        with pytest.raises(ResumeRefused, match=rf"run_dir '.*run' is in use by another fit \(process {os.getpid()}\)"):
            _search(tmp_path, 3).run()
    finally:
        held.close()
    os.symlink("gone", tmp_path / "run" / "journal.log.lock")
    t0 = time.monotonic()
    assert len(_search(tmp_path, 3).run()) == 3 and time.monotonic() - t0 < 10


def test_an_interrupted_search_keeps_its_trials_and_resumes(tmp_path) -> None:
    search = _search(tmp_path, 10, d.ToyEvaluator(marker_dir=str(tmp_path), interrupt_after=4))
    trials = search.run()
    assert search.interrupted and len(trials) == 4 and _evaluations(tmp_path) == 4
    resumed = _search(tmp_path, 10)
    trials = resumed.run()
    assert resumed.resumed == 4 and not resumed.interrupted
    assert len(trials) == 10 and _evaluations(tmp_path) == 10


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


# seconds the Ctrl-C test waits for three finished trials: a second on an idle machine, but
# starting Python, the fork server and two workers that import tsauto takes minutes on a loaded
# CI machine; the wait ends as soon as the trials are there
TRIALS_WAIT = 300


def _signalled_search(tmp_path, send) -> tuple[subprocess.Popen, float]:
    """A long search in its own process (``engine_doubles.interrupted_search``, stdout and
    stderr in files of ``tmp_path``: a full pipe would stall it), sent ``send(proc)`` once three
    trials finished; the process and the seconds from the signal to its exit."""
    markers = tmp_path / "markers"
    markers.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(ROOT)])}
    with (tmp_path / "stdout.txt").open("w") as out, (tmp_path / "stderr.txt").open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", "import sys, engine_doubles; engine_doubles.interrupted_search(*sys.argv[1:])",
             str(tmp_path / "run"), str(markers)],
            stdout=out, stderr=err, env=env, start_new_session=True,
        )
    try:
        limit = time.monotonic() + TRIALS_WAIT
        while len(list(markers.glob("*.done"))) < 3 and time.monotonic() < limit and proc.poll() is None:
            time.sleep(0.2)
        finished = len(list(markers.glob("*.done")))
        if finished < 3:
            pytest.fail(f"{finished} of 3 trials finished in {TRIALS_WAIT}s:\n{(tmp_path / 'stderr.txt').read_text()}")
        sent = time.monotonic()
        send(proc)
        proc.wait(timeout=30)
        return proc, time.monotonic() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _worker_pids(tmp_path) -> set[int]:
    return {json.loads(p.read_text())["pid"] for p in (tmp_path / "markers").glob("*.done")}


def test_sigterm_stops_a_search_and_its_workers_and_keeps_its_trials(tmp_path) -> None:
    """``kill -TERM`` of the search's process alone (a process manager's or a CI job's stop):
    it exits with status 143 within seconds, no trial worker outlives it (they ran on, at 84 %
    of a core), and the run folder holds the finished trials for a resume."""
    proc, stopped = _signalled_search(tmp_path, lambda p: p.send_signal(signal.SIGTERM))
    assert proc.returncode == 143 and stopped < 10, (proc.returncode, stopped)
    time.sleep(1.0)  # a worker killed by the executor is gone at once; one left alone runs on
    assert not any(_alive(p) for p in _worker_pids(tmp_path)), "a worker outlived the search"
    resumed = Search(
        d.candidates("constant", "quadratic"), d.ToyEvaluator(),
        SearchSettings(max_trials=1, n_jobs=2, run_dir=tmp_path / "run"), Executor(backend="sequential"),
        fingerprint="toy",
    )
    assert len(resumed.run()) >= 2 and resumed.resumed >= 2


def test_ctrl_c_stops_a_search_and_keeps_the_best_trial(tmp_path) -> None:
    # as a terminal's Ctrl-C: to the search and its workers
    proc, stopped = _signalled_search(tmp_path, lambda p: os.killpg(p.pid, signal.SIGINT))
    out, err = (tmp_path / "stdout.txt").read_text(), (tmp_path / "stderr.txt").read_text()
    assert proc.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    # batches of two: the third trial started once the first two were recorded
    assert result["interrupted"] and 2 <= result["trials"] <= len(list((tmp_path / "markers").glob("*.done")))
    assert result["best"]["learner"] in ("constant", "quadratic")
    assert stopped < 10, f"{stopped:.1f}s from Ctrl-C to exit"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert not any(_alive(p) for p in _worker_pids(tmp_path)), "a worker outlived the search"
    # the run folder holds the finished trials: a new search resumes them
    resumed = Search(
        d.candidates("constant", "quadratic"), d.ToyEvaluator(),
        SearchSettings(max_trials=result["trials"] + 1, n_jobs=2, run_dir=tmp_path / "run"),
        Executor(backend="sequential"), fingerprint="toy",
    )
    trials = resumed.run()
    assert resumed.resumed == result["trials"] and len(trials) == result["trials"] + 1


def test_no_trial_is_proposed_without_time_to_start() -> None:
    """At the end of a small budget the time left fell within the executor's grace: each trial
    proposed then got no time, was told timed out before it started, and the next came at once
    (127 of 150 trials)."""
    settings = SearchSettings(time_budget=1.5)
    trials = Search(d.candidates("quadratic"), d.ToyEvaluator(sleep=0.05), settings, _PullRecorder()).run()
    assert not [t for t in trials if "before it could start" in t.reason]
    assert sum(t.status == "ok" for t in trials) >= 10  # the budget is still used


def test_a_small_space_that_scores_best_does_not_end_the_search() -> None:
    """The sampler, told again and again the good score of a repeat, kept proposing the two
    settings of ETS's ``damped``: the search stopped as "exhausted" with a minute of its budget
    left. A repeat now asks another learner, whose space is far from tried."""
    trials = Search(d.candidates("tiny", "quadratic"), d.ToyEvaluator(), SearchSettings(max_trials=30),
                    _PullRecorder()).run()
    assert len(trials) == 30
    assert sum(t.learner == "quadratic" for t in trials) >= 20
    assert min(t.score for t in trials) == 0.5


def test_a_learner_whose_trials_keep_failing_is_searched_no_more(caplog) -> None:
    """Under a tight memory_limit the sampler proposed a LightGBM that ran out of memory 83
    times (user test 55): it learns nothing from a failure. After FAILED_IN_A_ROW failures in a
    row the learner is proposed no more, with a warning, and the others get the trials."""
    with caplog.at_level(logging.WARNING, logger="tsauto.core.search"):
        trials = Search(d.candidates("brittle", "quadratic"), d.ToyEvaluator(), SearchSettings(max_trials=30),
                        _PullRecorder()).run()
    brittle = [t for t in trials if t.learner == "brittle"]
    assert len(brittle) == FAILED_IN_A_ROW and all(t.status == "failed" for t in brittle)
    assert len(trials) == 30 and min(t.score for t in trials if t.status == "ok") < 1.1
    assert f"brittle no longer searched: its last {FAILED_IN_A_ROW} trials failed" in caplog.text


def test_a_learner_given_up_stays_given_up_when_the_search_resumes(tmp_path) -> None:
    """Review 53: the failures in a row were counted from zero again on resuming a run folder,
    and the learner given up got 5 more failing trials."""
    names = ("brittle", "quadratic")
    first = _search(tmp_path, 20, names=names).run()
    assert sum(t.learner == "brittle" for t in first) == FAILED_IN_A_ROW
    trials = _search(tmp_path, 30, names=names).run()
    assert len(trials) == 30 and sum(t.learner == "brittle" for t in trials) == FAILED_IN_A_ROW


def test_a_success_resets_the_failures_in_a_row_and_a_timeout_neither_counts_nor_resets() -> None:
    """Review 53: only failures in a row give a learner up; a trial cut to its time says nothing."""
    from tsauto.core.search import Trial

    search = Search(d.candidates("brittle", "quadratic"), d.ToyEvaluator(), SearchSettings(max_trials=1),
                    Executor(backend="sequential"))
    for status in ["failed"] * (FAILED_IN_A_ROW - 1) + ["ok"] + ["failed"] * (FAILED_IN_A_ROW - 1):
        search._count_failure(Trial(0, "brittle", {}, status=status))
    assert "brittle" in search._open()  # the success began the count again
    search._count_failure(Trial(0, "brittle", {}, status="timeout"))
    assert "brittle" in search._open()
    search._count_failure(Trial(0, "brittle", {}, status="failed"))
    assert search._open() == ["quadratic"]


def test_parts_of_a_fit_never_share_a_run_folder(tmp_path) -> None:
    """Review 57: partition keys joined by commas met in one folder, ("a,b", "c") and ("a",
    "b,c"), and the second was refused; "Victoria" and "victoria" meet on a file system blind
    to case. Each key's folder carries a hash of the exact key."""
    joined = {part_run_dir(tmp_path, "partition", key) for key in [("a,b", "c"), ("a", "b,c")]}
    assert len(joined) == 2 and all(Path(p).name.startswith("partition-a,b,c-") for p in joined)
    cased = [Path(part_run_dir(tmp_path, "partition", (k,))).name.lower() for k in ("Victoria", "victoria")]
    assert cased[0] != cased[1]
    assert part_run_dir(tmp_path, "backtest", "2017-12-01") == part_run_dir(tmp_path, "backtest", "2017-12-01")


def test_a_run_folder_that_cannot_be_locked_is_not_called_in_use(tmp_path, monkeypatch) -> None:
    """Review 57 R2: a file system without locks (a network share) was reported as "in use by
    another fit (process <an old pid>)"; it says the folder cannot be locked, and why."""
    import errno

    import optuna

    from tsauto.core import journal

    def no_locks(fd, how):
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(journal.fcntl, "flock", no_locks)
    with pytest.raises(ResumeRefused, match=r"cannot be locked \(No locks available\): its file system may not "
                       r"support locks \(a network share\); give a local folder\."):
        journal.RunDir(tmp_path / "run", "abc", {}).open(optuna.samplers.RandomSampler(seed=0))

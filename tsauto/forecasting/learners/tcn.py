"""A global temporal convolutional network (TCN) trained on windows drawn from all series.

The network reads the last ``context_length`` values of a series through residual blocks of
dilated causal 1-D convolutions (dilations 1, 2, 4, ..., so that the receptive field covers the
context) and maps the last hidden state, plus a linear map of the context, to all ``horizon``
steps at once (direct multi-horizon output): a point forecast and one output per quantile of
``task.quantiles``, each learned as a correction of the seasonal-naive forecast (the output
layers start at zero, so an untrained network forecasts seasonal naive).

* Normalisation is per window: the context is centred on its mean and divided by its standard
  deviation; targets use the same numbers and forecasts are mapped back with them.
* Loss: pinball loss at 0.5 for the point forecast and at every quantile level. Each window is
  weighted back to the series' units and divided half by the series' mean absolute seasonal
  difference (MASE-like) and half by the window's level (relative, sMAPE-like): without it,
  regular series that seasonal naive already forecasts well get too little weight.
* Early stopping: the last ``horizon`` points of every series at least ``2 * horizon + 1`` long
  are held out (training windows never reach them); one validation window per series ends
  there. An exponential moving average of the weights is evaluated after every epoch and the
  best one is kept (the seasonal-naive start included).
* Length: at most ``max_epochs`` epochs, by default as many as an epoch's work (its windows,
  the context, the blocks and the channels) lets fit in about ``EPOCH_SECONDS`` on one core: a
  count, not the clock, so that the same data and ``random_state`` give the same network on any
  machine and under any load. ``max_time`` (off by default) and ``task.deadline`` (a time
  budget) also stop training, keeping the best weights.
* Series shorter than the context are left-padded with their first value; gaps are carried
  forward.
* Known-future, past and static covariates and the calendar are not used in this version.

:meth:`TCNLearner.predict` reads the last context window of every series of ``history``, so a
fitted model forecasts from newer data without refitting. The fitted state is a ``state_dict``
of CPU tensors plus a :class:`NetConfig`, so it pickles whatever device trained it; torch is
imported only when a network is fitted or used.
"""

from __future__ import annotations

import logging
import math
import time
from types import SimpleNamespace
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from tsauto.forecasting.panel import Panel
from tsauto.core.exceptions import DataValidationError
from tsauto.core.arrays import ranges
from tsauto.forecasting.metrics import normalising_scale
from tsauto.forecasting.learners.base import Forecast, Learner, LearnerTags, Task

if TYPE_CHECKING:  # torch loads only when a TCN is fitted or used
    import torch

log = logging.getLogger(__name__)

MAX_LEVELS = 10
MAX_CONTEXT = 512
EMA_DECAY = 0.99  # per step, of the weight average that is evaluated and kept
# max_epochs="auto": the epochs that an epoch's estimated seconds (below) let fit in EPOCH_SECONDS,
# within [MIN_EPOCHS, MAX_EPOCHS]. 60 s was the clock limit (max_time) before 2026-12-06, which made
# two fits of the same data differ (0.8 % median, up to 7 %, by how far each got).
EPOCH_SECONDS = 60.0
MIN_EPOCHS, MAX_EPOCHS = 5, 100  # 5 epochs of the largest default network (context 512): about 41 s
# One epoch of 8,192 windows on one core (2026-12-06, M4 Hourly, channels 32, kernel 3): 1.27 s at
# context 48 and 4 blocks, 2.23 s at 168 and 6, 8.3 s at 512 and 7; 7.2 / 1.5 s at 168 with 64 / 16
# channels. Seconds = a + b * context * blocks * (channels / 32) ** 2 * kernel / 3, fitted by least
# squares, is within 20 % of each (M4 Hourly's default network: 2.67 s, so 22 epochs at most).
EPOCH_FIXED_SECONDS, EPOCH_WORK_SECONDS = 0.88, 0.00178
EPOCH_WINDOWS = 8192
_EPS = 1e-8


@dataclass(frozen=True)
class NetConfig:
    """Everything needed to rebuild the network from its ``state_dict``."""

    context: int
    horizon: int
    n_outputs: int  # 1 (point) + number of quantiles
    channels: int
    levels: int
    kernel_size: int
    dropout: float
    season: int = 1  # the output is learned as a correction of the seasonal-naive forecast


class TCNLearner(Learner):
    """Global dilated causal convolutional forecaster (direct multi-horizon, quantile outputs).

    Parameters
    ----------
    context_length:
        Input window length, or ``"auto"``: ``max(7 * season, 3 * horizon)`` (at most 512 and
        the median series length less ``horizon``; at least ``horizon``).
    channels:
        Hidden channels of every convolution.
    levels:
        Residual blocks of two convolutions each (dilations ``1, 2, ..., 2 ** (levels - 1)``),
        or ``"auto"``: the fewest whose receptive field covers the context.
    kernel_size:
        Width of every convolution (2 or 3 are usual).
    dropout:
        Dropout after every convolution.
    learning_rate, batch_size:
        Adam step size and windows per gradient step (small batches: more steps per second
        of CPU time, which is what limits training here).
    max_epochs, patience:
        At most ``max_epochs`` epochs, or ``"auto"``: as many as an epoch's work lets fit in
        about ``EPOCH_SECONDS`` on one core (5 to 100); stop after ``patience`` epochs without a
        better validation loss.
    max_time:
        Seconds of training at most, or ``None`` (the default: no limit besides
        ``task.deadline``). A clock limit makes fits depend on the machine's speed and load.
    windows_per_epoch:
        Training windows drawn per epoch (series uniformly, then an end point uniformly).
    device:
        ``"auto"`` (CUDA when available, else CPU), ``"cpu"`` or ``"cuda"``.
    """

    name = "tcn"
    # one fit on M1 monthly's training part (617 series): 15.0 s on 1 thread, 12.1 s on 2
    tags = LearnerTags(kind="global", native_quantiles=True, thread_gain=0.25, fit_seconds=EPOCH_SECONDS,
                       keeps_fold_fit=True)

    def __init__(
        self,
        context_length: int | Literal["auto"] = "auto",
        channels: int = 32,
        levels: int | Literal["auto"] = "auto",
        kernel_size: int = 3,
        dropout: float = 0.0,
        learning_rate: float = 3e-3,
        batch_size: int = 64,
        max_epochs: int | Literal["auto"] = "auto",
        patience: int = 5,
        max_time: float | None = None,
        windows_per_epoch: int = 8192,
        device: str = "auto",
    ):
        self.context_length = context_length
        self.channels = channels
        self.levels = levels
        self.kernel_size = kernel_size
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.max_time = max_time
        self.windows_per_epoch = windows_per_epoch
        self.device = device

    def min_length(self, task: Task) -> int:
        return task.horizon + 3

    # ------------------------------------------------------------------ fit

    def _fit(self, panel: Panel, task: Task) -> None:
        import torch

        start = time.monotonic()
        self._check_params()
        stop_at = start + task.time_left()
        if self.max_time is not None:
            stop_at = min(stop_at, start + float(self.max_time))
        context = self._context(panel, task)
        levels = self._levels(context)
        quantiles = tuple(sorted(task.quantiles))
        self.quantiles_ = quantiles
        self.config_ = NetConfig(
            context=context,
            horizon=task.horizon,
            n_outputs=1 + len(quantiles),
            channels=int(self.channels),
            levels=levels,
            kernel_size=int(self.kernel_size),
            dropout=float(self.dropout),
            season=task.season if 1 < task.season <= context else 1,
        )
        device = _device(self.device)
        threads = torch.get_num_threads()
        deterministic = torch.are_deterministic_algorithms_enabled()
        fork_devices = [device.index or 0] if device.type == "cuda" else []
        try:
            torch.set_num_threads(_threads(task.n_jobs))
            torch.use_deterministic_algorithms(True, warn_only=True)
            with torch.random.fork_rng(devices=fork_devices):
                torch.manual_seed(task.random_state)
                result = _train(self, panel, task, device, quantiles, stop_at)
        finally:
            torch.set_num_threads(threads)
            torch.use_deterministic_algorithms(deterministic)
        self.state_, self.epochs_, self.best_epoch_, self.best_loss_ = result
        self.fit_time_ = time.monotonic() - start
        log.debug(  # once per fit: per trial and fold in a search
            "tcn: %d of at most %d epochs (best %d, validation loss %.4f) in %.1f s on %s",
            self.epochs_,
            self._max_epochs(),
            self.best_epoch_,
            self.best_loss_,
            self.fit_time_,
            device,
        )

    def _check_params(self) -> None:
        if int(self.kernel_size) < 2:
            raise DataValidationError(f"kernel_size={self.kernel_size}: use 2 or more.")
        for name in ("channels", "batch_size", "max_epochs", "windows_per_epoch"):
            if name == "max_epochs" and self.max_epochs == "auto":
                continue
            if int(getattr(self, name)) < 1:
                raise DataValidationError(
                    f"{name}={getattr(self, name)}: use a positive integer."
                )
        if not 0.0 <= float(self.dropout) < 1.0:
            raise DataValidationError(f"dropout={self.dropout}: use a value in [0, 1).")

    def _context(self, panel: Panel, task: Task) -> int:
        if self.context_length != "auto":
            if int(self.context_length) < 1:
                raise DataValidationError(
                    f"context_length={self.context_length}: use a positive integer or 'auto'."
                )
            return int(self.context_length)
        wanted = min(max(7 * task.season, 3 * task.horizon), MAX_CONTEXT)
        typical = int(np.median(panel.lengths)) - task.horizon
        return int(max(min(wanted, typical), task.horizon, 2))

    def _levels(self, context: int) -> int:
        if self.levels != "auto":
            if int(self.levels) < 1:
                raise DataValidationError(
                    f"levels={self.levels}: use a positive integer or 'auto'."
                )
            return int(self.levels)
        k = int(self.kernel_size)
        for levels in range(1, MAX_LEVELS + 1):
            if receptive_field(k, levels) >= context:
                return levels
        return MAX_LEVELS

    def _max_epochs(self) -> int:
        """``max_epochs``, or where ``"auto"`` the epochs :func:`epoch_seconds` lets fit in
        ``EPOCH_SECONDS`` for the network of ``config_``."""
        if self.max_epochs != "auto":
            return int(self.max_epochs)
        affordable = int(EPOCH_SECONDS / epoch_seconds(self.config_, int(self.windows_per_epoch)))
        return min(max(affordable, MIN_EPOCHS), MAX_EPOCHS)

    # ------------------------------------------------------------------ predict

    def _predict(self, history: Panel, future: dict[str, np.ndarray]) -> Forecast:
        import torch

        cfg = self.config_
        windows = _tail_windows(history.y, history.indptr, cfg.context)
        net = _build(cfg)
        net.load_state_dict(self.state_)
        net.eval()
        out = np.empty((history.n_series, cfg.horizon, cfg.n_outputs))
        step = 4096
        with torch.no_grad():
            for lo in range(0, len(windows), step):
                x = windows[lo : lo + step]
                loc, scale = _norm_stats(x)
                z = torch.from_numpy(((x - loc) / scale).astype(np.float32))
                pred = net(z).numpy().astype(np.float64)
                out[lo : lo + step] = pred * scale[:, :, None] + loc[:, :, None]
        quantiles = {}
        if self.quantiles_:
            block = np.sort(out[:, :, 1:], axis=2)  # no crossing: sort the levels in each cell
            quantiles = {q: block[:, :, i] for i, q in enumerate(self.quantiles_)}
        return Forecast(out[:, :, 0], quantiles)


def epoch_seconds(cfg: NetConfig, windows: int) -> float:
    """Estimated seconds of one training epoch of ``windows`` windows on one core."""
    work = cfg.context * cfg.levels * (cfg.channels / 32) ** 2 * cfg.kernel_size / 3
    return windows / EPOCH_WINDOWS * (EPOCH_FIXED_SECONDS + EPOCH_WORK_SECONDS * work)


def receptive_field(kernel_size: int, levels: int) -> int:
    """Steps seen by the last output of ``levels`` blocks of two dilated convolutions each."""
    return 1 + 2 * (kernel_size - 1) * (2**levels - 1)


# ---------------------------------------------------------------------- training


def _train(
    learner: TCNLearner,
    panel: Panel,
    task: Task,
    device: "torch.device",
    quantiles: tuple[float, ...],
    stop_at: float,
) -> tuple[dict[str, "torch.Tensor"], int, int, float]:
    """Train with early stopping; returns (best CPU state_dict, epochs, best epoch, best loss)."""
    import torch

    cfg: NetConfig = learner.config_
    rng = np.random.default_rng(task.random_state)
    y = _fill_flat(panel.y, panel.indptr)
    starts, lengths = panel.indptr[:-1], panel.lengths
    horizon, context = cfg.horizon, cfg.context
    # validation: the last horizon points of series long enough to keep a training window too
    has_val = lengths >= 2 * horizon + 1
    train_len = np.where(has_val, lengths - horizon, lengths)
    n_ends = train_len - horizon  # end points e in [1, n_ends]: context y[e-C:e], target y[e:e+H]
    train_series = np.flatnonzero(n_ends >= 1)
    if len(train_series) == 0:
        raise DataValidationError(
            f"tcn: every series is shorter than horizon + 1 = {horizon + 1} observations."
        )
    scale = _series_scale(y, panel.indptr, train_len, task.season)
    val_series = np.flatnonzero(has_val)
    # reference windows (the validation ones, else a sample) balance the two loss weights
    if len(val_series):
        ref_series, ref_ends = val_series, lengths[val_series] - horizon
    else:
        ref_series = train_series[rng.integers(0, len(train_series), 1024)]
        ref_ends = 1 + (rng.random(1024) * n_ends[ref_series]).astype(np.int64)
    x_ref, _ = _gather(y, starts[ref_series], ref_ends, context, horizon)
    balance = _balance(x_ref, scale[ref_series])
    val = _batch(y, starts, val_series, lengths[val_series] - horizon, scale, balance, cfg, device)

    net = _build(cfg).to(device)
    avg = _build(cfg).to(device)  # exponential moving average of the weights: what is kept
    avg.load_state_dict(net.state_dict())
    params, avg_params = list(net.parameters()), list(avg.parameters())
    opt = torch.optim.Adam(params, lr=float(learner.learning_rate))
    levels_t = torch.tensor((0.5, *quantiles), dtype=torch.float32, device=device)
    batch = int(learner.batch_size)
    steps = max(1, math.ceil(int(learner.windows_per_epoch) / batch))
    max_epochs = learner._max_epochs()
    best_state = _cpu_state(avg)  # the seasonal-naive forecast until training beats it
    best_loss = _evaluate(avg, val, levels_t) if len(val_series) else math.inf
    best_epoch, bad, epoch = 0, 0, 0
    for epoch in range(1, max_epochs + 1):
        net.train()
        out_of_time = False
        for _ in range(steps):
            if time.monotonic() >= stop_at:
                out_of_time = True
                break
            series = train_series[rng.integers(0, len(train_series), batch)]
            ends = 1 + (rng.random(batch) * n_ends[series]).astype(np.int64)
            xb, yb, wb = _batch(y, starts, series, ends, scale, balance, cfg, device)
            loss = _pinball(net(xb), yb, wb, levels_t)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            with torch.no_grad():
                torch._foreach_lerp_(avg_params, params, 1.0 - EMA_DECAY)
        if not len(val_series):  # nothing held out: keep the latest weights
            best_state, best_epoch = _cpu_state(avg), epoch
        else:
            loss_val = _evaluate(avg, val, levels_t)
            log.debug("tcn epoch %d: validation loss %.4f", epoch, loss_val)
            if loss_val < best_loss:
                best_state, best_loss, best_epoch, bad = _cpu_state(avg), loss_val, epoch, 0
            else:
                bad += 1
            if bad >= int(learner.patience):
                break
        if out_of_time:
            log.info("tcn: time limit reached in epoch %d", epoch)
            break
    return best_state, epoch, best_epoch, float(best_loss)


def _evaluate(
    net: "torch.nn.Module",
    val: tuple["torch.Tensor", "torch.Tensor", "torch.Tensor"],
    levels: "torch.Tensor",
) -> float:
    import torch

    net.eval()
    total = 0.0
    with torch.no_grad():
        for lo in range(0, len(val[0]), 4096):
            xb, yb, wb = (t[lo : lo + 4096] for t in val)
            total += float(_pinball(net(xb), yb, wb, levels)) * len(xb)
    return total / len(val[0])


def _pinball(
    pred: "torch.Tensor", target: "torch.Tensor", weight: "torch.Tensor", levels: "torch.Tensor"
) -> "torch.Tensor":
    """Mean weighted pinball loss of (B, H, Q) predictions at ``levels`` (Q,) of (B, H) targets."""
    err = target.unsqueeze(-1) - pred
    return ((levels * err).maximum((levels - 1.0) * err) * weight[:, :, None]).mean()


def _batch(
    y: np.ndarray,
    starts: np.ndarray,
    series: np.ndarray,
    ends: np.ndarray,
    scale: np.ndarray,
    balance: tuple[float, float],
    cfg: NetConfig,
    device: "torch.device",
) -> tuple["torch.Tensor", "torch.Tensor", "torch.Tensor"]:
    """Normalised context and target of windows ending at ``ends``, and their loss weights.

    Inputs and targets are scaled by the context's mean and std; the weight turns an error in
    those units back into the series' seasonal-naive scale (a MASE-like loss), so that regular
    series, which seasonal naive forecasts well, are not neglected.
    """
    import torch

    x, target = _gather(y, starts[series], ends, cfg.context, cfg.horizon)
    loc, std = _norm_stats(x)
    weight = _weights(x, std, scale[series], balance)
    return (
        torch.from_numpy(((x - loc) / std).astype(np.float32)).to(device),
        torch.from_numpy(((target - loc) / std).astype(np.float32)).to(device),
        torch.from_numpy(weight.astype(np.float32)).to(device),
    )


def _weights(
    x: np.ndarray, std: np.ndarray, scale: np.ndarray, balance: tuple[float, float]
) -> np.ndarray:
    """Per-window loss weights (n, 1): a scaled (MASE-like) plus a relative (sMAPE-like) term."""
    level = np.maximum(np.abs(x).mean(axis=1, keepdims=True), _EPS)
    return balance[0] * std / scale[:, None] + balance[1] * std / level


def _balance(x: np.ndarray, scale: np.ndarray) -> tuple[float, float]:
    """Factors giving both weight terms a mean of 1/2 over the reference windows ``x``."""
    _, std = _norm_stats(x)
    level = np.maximum(np.abs(x).mean(axis=1, keepdims=True), _EPS)
    scaled, relative = np.mean(std / scale[:, None]), np.mean(std / level)
    return 0.5 / max(float(scaled), _EPS), 0.5 / max(float(relative), _EPS)


def _series_scale(
    y: np.ndarray, indptr: np.ndarray, lengths: np.ndarray, season: int
) -> np.ndarray:
    """The normalising scale (:func:`~tsauto.forecasting.metrics.normalising_scale`) of the
    first ``lengths`` values of every series."""
    head = ranges(indptr[:-1], lengths)
    sub = SimpleNamespace(
        y=y[head], indptr=np.concatenate([[0], np.cumsum(lengths)]), lengths=np.asarray(lengths)
    )
    return normalising_scale(sub, season)


def _norm_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of every window (rows of ``x``), as (n, 1) columns."""
    loc = x.mean(axis=1, keepdims=True)
    scale = x.std(axis=1, keepdims=True)
    floor = np.maximum(1e-3 * np.abs(loc), _EPS)
    return loc, np.where(scale > floor, scale, np.maximum(np.abs(loc), 1.0))


def _gather(
    y: np.ndarray, starts: np.ndarray, ends: np.ndarray, context: int, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """Context ``y[e-C:e]`` (left-padded with the first value) and target ``y[e:e+H]``."""
    offsets = np.arange(-context, horizon)
    idx = starts[:, None] + np.maximum(ends[:, None] + offsets[None, :], 0)
    block = y[idx]
    return block[:, :context], block[:, context:]


def _tail_windows(y: np.ndarray, indptr: np.ndarray, context: int) -> np.ndarray:
    """The last ``context`` values of every series, gaps filled, left-padded with the first."""
    filled = _fill_flat(np.asarray(y, dtype=np.float64), indptr)
    lengths = np.diff(indptr)
    if np.any(lengths < 1):
        raise DataValidationError("tcn: every series of the history needs an observation.")
    x, _ = _gather(filled, indptr[:-1], lengths, context, 0)
    return x


def _fill_flat(y: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Missing values carried forward within each series, leading ones filled backward."""
    y = np.asarray(y, dtype=np.float64)
    missing = ~np.isfinite(y)
    if not missing.any():
        return y.copy()
    n = len(y)
    codes = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    idx = np.where(missing, -1, np.arange(n))
    last = np.maximum.accumulate(idx)
    ok = (last >= 0) & (codes[np.maximum(last, 0)] == codes)
    out = np.where(ok, y[np.maximum(last, 0)], np.nan)
    # leading gaps: next observation of the same series
    idx_b = np.where(missing, n, np.arange(n))
    nxt = np.minimum.accumulate(idx_b[::-1])[::-1]
    ok_b = (nxt < n) & (codes[np.minimum(nxt, n - 1)] == codes)
    out = np.where(np.isfinite(out), out, np.where(ok_b, y[np.minimum(nxt, n - 1)], 0.0))
    return out


def _cpu_state(net: "torch.nn.Module") -> dict[str, "torch.Tensor"]:
    return {k: v.detach().to("cpu", copy=True) for k, v in net.state_dict().items()}


def _device(spec: str) -> "torch.device":
    import torch

    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if spec not in ("cpu", "cuda") and not spec.startswith("cuda:"):
        raise DataValidationError(f"device={spec!r}: use 'auto', 'cpu' or 'cuda'.")
    return torch.device(spec)


def _threads(n_jobs: int | None) -> int:  # noqa: ARG001 - one thread whatever n_jobs
    """Torch threads on the CPU: one. The network's small convolutions gain little from more,
    and a multi-threaded job beside any other busy process slows down many times (measured
    on M4 Hourly: 35-53 ms a step on one thread, 500-700 ms on two with the other core busy)."""
    return 1


# ---------------------------------------------------------------------- network


def _build(cfg: NetConfig) -> Any:
    """The network of ``cfg`` (torch classes are defined on first use)."""
    return _classes()["TCN"](cfg)


_CLASSES: dict[str, type] = {}


def _classes() -> dict[str, type]:
    if _CLASSES:
        return _CLASSES
    import torch
    from torch import nn
    from torch.nn import functional as F

    class Block(nn.Module):
        """Two causal convolutions (on a dilated grid, see ``TCN``) with a residual connection."""

        def __init__(self, c_in: int, c_out: int, kernel: int, dropout: float):
            super().__init__()
            self.pad = kernel - 1
            self.conv1 = nn.Conv1d(c_in, c_out, kernel)
            self.conv2 = nn.Conv1d(c_out, c_out, kernel)
            self.drop = nn.Dropout(dropout)
            self.skip = nn.Conv1d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.drop(F.gelu(self.conv1(F.pad(x, (self.pad, 0)))))
            h = self.drop(F.gelu(self.conv2(F.pad(h, (self.pad, 0)))))
            return F.gelu(h + self.skip(x))

    class TCN(nn.Module):
        """Dilated causal residual blocks; last hidden state + linear skip → (B, H, Q).

        Only the last time step's hidden state is used, and block ``l`` (dilation ``2**l``)
        feeds it only through the steps ``T, T - 2**l, T - 2 * 2**l, ...``: so instead of dilating
        the kernels, every block after the first keeps every other step of its input (aligned on
        the last one) and convolves it with dilation 1. Same outputs, about ``levels / 2`` times
        less work than evaluating every step.
        """

        def __init__(self, cfg: NetConfig):
            super().__init__()
            self.horizon, self.n_outputs = cfg.horizon, cfg.n_outputs
            blocks, c_in = [], 1
            for _ in range(cfg.levels):
                blocks.append(Block(c_in, cfg.channels, cfg.kernel_size, cfg.dropout))
                c_in = cfg.channels
            self.blocks = nn.ModuleList(blocks)
            self.head = nn.Linear(cfg.channels, cfg.horizon * cfg.n_outputs)
            self.linear = nn.Linear(cfg.context, cfg.horizon * cfg.n_outputs)
            for layer in (self.head, self.linear):  # start from the seasonal-naive forecast
                nn.init.zeros_(layer.weight)
                nn.init.zeros_(layer.bias)
            steps = torch.arange(cfg.horizon) % cfg.season + cfg.context - cfg.season
            self.register_buffer("anchor", steps, persistent=False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = x.unsqueeze(1)
            for level, block in enumerate(self.blocks):
                if level:
                    h = h[:, :, (h.shape[2] - 1) % 2 :: 2]
                h = block(h)
            out = self.head(h[:, :, -1]) + self.linear(x)
            return out.view(-1, self.horizon, self.n_outputs) + x[:, self.anchor].unsqueeze(-1)

    _CLASSES.update(Block=Block, TCN=TCN)
    return _CLASSES

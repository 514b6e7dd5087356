"""Training (Algorithm 1), live: a toy ε_θ trained in the browser by the Trainer that `python -m reference.training.ddpm` runs,
with its loss curve and DDIM samples from the EMA model as it learns."""
import time

import streamlit as st
import torch

import reference
from lab_app.figures import common, training as figures_training
from lab_app.server.training import TrainingRun
from lab_app.ui.fragments import fragment
from lab_app.ui.show_code import show_code
from lab_app.views import shared, training as training_view
from lab_app.views.training import DEFAULTS
from reference.checkpoints import TOY_DDIM_CLIP
from reference.data import TOY_DATASETS
from reference.data import TOY_HELDOUT_SEED
from reference.training import LossLog, TrainConfig, Trainer, train

STATE = "training_run"  # the session's TrainingRun
UPDATE_S = 0.4  # the live view's redraws: a few per second leave the thread most of the time
SCHEDULES = ("cosine", "linear")
WIDTHS = (32, 64, 128, 256)
BATCH_SIZES = (32, 64, 128, 256, 512)
MAX_STEPS = 20_000
EMA_DECAY = 0.995  # as the shipped 64×3 toy models
SAMPLES_N, DDIM_STEPS = 500, 20  # each snapshot: 500 points by 20 DDIM steps, a few ms
DATA_N = 1000  # held-out points drawn under the samples
LOSS_HEIGHT = 420  # as the samples' scatter beside it

st.title("Training (Algorithm 1)")
st.markdown(r"Ho et al. (2020) train $\varepsilon_\theta$ by one short loop (Algorithm 1). Timesteps are the paper's "
            r"$t = 1, \dots, T$; the code draws its index $t - 1$ from $0, \dots, T-1$.")
st.latex(r"""\begin{array}{l}
\textbf{repeat} \\
\quad x_0 \sim q(x_0) \\
\quad t \sim \operatorname{Uniform}(\{1, \dots, T\}) \\
\quad \varepsilon \sim \mathcal{N}(0, I) \\
\quad \text{take a gradient descent step on} \\
\qquad \nabla_\theta \big\| \varepsilon - \varepsilon_\theta\big(\sqrt{\bar\alpha_t}\,x_0
+ \sqrt{1-\bar\alpha_t}\,\varepsilon,\ t\big) \big\|^2 \\
\textbf{until } \text{converged}
\end{array}""")
st.markdown(r"The squared error, averaged over the batch and the dimensions, is $L_\text{simple}$ (eq. 14). As in "
            r"Ho et al.'s code, the step is Adam's with the gradient's norm clipped at 1, and samples come from an "
            r"exponential moving average of the weights, $\theta_\text{EMA} \leftarrow d\,\theta_\text{EMA} + "
            r"(1-d)\,\theta$. Start trains a residual MLP (3 layers) on a 2-D data set in this session: the curve "
            r"shows $L_\text{simple}$ as it falls, and every $N$ steps the EMA model draws samples by DDIM "
            rf"({DDIM_STEPS} steps, always from the same $x_T$) over the data. Stop and Resume continue from the "
            r"same step, the same batches and the same weights.")

# 1. Read the widgets.
a, b, c, d = st.columns(4)
data = a.selectbox("2-D data set", TOY_DATASETS, index=TOY_DATASETS.index(DEFAULTS.data), key="training_data")
schedule = b.radio("Schedule", SCHEDULES, index=SCHEDULES.index(DEFAULTS.schedule), horizontal=True,
                   key="training_schedule")
T = c.number_input("T (number of steps)", value=DEFAULTS.T, step=100, max_value=10_000, key="training_T")
width = d.selectbox("MLP width (hidden units)", WIDTHS, index=WIDTHS.index(DEFAULTS.width), key="training_width")
a, b, c, d, e = st.columns(5)
lr = a.number_input("learning rate", value=DEFAULTS.lr, min_value=0.0, max_value=0.1, step=5e-4, format="%.4f",
                    key="training_lr")
batch_size = b.selectbox("batch size", BATCH_SIZES, index=BATCH_SIZES.index(DEFAULTS.batch_size),
                         key="training_batch_size")
total = c.number_input("total steps", value=DEFAULTS.total, min_value=1, max_value=MAX_STEPS, step=500,
                       key="training_steps")
every = d.number_input("samples every N steps", value=DEFAULTS.every, min_value=50, max_value=MAX_STEPS, step=50,
                       key="training_every")
seed = e.number_input("seed", value=DEFAULTS.seed, min_value=0, step=1, key="training_seed")

# 2. Let the reference validate: the same TrainConfig the command line builds.
try:
    cfg = TrainConfig(data=data, out=f"runs/{data}_live", schedule=schedule, T=int(T), steps=int(total),
                      seed=int(seed), batch_size=int(batch_size), lr=float(lr), ema_decay=EMA_DECAY,
                      model_config={"hidden": int(width)}, threads=torch.get_num_threads())
except ValueError as e:
    st.error(str(e))
    st.stop()


def start(cfg: TrainConfig, every: int) -> None:
    """A new run from step 0 with the widgets' settings, replacing the session's previous one."""
    if (old := st.session_state.get(STATE)) is not None:
        old.stop()
    run = TrainingRun(Trainer(cfg), total=cfg.steps, sample_every=every, n_samples=SAMPLES_N,
                      ddim_steps=DDIM_STEPS, clip_x0=TOY_DDIM_CLIP, slots=training_view.training_slots())
    st.session_state[STATE] = run
    run.start()


def stop() -> None:
    st.session_state[STATE].stop()


def resume(total: int, every: int) -> None:
    """Continue the session's run from its step, to the widgets' total (its other settings stay its own)."""
    run = st.session_state[STATE]
    run.total, run.sample_every = total, every
    run.start()


# 3. The session's run: Start, Stop and Resume act on it in their callbacks, before the page is drawn.
run: TrainingRun | None = st.session_state.get(STATE)
running = run is not None and run.running
a, b, c, d = st.columns([1, 1, 1, 3], vertical_alignment="center")
a.button("Start", type="primary", on_click=start, args=(cfg, int(every)), disabled=running, key="training_start",
         help="a new run from step 0 with the settings above")
b.button("Stop", on_click=stop, disabled=not running, key="training_stop")
can_resume = run is not None and not running and run.error is None and run.steps_done < int(total)
c.button("Resume", on_click=resume, args=(int(total), int(every)), disabled=not can_resume, key="training_resume",
         help="continue this run from its step to the total steps above")
if run is not None:
    rc = run.trainer.cfg
    d.caption(f"This run: {rc.data}, {rc.schedule} schedule, T = {rc.T}, MLP {rc.model_spec[1]['hidden']}×"
              f"{rc.model_spec[1]['layers']}, learning rate {rc.lr:g}, batch {rc.batch_size}, seed {rc.seed}, on "
              f"{reference.device_name(run.trainer.device)}. Start applies changed settings as a new run.")


def live_view(run: TrainingRun | None, live: bool) -> None:
    """The loss curve, the latest samples and the counters: a fragment, redrawn every UPDATE_S seconds while the
    thread trains, so that the rest of the page stays as it is."""
    if run is None:
        st.info("Press Start to train. The samples below will move from the Gaussian prior onto the data.")
        st.plotly_chart(common.scatter_2d({"data": shared.toy_data(data, DATA_N, TOY_HELDOUT_SEED)},
                                           f"The data ({data})", lim=4.0, height=LOSS_HEIGHT), key="fig_training_data")
        return
    run.seen = time.monotonic()
    rows, snapshots = list(run.rows), list(run.snapshots)  # the thread appends as we read
    if run.error:
        st.error(f"Training stopped: {run.error}")
    elif (ahead := run.waiting_ahead) is not None:
        st.info(f"Waiting for a free training slot ({run.slots.limit} run{'s' if run.slots.limit > 1 else ''} train at "
                f"once on this server): {ahead} run{'' if ahead == 1 else 's'} ahead of yours.")
    elif run.paused_idle:
        st.warning("Paused: the page was not open. Resume continues from the same step.")
    counters = st.columns(4)
    counters[0].metric("step", f"{run.steps_done} of {run.total}")
    rate = run.steps_per_second()
    counters[1].metric("steps per second", "—" if rate is None else f"{rate:.0f}",
                       help="steps of Algorithm 1 per second of their own time, sampling and drawing left out")
    counters[2].metric(r"$L_\text{simple}$, last 10 steps", f"{rows[-1][1]:.3f}" if rows else "—")
    counters[3].metric("samples from step", snapshots[-1].step if snapshots else "—")
    left, right = st.columns(2)
    loss_data, loss_spec = figures_training.loss_curve([r[0] for r in rows], [r[1] for r in rows])
    # keyed Vega-Lite: each redraw swaps the rows into the drawn chart (lab_app/figures/training.py)
    left.vega_lite_chart(loss_data, loss_spec, height=LOSS_HEIGHT, key="fig_training_loss")
    if snapshots:
        shown, figure_slot = snapshots[-1], right.container()  # the slider, when there is one, goes under the figure
        if not live and len(snapshots) > 1:
            i = right.select_slider("samples after step", options=list(range(len(snapshots))),
                                    value=len(snapshots) - 1, format_func=lambda j: str(snapshots[j].step),
                                    key=f"training_snapshot_{len(snapshots)}")
            shown = snapshots[i]
        backdrop = shared.toy_data(run.trainer.cfg.data, DATA_N, TOY_HELDOUT_SEED)
        figure_slot.plotly_chart(common.scatter_2d({"samples (EMA model, DDIM)": shown.x0, "data": backdrop},
                                                    f"Samples after {shown.step} steps", lim=4.0, height=LOSS_HEIGHT,
                                                    reference="data"), key="fig_training_samples")
        if shown.step == 0:
            figure_slot.caption(r"Step 0, the untrained model: DDIM clips its $\hat x_0$ to $\pm 4$, so its samples "
                                "land on the edges of the box.")
    if live and not run.running:
        st.rerun()  # finished or stopped by itself: redraw the buttons and end the timed redraws


fragment(live_view, run_every=UPDATE_S if running else None)(run, running)

st.markdown("The same run from the command line: the same `Trainer`, so its `.loss.csv` holds the rows of the curve "
            "above and its EMA weights are this run's, bit for bit, on the same device and thread count.")
st.code(cfg.command(), language="bash", wrap_lines=True)
show_code(Trainer, label="Show the code: Algorithm 1 (reference.training.Trainer)")
show_code(train, LossLog, label="Show the code: the command line's loop and the loss log")
show_code(reference.sample_ddim, reference.ddim_steps, label="Show the code: the samples (DDIM)")

"""Course mode (issue 27, item 5): with assignments open, does no page show the code that answers their graded tasks,
and do the panels show the equations instead? With the setting off, is the code shown as before? Does a misspelt
assignment name stop the lab with an error naming it? Does lab_app/ui/course_answers.py stay in step with the task
specs the graders grade by?

Every page is opened once in course mode (a module fixture: 30–50 s on this project's 2-core machine under load),
with small batches where a page samples, as the other page tests open them.
"""
import ast
import inspect
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from course import ROOT, solution_sources
from test_app import _keep_torch_threads, errors, open_page  # noqa: F401 (autouse fixture)

import lab_app.ui.show_code
import reference
from graders.engine.cases import PUBLIC_SEED
from graders.engine.tasks import ASSIGNMENTS
from lab_app.ui import course_mode
from lab_app.ui.course_answers import ANSWERS
from lab_app.server.settings import settings

REFERENCE = str(Path(reference.__file__).parent)
BOTH = ",".join(ASSIGNMENTS)
PAGES = {  # page -> session state that keeps it quick
    None: {}, "schedule": {}, "forward": {"forward_n": 200}, "posterior": {},
    "elbo": {"elbo_n_moons": 1, "elbo_variances": ["fixed_large"]}, "mhvae": {"mhvae_n_moons": 8},
    "predictions": {"predictions_n_moons": 64}, "training": {}, "sampling": {"sampling_n_moons": 50},
    "sampling DDIM": {"sampling_n_moons": 50, "sampling_sampler_points": "ddim"}, "conditioning": {},
    "network": {}, "latent": {"latent_n": 16}, "families": {},
}
CITED = {  # task -> where its formula comes from, which the equation shown in its place must cite
    "q_sample": "eq. 4", "posterior_mean": "eq. 7", "eps_loss": "eq. 14", "sample_loop": "Algorithm 2",
    "kl_term": "eqs. 5", "ddim_step": "eq. 12", "ddim_sample": "Lin et al.", "sample_latent": "Rombach",
}


def set_open(monkeypatch, value: str | None) -> None:
    """Open the named assignments (None: course mode off) for the lab in this process, as a restart would."""
    if value is None:
        monkeypatch.delenv(course_mode.SETTING, raising=False)
    else:
        monkeypatch.setenv(course_mode.SETTING, value)
    settings.cache_clear()


@pytest.fixture(autouse=True)
def _setting_read_afresh():
    yield
    settings.cache_clear()  # the next test reads the environment it restored


def rendered(at) -> list[str]:
    """Every text a page shows: code blocks, Markdown, captions, LaTeX and plain text."""
    return [e.value for kind in ("code", "markdown", "caption", "latex", "text") for e in at.get(kind)]


def shows_code(texts: list[str], fn) -> bool:
    """Whether the page texts hold fn's source (st.code drops its last newline)."""
    return inspect.getsource(fn).strip() in "\n".join(texts)


def open_recording(page: str | None, state: dict, monkeypatch) -> tuple[object, list]:
    """The page after one run, and every function or class its "Show the code" panels were given."""
    shown, real = [], lab_app.ui.show_code.show_code

    def recording(*functions, **kwargs):
        shown.extend(functions)
        real(*functions, **kwargs)

    monkeypatch.setattr(lab_app.ui.show_code, "show_code", recording)  # each page script imports it afresh
    at = open_page(None if page is None else page.split()[0], **state)
    monkeypatch.setattr(lab_app.ui.show_code, "show_code", real)
    return at, shown


@pytest.fixture(scope="module")
def course_run():
    """page -> (its rendered texts, the functions its panels were given), every page in course mode, both open."""
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        set_open(mp, BOTH)
        for page, state in PAGES.items():
            at, shown = open_recording(page, state, mp)
            assert not errors(at), (page, errors(at))
            out[page] = (rendered(at), shown)
    settings.cache_clear()
    return out


def reached(assignment: str) -> set:
    """The code objects of `reference/` that the graders' expected answers run, on every task's visible cases.

    A task that hands the student β also counts `Schedule.from_betas`: the coefficients the expected answer reads
    from the schedule (ᾱ_t, μ̃_t's) are computed there from those β."""
    codes = set()

    def profile(frame, event, arg):
        if event == "call" and frame.f_code.co_filename.startswith(REFERENCE):
            codes.add(frame.f_code)

    for spec in ASSIGNMENTS[assignment].values():
        for case in spec.cases("sanity", PUBLIC_SEED):
            inputs = spec.inputs(case)
            sys.setprofile(profile)
            try:
                if "betas" in spec.arg_names:
                    reference.Schedule.from_betas(case.schedule.betas)
                spec.truth(case, inputs)
            finally:
                sys.setprofile(None)
    return codes


def codes_of(obj) -> set:
    """The code objects of a function, a bound or class method, or every method of a class."""
    if inspect.isclass(obj):
        return set().union(*(codes_of(v) for v in vars(obj).values() if callable(getattr(v, "__func__", v))))
    fn = getattr(obj, "__func__", obj)
    return {fn.__code__} if hasattr(fn, "__code__") else set()


def solution_lines(assignment: str) -> dict[str, list[str]]:
    """grade_id -> the lines of the instructor's solution that compute something: its code less the `def` line,
    the docstring (the released notebook gives students those) and lines too short to be more than a name."""
    nb = nbformat.read(ROOT / "assignments" / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    out = {}
    for grade_id, source in solution_sources(nb).items():
        tree = ast.parse(source)
        prose = {line for node in ast.walk(tree) if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                 for line in range(node.lineno, node.end_lineno + 1)}
        prose |= {node.lineno for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        out[grade_id] = [line.split("#")[0].strip() for n, line in enumerate(source.splitlines(), 1)
                         if n not in prose and len(line.split("#")[0].strip()) >= 20]
    return out


def test_the_answers_name_the_graded_tasks():
    """Does course mode know exactly the assignments and tasks the graders grade?"""
    assert {a: list(tasks) for a, tasks in ANSWERS.items()} == {a: list(tasks) for a, tasks in ASSIGNMENTS.items()}


def test_course_mode_keeps_the_graders_out_of_the_lab():
    """Does the lab's course mode import nothing of graders/ (the task specs bring the engine, the diagnoses of
    wrong answers and the sandbox's wire format)?"""
    probe = ("import sys, lab_app.ui.show_code; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('graders', 'nbgrader')))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_page_shows_the_code_of_an_answer(course_run):
    """With both assignments open, does no page show the source of any reference function the graders' expected
    answers run, nor a line of the instructor's solutions?"""
    leaks = []
    for assignment in ASSIGNMENTS:
        sources = {code.co_qualname: inspect.getsource(code).strip() for code in reached(assignment)}
        solutions = solution_lines(assignment)
        for page, (texts, _) in course_run.items():
            text = "\n".join(texts)
            leaks += [(page, name) for name, source in sources.items() if source in text]
            leaks += [(page, grade_id, line) for grade_id, lines in solutions.items() for line in lines if line in text]
    assert leaks == []


def test_every_shown_function_that_an_answer_runs_is_hidden(course_run, monkeypatch):
    """For each assignment open alone: is every function a page's panel shows that the graders' expected answers run
    (the sampler's loop, the schedule's posterior coefficients, x̂0 from ε) hidden?"""
    shown = {id(fn): fn for _, functions in course_run.values() for fn in functions}.values()
    for assignment in ASSIGNMENTS:
        set_open(monkeypatch, assignment)
        codes = reached(assignment)
        answering = [fn for fn in shown if codes_of(fn) & codes]
        assert answering, f"no panel shows code that {assignment}'s answers run: is the trace of them broken?"
        assert [fn.__qualname__ for fn in answering if not course_mode.answers_in(fn)] == [], assignment


def test_hidden_code_gives_way_to_its_equation(course_run):
    """Does each panel whose code is hidden say so, name the task, and show that task's equation, citing its source?"""
    texts = [t for page_texts, _ in course_run.values() for t in page_texts]
    for assignment, tasks in ANSWERS.items():
        for task, answer in tasks.items():
            note = f"`{assignment}: {task}`"
            assert any(note in t and "is hidden while its assignment is open" in t for t in texts), task
            assert any(answer.equation in t for t in texts) and CITED[task] in answer.equation, task


def test_the_sampler_and_the_schedule_are_hidden_where_they_hold_an_answer(course_run):
    """Are the panels that hold an answer inside a helper hidden: the DDPM sampler's loop (ddpm_steps: Algorithm 2),
    the schedule's coefficients (Schedule.from_betas: eq. 7's μ̃_t), the latent sampler (DDIM, then decoded)?"""
    texts = [t for page_texts, _ in course_run.values() for t in page_texts]
    for fn in (reference.ddpm_steps, reference.Schedule.from_betas, reference.families.latent.sample_latent_ddpm,
               reference.ddim_steps):
        assert not shows_code(texts, fn), fn.__qualname__
        assert any(f"`{fn.__module__}.{fn.__qualname__}` is hidden" in t for t in texts), fn.__qualname__


def test_without_course_mode_the_code_is_shown(monkeypatch):
    """With the setting unset, do the Schedule and Sampling pages show q_sample, the sampler and the schedule's
    coefficients as code, and no note?"""
    set_open(monkeypatch, None)
    texts = rendered(open_page("schedule")) + rendered(open_page("sampling", sampling_n_moons=50))
    for fn in (reference.diffuse, reference.Schedule.from_betas, reference.sample_ddpm, reference.ddpm_steps,
               reference.p_mean_variance):
        assert shows_code(texts, fn), fn.__qualname__
    assert not any("is hidden" in t for t in texts)


def test_only_the_open_assignments_answers_are_hidden(monkeypatch):
    """With only ddpm_beyond open, does the Schedule page show q_sample (a ddpm_core answer) but hide
    Schedule.from_betas, whose coefficients kl_term needs?"""
    set_open(monkeypatch, "ddpm_beyond")
    texts = rendered(open_page("schedule"))
    assert shows_code(texts, reference.diffuse)
    assert not shows_code(texts, reference.Schedule.from_betas)
    assert any("`ddpm_beyond: kl_term`" in t for t in texts)


def test_an_unknown_assignment_stops_the_lab_with_its_name(monkeypatch):
    """Does a misspelt name stop every page with an error naming it and the course's assignments, showing no code?"""
    set_open(monkeypatch, "ddpm_core, ddpm_beyon")
    with pytest.raises(ValueError, match="'ddpm_beyon'; the course's assignments are ddpm_core, ddpm_beyond"):
        course_mode.open_assignments()
    for page in (None, "schedule"):
        at = open_page(page)
        assert [e for e in errors(at) if "'ddpm_beyon'" in e and course_mode.SETTING in e], errors(at)
        assert not at.code


def test_solution_lines_are_found_in_the_instructors_notebook():
    """Does the leak check read real code lines (the q_sample solution's formula), not nothing?"""
    lines = solution_lines("ddpm_core")
    assert set(lines) == set(ASSIGNMENTS["ddpm_core"])
    assert any("* x0 +" in line and "* noise" in line for line in lines["q_sample"])
    assert not any("eq. 4" in line for line in lines["q_sample"])  # the docstring is left out

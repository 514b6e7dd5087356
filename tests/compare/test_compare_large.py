"""Is the TA report usable for a class of 300, in a real browser; and are a blank task and a syntax error graded as
such?

The 300 students are synthetic (tests/support/compare_synthetic.py: StudentRuns drawn from a seeded mix of outcomes, no
notebook graded); every expected total, count and row set below is worked out from what was drawn, not from the
report's code. Debian's headless Chromium opens report.html from disk in a 1,400 px window. The last test grades two
real notebooks through the sandboxed workers.
"""
from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from chromium import browser  # noqa: F401 - a fixture
from compare_class import solutions, write_notebook
from compare_synthetic import ASSIGNMENTS, HOSTILE_MESSAGE, HOSTILE_NAME, synthetic_course
from graders.compare import Submission, grade_class, write_report
from graders.compare.charts import bins
from graders.compare.report_html import MISTAKES_SHOWN
from graders.engine.diagnoses import DIAGNOSES
from graders.engine.tasks import tasks_of

ROOT = Path(__file__).resolve().parents[2]
WIDTH = 1400


@pytest.fixture(scope="module")
def course():
    return synthetic_course(300)


@pytest.fixture(scope="module")
def report(course, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("large-report")
    write_report(course.runs, out, "DDPM Lab — a class of 300", names=course.names)
    return out


@pytest.fixture
def page(browser, report):
    """report.html freshly loaded in a 1,400 px window; every request it makes is in page.requests."""
    context = browser.new_context(viewport={"width": WIDTH, "height": 900})
    pg = context.new_page()
    pg.requests, errors = [], []
    pg.on("request", lambda r: pg.requests.append(r.url))
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto((report / "report.html").as_uri())
    yield pg
    context.close()
    assert not errors, f"JavaScript errors in the report: {errors}"


def graded_totals(course, assignment: str) -> dict[str, int]:
    """student -> drawn total on `assignment`, for those who submitted it and were graded."""
    return {r.student: course.total(r.student, assignment) for r in course.runs
            if r.assignment == assignment and (r.student, assignment) not in course.not_graded}


def open_tab(pg, assignment: str):
    pg.click(f"nav.tabs button[data-tab='a-{assignment}']")
    return pg.locator(f"#a-{assignment}")


def shown_students(section) -> list[str]:
    """The ids in the visible rows of a section's table, top to bottom."""
    return section.locator(".view tbody tr:not([hidden]) td:first-child").all_inner_texts()


def test_every_status_kept_apart_in_the_csv(course, report):
    """Does report.csv give each student × assignment × task the status and points drawn, with not attempted,
    error, syntax error and not graded each its own status?"""
    with open(report / "report.csv", newline="", encoding="utf-8") as f:
        got = {(row["student"], row["assignment"], row["task"]): row for row in csv.DictReader(f)}
    assert set(got) == set(course.outcome)
    for key, drawn in course.outcome.items():
        assert (got[key]["status"], int(got[key]["points"])) == (drawn.status, drawn.points), key
    assert {"not_attempted", "error", "syntax_error", "not_graded", "wrong"} <= {r["status"] for r in got.values()}


@pytest.mark.browser
def test_page_loads_offline_and_fits_the_window(page):
    """Does the page load with no request but itself, and no horizontal page scroll on any tab at 1,400 px?"""
    assert page.requests == [page.url]
    tabs = ["course", *(f"a-{a}" for a in ASSIGNMENTS)]
    for tab in tabs:
        page.click(f"nav.tabs button[data-tab='{tab}']")
        assert page.locator(f"#{tab}").is_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= WIDTH, f"{tab}: the page is {width} px wide in a {WIDTH} px window"
    assert page.requests == [page.url]


@pytest.mark.browser
def test_histograms_count_the_totals(course, page):
    """Does each assignment's histogram, and the course's, have one bar per bin, counting the graded students whose
    drawn total falls in it?"""
    def assert_counts(bars, totals: list[int], full: int) -> None:
        drawn = bars.evaluate_all("rs => rs.map(r => [r.dataset.low, r.dataset.high, r.dataset.count].map(Number))")
        assert [(low, high) for low, high, _ in drawn] == bins(full)
        assert [n for _, _, n in drawn] == [sum(low <= t <= high for t in totals) for low, high in bins(full)]
        assert sum(n for _, _, n in drawn) == len(totals)

    for assignment in ASSIGNMENTS:
        full = sum(spec.points for spec in tasks_of(assignment).values())
        assert_counts(open_tab(page, assignment).locator("svg.histogram rect.bin"),
                      list(graded_totals(course, assignment).values()), full)
    page.click("nav.tabs button[data-tab='course']")
    both = [sum(course.total(s, a) for a in ASSIGNMENTS) for s in course.names
            if not any((s, a) in course.not_graded for a in ASSIGNMENTS)]
    assert_counts(page.locator("#course svg.histogram rect.bin"), both,
                  sum(spec.points for a in ASSIGNMENTS for spec in tasks_of(a).values()))


@pytest.mark.browser
def test_mistakes_chart_shows_the_commonest(course, page):
    """Are the mistakes chart's bars the commonest drawn (task, mistake) pairs, each with its count?"""
    for assignment in ASSIGNMENTS:
        drawn = Counter(f"{task}: {DIAGNOSES[d.diagnosis].sentence}" for (_, a, task), d in course.outcome.items()
                        if a == assignment and d.diagnosis)
        bars = open_tab(page, assignment).locator("svg.mistakes g")
        assert bars.count() == min(MISTAKES_SHOWN, len(drawn))
        shown = []
        for i in range(bars.count()):
            title = bars.nth(i).locator("title").text_content()
            label, n = title.rsplit(": ", 1)[0], int(bars.nth(i).locator("rect").get_attribute("data-count"))
            submitted = sum(r.assignment == assignment for r in course.runs)
            assert drawn[label] == n and title.endswith(f": {n} of {submitted} students")
            shown.append(n)
        assert shown == sorted(drawn.values(), reverse=True)[:MISTAKES_SHOWN]


@pytest.mark.browser
def test_search_narrows_the_rows(course, page):
    """Does typing in the search box leave only the students whose id or name matches?"""
    section = open_tab(page, "ddpm_core")
    core = sorted(r.student for r in course.runs if r.assignment == "ddpm_core")
    section.locator("input.search").fill("s01")
    assert shown_students(section) == [s for s in core if "s01" in s] and len(shown_students(section)) == 10
    assert section.locator(".shown").inner_text() == f"10 of {len(core)} students"
    section.locator("input.search").fill("STUDENT 123")
    assert shown_students(section) == ["s123"]
    section.locator("input.search").fill("mallory")
    assert shown_students(section) == ["s007"]
    section.locator("input.search").fill("")
    assert shown_students(section) == core


@pytest.mark.browser
def test_sorting_by_total_orders_the_rows(course, page):
    """Does clicking the total heading order the rows by total, up and then down, not-graded students apart?"""
    section = open_tab(page, "ddpm_core")
    totals = graded_totals(course, "ddpm_core")
    heading = section.locator("thead th", has=page.locator("button.sort", has_text="total")).locator("button")
    for order in (sorted, lambda xs: sorted(xs, reverse=True)):
        heading.click()
        rows = section.locator(".view tbody tr").evaluate_all("rs => rs.map(r => [r.cells[0].innerText, "
                                                        "r.querySelector('td[data-v]:nth-last-child(2)').innerText])")
        graded = [int(t) for s, t in rows if s in totals]
        assert graded == order(totals.values())
        assert [t for s, t in rows if s not in totals] == ["not graded"] * (len(rows) - len(totals))


@pytest.mark.browser
def test_filters_show_only_those_students(course, page):
    """Does choosing a status, a task's status or a mistake in the filter show exactly the students drawn with it?"""
    section = open_tab(page, "ddpm_core")
    core = {(s, t): d for (s, a, t), d in course.outcome.items() if a == "ddpm_core"}
    q_key = Counter(d.diagnosis for (s, t), d in core.items() if t == "q_sample" and d.diagnosis).most_common(1)[0][0]
    for value, wanted in (("status:not_attempted", lambda t, d: d.status == "not_attempted"),
                          ("status:not_graded", lambda t, d: d.status == "not_graded"),
                          ("posterior_mean:syntax_error",
                           lambda t, d: t == "posterior_mean" and d.status == "syntax_error"),
                          (f"mistake:q_sample:{q_key}", lambda t, d: t == "q_sample" and d.diagnosis == q_key)):
        section.locator("select.filter").select_option(value)
        expected = sorted({s for (s, t), d in core.items() if wanted(t, d)})
        assert expected and shown_students(section) == expected, value
    section.locator("input.search").fill("s1")  # search and filter together
    assert shown_students(section) == [s for s in expected if "s1" in s]


@pytest.mark.browser
def test_course_view_totals_each_student(course, page):
    """Does the course tab give each student's points per assignment and their sum, "not graded" where the machinery
    failed one, and "no submission" where none was made?"""
    page.click("nav.tabs button[data-tab='course']")
    rows = page.locator("#course tbody tr").evaluate_all("rs => rs.map(r => [...r.cells].map(c => c.innerText))")
    assert len(rows) == len(course.names)
    submitted = {(r.student, r.assignment) for r in course.runs}
    for student, _name, *per_assignment, total in rows:
        want = []
        for a in ASSIGNMENTS:
            want.append("no submission" if (student, a) not in submitted else
                        "not graded" if (student, a) in course.not_graded else str(course.total(student, a)))
        assert per_assignment == want, student
        counted = [int(w) if w.isdigit() else 0 for w in want]
        assert total == ("not graded" if "not graded" in want else str(sum(counted))), student


@pytest.mark.browser
def test_student_text_stays_text(course, page, report):
    """Are a student's name and messages holding <script> and an <img onerror> shown as text, running nothing?"""
    html = (report / "report.html").read_text(encoding="utf-8")
    assert HOSTILE_NAME not in html and HOSTILE_MESSAGE not in html
    assert page.evaluate("window.__pwned") is None and page.locator("img").count() == 0
    section = open_tab(page, "ddpm_core")
    section.locator("input.search").fill("s007")
    assert HOSTILE_NAME in section.locator(".view tbody tr:not([hidden])").inner_text()
    assert HOSTILE_MESSAGE in page.locator("#s-ddpm_core-s011").text_content()


@pytest.mark.slow
def test_a_blank_task_and_a_syntax_error_graded_as_such(tmp_path, dask_pair):
    """Through the real workers: is q_sample's cell as released "not attempted", and a posterior_mean cell that
    does not parse a "syntax error" naming its line, each costing only its task, in results and CSV alike?"""
    release = nbformat.read(str(ROOT / "lab_app" / "release" / "ddpm_core.ipynb"), as_version=4)
    stub = next(c.source for c in release.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q_sample")
    base = solutions()
    blank = write_notebook(tmp_path / "submitted", "blank", {**base, "q_sample": stub})
    typo = write_notebook(tmp_path / "submitted", "typo", {
        **base, "posterior_mean": "def posterior_mean(x0, x_t, t, betas):\n    return x_t *\n"})
    runs = grade_class([Submission("blank", blank), Submission("typo", typo)], progress=False, client=dask_pair)
    statuses = {(r.student, t): v["status"] for r in runs for t, v in r.results.items()}
    assert statuses == {**{(s, t): "passed" for s in ("blank", "typo") for t in tasks_of("ddpm_core")},
                        ("blank", "q_sample"): "not_attempted", ("typo", "posterior_mean"): "syntax_error"}
    message = runs[1].results["posterior_mean"]["message"]
    assert "syntax error in cell" in message and "(posterior_mean), line 2: invalid syntax" in message, message
    write_report(runs, tmp_path / "report", "two students")
    with open(tmp_path / "report" / "report.csv", newline="", encoding="utf-8") as f:
        assert {(r["student"], r["task"]): r["status"] for r in csv.DictReader(f)} == statuses

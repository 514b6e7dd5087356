"""Can a student read the whole of the feedback page nbgrader hands back, offline, in a laptop-wide window?

One course per assignment, graded once through the real `nbgrader autograde` and `generate_feedback`: ddpm_core with
the lab's URL set, a correct and a mistaken student; ddpm_beyond without it, a mistaken student. Each page is opened
in Debian's headless Chromium, 1,046 px wide, with every request that is not a local file refused and recorded.
Screenshots go to pytest's temporary directory.
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from chromium import browser, missing  # noqa: F401 - browser: a fixture
from course import ROOT, new_course, run_nbgrader, write_submission
from graders.engine.diagnoses import DIAGNOSES
from graders.nbgrader.feedback.mathml import MathMLRenderer, UnrenderedMath, tex_to_mathml
from graders.engine.tasks import tasks_of

pytestmark = [pytest.mark.slow, pytest.mark.browser]
if missing():
    pytest.skip(missing(), allow_module_level=True)

WIDTH, HEIGHT = 1046, 900
LAB_URL = "https://lab.example.edu/ddpm/"
SUBMISSIONS = ROOT / "tests" / "graders" / "submissions"
# assignment -> (planted file, lab URL of its course): each planted mistake has a diagnosis that names a lab page
MISTAKES = {"ddpm_core": ("posterior_mean__beta_for_alpha_bar", LAB_URL), "ddpm_beyond": ("kl_term__kl_reversed", "")}
PAGES = [("ddpm_core", "right"), ("ddpm_core", "mistaken"), ("ddpm_beyond", "mistaken")]


def grade(course: Path, assignment: str, students: list[str]) -> int:
    """Autograde and generate feedback for `students` of `assignment`; returns the formulas in its notebook's Markdown
    (counted here by their $ delimiters; no code span of the course's notebooks holds a $)."""
    planted, lab_url = MISTAKES[assignment]
    release, solutions = new_course(course, f'c.FeedbackExporter.lab_url = "{lab_url}"', assignment)
    mistake = {planted.split("__")[0]: (SUBMISSIONS / assignment / f"{planted}.py").read_text()}
    cells = {"right": solutions, "mistaken": {**solutions, **mistake}}
    for student in students:
        write_submission(course, student, release, cells[student], assignment)
    run_nbgrader("autograde", assignment, "--create", cwd=course)
    run_nbgrader("generate_feedback", assignment, cwd=course)
    markdown = [c.source for c in release.cells if c.cell_type == "markdown"]
    return sum(len(re.findall(r"\$\$.+?\$\$|\$.+?\$", source, re.S)) for source in markdown)


@pytest.fixture(scope="module")
def courses(tmp_path_factory) -> dict[str, tuple[Path, int]]:
    """assignment -> (course folder, formulas in its notebook), the two graded once, at once: nbgrader spends most of
    its time waiting for kernels and sandboxes to start."""
    folders = {assignment: tmp_path_factory.mktemp(assignment) for assignment in MISTAKES}
    with ThreadPoolExecutor(len(folders)) as pool:
        formulas = {assignment: pool.submit(grade, course, assignment, [s for a, s in PAGES if a == assignment])
                    for assignment, course in folders.items()}
        return {assignment: (folders[assignment], done.result()) for assignment, done in formulas.items()}


@pytest.fixture
def open_feedback(browser, courses):
    """open(assignment, student) -> the feedback page in Chromium, every non-file request refused and recorded; after
    the test, asserts that none was made."""
    contexts, requests = [], []

    def open_(assignment: str, student: str):
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                      else route.abort())
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        course, _ = courses[assignment]
        page.goto((course / "feedback" / student / assignment / f"{assignment}.html").as_uri())
        contexts.append(context)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert requests and not [url for url in requests if not url.startswith("file:")]


def in_viewport(box: dict) -> bool:
    return box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= WIDTH and box["y"] + box["height"] <= HEIGHT


@pytest.mark.parametrize("assignment, student", PAGES)
def test_every_formula_renders_offline(open_feedback, courses, assignment, student):
    """Is every formula of the notebook MathML that Chromium lays out, with no TeX left in the page's text?"""
    page = open_feedback(assignment, student)
    _, formulas = courses[assignment]
    boxes = page.eval_on_selector_all("math", "els => els.map(e => e instanceof MathMLElement && "
                                              "e.getBoundingClientRect().width > 0)")
    assert len(boxes) == formulas and all(boxes)
    assert page.locator(".tex-unrendered").count() == 0
    text = "\n".join(page.locator(".rendered_html").all_inner_texts())
    assert "$" not in text and not re.search(r"\\[A-Za-z]+", text), text


@pytest.mark.parametrize("assignment, student", PAGES)
def test_nothing_is_cut_off_at_the_right(open_feedback, assignment, student):
    """At 1,046 px, does every block of code and every message fit its box, and the page the window?"""
    page = open_feedback(assignment, student)
    blocks = page.eval_on_selector_all("pre", "els => els.map(e => [e.scrollWidth, e.clientWidth, e.innerText])")
    assert blocks and [b for b in blocks if b[0] > b[1]] == []
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH


@pytest.mark.parametrize("assignment, student", PAGES)
def test_summary_names_every_task(open_feedback, assignment, student):
    """Does the score summary name each test cell by its task and level, in the notebook's order?"""
    page = open_feedback(assignment, student)
    expected = [f"{task} — {level}" for task in tasks_of(assignment) for level in ("visible check", "hidden cases")]
    assert page.locator("#summary li a").all_inner_texts() == expected


def test_table_columns_stand_apart(open_feedback):
    """Do the notebook's tables keep their columns apart ("eq. 14, Algorithm 1" then "5", not "Algorithm 15")?"""
    page = open_feedback("ddpm_core", "right")
    gaps = page.eval_on_selector_all(".rendered_html table tr", """rows => rows.flatMap(row => {
        const text = [...row.children].map(cell => {
            const range = document.createRange();
            range.selectNodeContents(cell);
            return range.getBoundingClientRect();
        });
        return text.slice(1).map((box, i) => box.left - text[i].right);
    })""")
    assert len(gaps) > 20 and min(gaps) >= 8, gaps


def test_diagnosis_and_lab_link_are_in_view(open_feedback, tmp_path):
    """Scrolled to a failed check, does the student see its whole diagnosis and a link to the lab's page about it?"""
    page = open_feedback("ddpm_core", "mistaken")
    diagnosis = DIAGNOSES["beta_for_alpha_bar"]
    verdict = page.locator("div.verdict-failed pre.message").filter(has_text=diagnosis.sentence)
    assert verdict.count() == 2  # the visible check and the hidden cases
    for i in range(2):
        verdict.nth(i).scroll_into_view_if_needed()
        rects = verdict.nth(i).evaluate("""(pre, needle) => {
            const walk = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
            for (let n = walk.nextNode(); n; n = walk.nextNode()) {
                const at = n.data.indexOf(needle);
                if (at >= 0) {
                    const range = document.createRange();
                    range.setStart(n, at);
                    range.setEnd(n, at + needle.length);
                    return [...range.getClientRects()].map(r => ({x: r.left, y: r.top, width: r.width,
                                                                   height: r.height}));
                }
            }
            return [];
        }""", diagnosis.sentence)
        assert rects and all(in_viewport(r) for r in rects), rects
        link = verdict.nth(i).locator("a")
        assert link.inner_text() == diagnosis.page and in_viewport(link.bounding_box())
    # the lab serves a page at its script's name (streamlit_app.py), read here apart from the exporter's reading
    script = re.search(rf'st\.Page\("lab_app/pages/(\w+)\.py", title="{diagnosis.page}"',
                       (ROOT / "streamlit_app.py").read_text()).group(1)
    assert link.get_attribute("href") == LAB_URL + script
    shot = tmp_path / "feedback-diagnosis.png"
    page.screenshot(path=str(shot))
    from PIL import Image
    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert len(colours) > 100 and max(colours)[0] < 0.95 * WIDTH * HEIGHT  # drawn text, not a blank page


def test_notebook_names_of_lab_pages_are_links(open_feedback):
    """Do the notebook's own pointers ("the **Posterior** page") link to the lab's pages too?"""
    page = open_feedback("ddpm_core", "right")
    posterior = page.locator('a.lab-page[href="https://lab.example.edu/ddpm/posterior"]')
    assert posterior.count() == 1 and posterior.inner_text() == "Posterior"


def test_a_correct_notebook_sees_every_check_pass(open_feedback):
    """Does a correct notebook's page show a passed verdict on every test cell and no failed one?"""
    page = open_feedback("ddpm_core", "right")
    passed = page.locator("div.verdict-passed pre.message").all_inner_texts()
    assert len(passed) == 2 * len(tasks_of("ddpm_core")) and all("passed all" in text for text in passed)
    assert page.locator("div.verdict-failed").count() == 0


def test_without_a_lab_url_pages_are_named_not_linked(open_feedback):
    """With no lab URL set, does the feedback still name the page, with no link that goes nowhere?"""
    page = open_feedback("ddpm_beyond", "mistaken")
    diagnosis = DIAGNOSES["kl_reversed"]
    verdict = page.locator("div.verdict-failed pre.message").filter(has_text=diagnosis.sentence)
    assert verdict.count() == 2
    assert f"The lab's {diagnosis.page} page" in verdict.first.inner_text()
    assert page.locator("a.lab-page").count() == 0


def test_a_lab_url_that_is_not_an_address_is_refused(courses):
    """Does generate_feedback refuse a lab URL that is not an http(s) address, naming it?"""
    course, _ = courses["ddpm_beyond"]
    proc = run_nbgrader("generate_feedback", "ddpm_beyond", "--force", "--FeedbackExporter.lab_url=lab.example.edu",
                        cwd=course, check=False)
    assert proc.returncode != 0 and "'lab.example.edu'" in proc.stdout + proc.stderr


def test_a_formula_the_converter_cannot_read_is_reported_not_dropped():
    """Is a formula that cannot become MathML named in an error, and shown as its TeX rather than lost?"""
    with pytest.raises(UnrenderedMath, match=r"\\notacommand"):
        tex_to_mathml(r"x + \notacommand y", display=False)
    reported = []
    from nbconvert.filters.markdown_mistune import MarkdownWithMath
    html = MarkdownWithMath(renderer=MathMLRenderer(reported.append, escape=False)).render(
        r"Fine $x_t$, broken $\notacommand y$.")
    assert html.count("<math") == 1 and r'<code class="tex-unrendered">$\notacommand y$</code>' in html
    assert len(reported) == 1


def test_sized_norm_bars_and_text_underscores_render():
    r"""Do \big\| (eq. 14's norm) and \text{z\_mean} (the latent task) come out as the characters they stand for?"""
    assert "‖" in tex_to_mathml(r"\big\|\varepsilon\big\|^2", display=True)
    assert "<mtext>z_mean</mtext>" in tex_to_mathml(r"\text{z\_mean}", display=False)

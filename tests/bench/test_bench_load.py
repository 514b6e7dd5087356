"""Does the load harness (bench/load/) speak Streamlit's protocol as a browser does? Against a real
`streamlit run streamlit_app.py`: simulated students complete a path, widget changes and page switches reach the
server and come back changed, and mistakes (an unknown label, a dead URL) fail clearly instead of hanging."""
import asyncio
import json
import socket
import time

import pytest

from bench.load.protocol import Session, stream_url
from bench.load.report import summarize
from bench.load.server import streamlit_server
from bench.load.students import LAB_PATH, Clock, Interaction, student

STEPS = {step.name: step for step in LAB_PATH}
SHORT_PATH = tuple(STEPS[name] for name in ("open Schedule design", "change T", "move t (schedule)",
                                            "move t (schedule)"))


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    with streamlit_server(tmp_path_factory.mktemp("streamlit") / "server.log") as (address, _):
        yield address


async def on_schedule_page(url: str) -> Session:
    session = Session(url)
    await session.connect()
    run = await session.open_url("schedule")
    assert run.answered and not run.errors, (run.status, run.errors)
    return session


def test_two_students_complete_a_short_path(url):
    """Do two simulated students, at once, open the lab and walk Schedule design (T, then t twice) with every
    interaction answered by a script_finished (the fragment's own for the t slider, inside a fragment) and no
    exception?"""
    records = []
    clock = Clock(ramp=0.5, duration=45, drain=10)

    async def two():
        return await asyncio.gather(*(student(f"s{i}", url, clock, 0.5 * i, (0.0, 0.2), i, records, SHORT_PATH,
                                              max_paths=1) for i in range(2)))

    assert asyncio.run(two()) == [1, 1]
    assert len(records) == 2 * (1 + len(SHORT_PATH))  # open Home, then the path
    assert [(r.step, r.errors) for r in records if r.errors] == []
    status = {(r.step, r.status) for r in records}
    assert {("open Home", "finished"), ("open Schedule design", "finished"), ("change T", "finished")} <= status
    assert {s for step, s in status if step == "move t (schedule)"} == {"fragment"}
    assert all(r.seconds > 0 for r in records)


def test_widget_change_reaches_the_server(url):
    """Does a new T come back in the schedule table, and does moving t rerun only its fragment with a new plot?"""
    async def go():
        async with await on_schedule_page(url) as s:
            before = await s.set("T (number of steps)", 1000)
            assert any("1: linear (T=1000)" in text for text in before.texts)
            run = await s.set("T (number of steps)", 500)
            assert run.status == "finished" and not run.errors
            assert any("1: linear (T=500)" in text for text in run.texts)
            assert not any("1: linear (T=1000)" in text for text in run.texts)
            assert s.value("T (number of steps)") == 500 and s.value("T (number of steps)", nth=1) == 1000
            noised_before = before.plots[-1]  # the fragment's figure, drawn last
            t = s.value("t (paper's")[0]
            moved = await s.set("t (paper's", t + 100)
            assert moved.status == "fragment" and not moved.errors
            assert moved.headings == ["The data, noised at t"]  # the fragment only, not the page's title
            assert len(moved.plots) == 1 and moved.plots[0] != noised_before
            assert f"t = {int(t) + 100}" in json.dumps(json.loads(moved.plots[0])["layout"])
    asyncio.run(go())


def test_page_switch_delivers_the_page(url):
    """Does switching page by title run that page, its title first, with its own widgets?"""
    async def go():
        async with await on_schedule_page(url) as s:
            run = await s.open_page("Forward process")
            assert run.status == "finished" and not run.errors
            assert run.headings[0] == "Forward process"
            assert s.page_script_hash == s.pages["Forward process"]
            assert s.widget("points").kind == "number_input"
            with pytest.raises(ValueError, match="Schedules to compare"):  # the schedule page's widgets are gone
                s.widget("Schedules to compare")
    asyncio.run(go())


def test_mistakes_in_a_path_raise_clear_errors(url):
    """Do an unknown label, an unknown page and an impossible value raise ValueErrors that say what there is?"""
    async def go():
        async with await on_schedule_page(url) as s:
            with pytest.raises(ValueError, match=r"no widget labelled 'Number of unicorns'.*T \(number of steps\)"):
                await s.set("Number of unicorns", 3)
            with pytest.raises(ValueError, match=r"no page titled 'Unicorns'.*Schedule design"):
                await s.open_page("Unicorns")
            with pytest.raises(ValueError, match="has no option 'sigmoid-ish'"):
                await s.set("Schedule 1", "sigmoid-ish")
            with pytest.raises(ValueError, match=r"takes values in \[1, 1000\]; got 5000"):
                await s.set("t (paper's", 5000)
    asyncio.run(go())


def test_broken_server_url_fails_fast():
    """Do a closed port and a server that never answers the handshake give a ConnectionError naming the address,
    within the connect timeout, and a non-URL a ValueError?"""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts the TCP connection, never answers the websocket handshake
        port = silent.getsockname()[1]
        start = time.perf_counter()
        with pytest.raises(ConnectionError, match=f"ws://127.0.0.1:{port}/_stcore/stream.*no answer"):
            asyncio.run(Session(f"http://127.0.0.1:{port}", connect_timeout=1.0).connect())
        assert time.perf_counter() - start < 5
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(ConnectionError, match=f"127.0.0.1:{port}"):
        asyncio.run(Session(f"http://127.0.0.1:{port}", connect_timeout=2.0).connect())
    with pytest.raises(ValueError, match="must look like"):
        stream_url("localhost:8501")


def test_report_keeps_the_classes_apart():
    """Are heavy interactions kept out of the interactive percentiles, unanswered ones counted but not timed, and the
    queue places and progress bars shown counted per class?"""
    records = [Interaction("a", "move t (schedule)", False, 0.0, seconds, "fragment") for seconds in (0.1, 0.2, 0.3)]
    records += [Interaction("a", "new samples (new seed)", True, 1.0, 30.0, "finished", queue_shown=True,
                            progress_shown=True),
                Interaction("b", "new samples (new seed)", True, 2.0, 50.0, "timeout", progress_shown=True),
                Interaction("b", "open Home", False, 0.0, 0.5, "finished", ["ValueError: boom"])]
    summary = summarize(records, students=2)
    assert list(summary["interactions"]) == ["open Home", "move t (schedule)", "new samples (new seed)"]
    interactive, heavy = summary["classes"]["interactive"], summary["classes"]["sampling/bound"]
    assert (interactive["n"], interactive["max_s"], interactive["errors"]) == (4, 0.5, 1)
    assert interactive["p50_s"] == pytest.approx(0.25)
    assert (heavy["n"], heavy["answered"], heavy["unanswered"], heavy["max_s"]) == (2, 1, 1, 30.0)
    assert (heavy["queue_shown"], heavy["progress_shown"], interactive["queue_shown"]) == (1, 2, 0)
    assert summary["errors"] == 1 and summary["error_messages"] == ["ValueError: boom"]


def test_new_samples_show_their_place_in_the_queue_and_a_progress_bar(url):
    """While one student's new samples (σ² = β̃) are drawn, does a second student's new seed (σ² = β: another batch)
    wait with "1 request ahead of yours in the queue", then a progress bar, do both get their samples, and does the
    harness record what each was shown?"""
    async def go():
        first, second = Session(url), Session(url)
        async with first, second:
            for s in (first, second):
                opened = await s.open_url("sampling", timeout=180)  # the first draws its default samples
                assert opened.answered and not opened.errors, opened.errors
            await first.set("$\\sigma_t^2$", "σ² = β̃", timeout=120)
            running = asyncio.create_task(first.set("seed", 11, timeout=120))
            for _ in range(1200):  # until the first request is drawing (its bar shown): a fixed wait raced it
                if first._run is not None and first._run.progress:
                    break
                await asyncio.sleep(0.05)
            queued = await second.set("seed", 12, timeout=120)
            return await running, queued

    running, queued = asyncio.run(go())
    for run in (running, queued):
        assert run.status == "finished" and not run.errors, (run.status, run.errors)
        assert run.progress and all(text.startswith("DDPM steps") for text in run.progress)
        assert any("1000 steps, 2000 samples" in text for text in run.texts)
    assert any("1 request ahead of yours in the queue" in text for text in queued.texts)
    step = STEPS["new samples (new seed)"]
    shown = [Interaction.of("s", step, 0.0, run) for run in (running, queued)]
    assert [(i.queue_shown, i.progress_shown) for i in shown] == [(False, True), (True, True)]

"""One browser tab on a Streamlit app, over the app's own websocket protocol (no browser).

What the frontend does, and so what a Session does:
1. connect to ws://HOST:PORT/_stcore/stream (subprotocol "streamlit") and send a BackMsg rerun_script whose
   ClientState names the page by its URL path; the server answers new_session, a navigation message listing the
   pages and their script hashes, deltas and, last, script_finished;
2. keep every widget's state from the deltas (its default, then what the student chose) and send ALL of them with
   each rerun, as the frontend's WidgetStateManager does; drop those a full run no longer draws;
3. a change to a widget drawn inside an @st.fragment reruns only that fragment (ClientState.fragment_id), and is
   answered by script_finished FINISHED_FRAGMENT_RUN_SUCCESSFULLY;
4. a page switch is a rerun with the target page's page_script_hash;
5. keep the newest messages the server marks cacheable and list their hashes (cached_message_hashes), so that the
   server may answer with ref_hash references as it does to a browser.

Each request returns a Run: its latency from sending the BackMsg to the script_finished that answers it, and what
arrived meanwhile (headings, texts, plots, progress bars, and errors: exception elements, st.error alerts, page_not_found).
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from bench.load.widgets import Widget, is_widget, state_value

CACHED_MESSAGES = 200  # per session, the newest kept (the frontend's cache also forgets old messages)
ANSWERS = {ForwardMsg.FINISHED_SUCCESSFULLY: "finished", ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY: "fragment",
           ForwardMsg.FINISHED_WITH_COMPILE_ERROR: "compile error"}  # FINISHED_EARLY_FOR_RERUN answers nothing


@dataclass
class Run:
    """What the server sent in answer to one BackMsg. status: "finished", "fragment" (a fragment's rerun),
    "compile error", "timeout" (no answer within the time given) or "closed" (the connection dropped)."""
    status: str = "timeout"
    seconds: float = float("nan")
    errors: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # markdown, captions, alerts, metrics
    plots: list[str] = field(default_factory=list)  # plotly specs, JSON text
    progress: list[str] = field(default_factory=list)  # progress bars' texts, as they were redrawn

    @property
    def answered(self) -> bool:
        return self.status in ("finished", "fragment")


def stream_url(url: str) -> str:
    """ws://host:port/_stcore/stream from the app's http(s):// or ws(s):// address; ValueError for anything else."""
    parts = urlsplit(url)
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise ValueError(f"the app's URL must look like http://127.0.0.1:8501; got {url!r}")
    return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream"


class Session:
    """One simulated browser tab. Use `async with Session(url) as s: await s.open_url(""); await s.set(...)`."""

    def __init__(self, url: str, *, connect_timeout: float = 10.0):
        self.url = url
        self.connect_timeout = connect_timeout
        self.pages: dict[str, str] = {}  # page title -> page_script_hash, from the navigation message
        self.page_script_hash = ""
        self.widgets: dict[str, Widget] = {}  # widget id -> Widget, those the last runs drew
        self.states: dict[str, WidgetState] = {}  # widget id -> what the frontend would report
        self._cache: dict[str, ForwardMsg] = {}  # hash -> cacheable message
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task | None = None
        self._run: Run | None = None  # the run being answered
        self._seen: set[str] = set()  # widget ids drawn in that run
        self._answered: asyncio.Future | None = None

    async def __aenter__(self) -> Session:
        if self._ws is None:
            await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the websocket; ConnectionError naming the URL if nothing answers within connect_timeout."""
        address = stream_url(self.url)
        try:
            self._ws = await asyncio.wait_for(
                connect(address, subprotocols=["streamlit"], proxy=None, open_timeout=None, ping_interval=None,
                        max_size=None, max_queue=None),
                self.connect_timeout)
        except (OSError, asyncio.TimeoutError, WebSocketException) as e:  # refused, timed out, not a websocket server
            reason = "no answer" if isinstance(e, asyncio.TimeoutError) else f"{type(e).__name__}: {e}"
            raise ConnectionError(f"cannot open a Streamlit session at {address} ({reason} "
                                  f"within {self.connect_timeout:g} s)") from e
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    # ----- requests: each sends one rerun_script and waits for the script_finished that answers it -----

    async def open_url(self, path: str = "", timeout: float = 60.0) -> Run:
        """What a browser does on loading http://host:port/<path>: run the page whose URL path is `path`."""
        return await self._rerun(ClientState(page_name=path), timeout)

    async def open_page(self, title: str, timeout: float = 60.0) -> Run:
        """Switch to the page titled `title` (as clicking it in the sidebar does); ValueError for an unknown page."""
        if title not in self.pages:
            raise ValueError(f"no page titled {title!r}; the app's pages are {list(self.pages)}")
        return await self._rerun(ClientState(page_script_hash=self.pages[title]), timeout)

    async def set(self, label: str, value, *, nth: int = 0, timeout: float = 60.0) -> Run:
        """Set the nth widget whose label starts with `label` to `value`, as a student would, and rerun its fragment
        (or the page)."""
        widget = self.widget(label, nth=nth)
        self.states[widget.id] = widget.state(value)
        return await self._rerun(ClientState(page_script_hash=self.page_script_hash,
                                             fragment_id=widget.fragment_id), timeout)

    def widget(self, label: str, *, nth: int = 0) -> Widget:
        """The nth widget on screen (in page order) whose label starts with `label`; ValueError naming the labels
        there are if there is no such widget."""
        matches = sorted((w for w in self.widgets.values() if w.label.startswith(label)), key=lambda w: w.delta_path)
        if len(matches) <= nth:
            raise ValueError(f"no widget labelled {label!r} (#{nth}) on this page; its widgets are "
                             f"{sorted({w.label for w in self.widgets.values()})}")
        return matches[nth]

    def value(self, label: str, *, nth: int = 0):
        """The value the nth widget labelled `label` shows now (None if it has none)."""
        state = self.states.get(self.widget(label, nth=nth).id)
        return None if state is None else state_value(state)

    async def _rerun(self, client_state: ClientState, timeout: float) -> Run:
        if self._ws is None:
            raise RuntimeError("connect() the session first")
        client_state.widget_states.widgets.extend(self.states.values())
        client_state.cached_message_hashes.extend(self._cache)
        self._run, self._seen = Run(), set()
        self._answered = asyncio.get_running_loop().create_future()
        start = time.perf_counter()
        try:
            await self._ws.send(BackMsg(rerun_script=client_state).SerializeToString())
            status = await asyncio.wait_for(asyncio.shield(self._answered), timeout)
        except asyncio.TimeoutError:
            status = "timeout"
        except ConnectionClosed:
            status = "closed"
        run, self._run = self._run, None
        run.status, run.seconds = status, time.perf_counter() - start
        if status == "closed":
            run.errors.append("the server closed the connection")
        return run

    # ----- what the server sends -----

    async def _read(self) -> None:
        try:
            async for data in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._receive(msg)
        except ConnectionClosed:
            pass
        finally:
            if self._answered is not None and not self._answered.done():
                self._answered.set_result("closed")

    def _receive(self, msg: ForwardMsg) -> None:
        if msg.HasField("ref_hash"):
            cached = self._cache.get(msg.ref_hash)
            if cached is None:
                self._error(f"the server referred to a message this client never cached ({msg.ref_hash})")
                return
            metadata = msg.metadata
            msg = ForwardMsg()
            msg.CopyFrom(cached)
            msg.metadata.CopyFrom(metadata)
        elif msg.metadata.cacheable and msg.hash:
            self._cache[msg.hash] = msg
            if len(self._cache) > CACHED_MESSAGES:
                del self._cache[next(iter(self._cache))]
        kind = msg.WhichOneof("type")
        if kind == "navigation":
            self.pages = {p.page_name: p.page_script_hash for p in msg.navigation.app_pages}
            self.page_script_hash = msg.navigation.page_script_hash
        elif kind == "new_session":
            self.page_script_hash = msg.new_session.page_script_hash or self.page_script_hash
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self._element(msg.delta.new_element, msg.delta.fragment_id, tuple(msg.metadata.delta_path))
        elif kind == "page_not_found":
            self._error(f"page not found: {msg.page_not_found.page_name!r}")
        elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
            e = msg.session_event.script_compilation_exception
            self._error(f"{e.type}: {e.message}")
        elif kind == "script_finished" and msg.script_finished in ANSWERS:
            if msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:  # a full run: forget what it no longer drew
                self.widgets = {i: w for i, w in self.widgets.items() if i in self._seen}
                self.states = {i: s for i, s in self.states.items() if i in self._seen}
            if self._answered is not None and not self._answered.done():
                self._answered.set_result(ANSWERS[msg.script_finished])

    def _element(self, element, fragment_id: str, delta_path: tuple[int, ...]) -> None:
        kind = element.WhichOneof("type")
        run = self._run if self._run is not None else Run()  # messages after a timeout still update the widgets
        if is_widget(element):
            widget = Widget(element, fragment_id, delta_path)
            self.widgets[widget.id] = widget
            self._seen.add(widget.id)
            if widget.id not in self.states or widget.proto.set_value:
                initial = widget.initial_state()
                if initial is not None:
                    self.states[widget.id] = initial
        elif kind == "heading":
            run.headings.append(element.heading.body)
        elif kind == "markdown":
            run.texts.append(element.markdown.body)
        elif kind == "metric":
            run.texts.append(f"{element.metric.label}: {element.metric.body}")
        elif kind == "plotly_chart":
            run.plots.append(element.plotly_chart.spec)
        elif kind == "progress":
            run.progress.append(element.progress.text)
        elif kind == "exception":
            self._error(f"{element.exception.type}: {element.exception.message}")
        elif kind == "alert":
            run.texts.append(element.alert.body)
            if element.alert.format == Alert.ERROR:
                self._error(f"st.error: {element.alert.body}")

    def _error(self, text: str) -> None:
        if self._run is not None:
            self._run.errors.append(text)

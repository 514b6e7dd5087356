"""One queue for every session's heavy work: requests wait in order, requests of one `batch_key` run together as
one batch (one forward pass per step for all their rows), equal requests share one run, and finished results are
kept in a bounded cache, so that asking again is free.

An executor runs each batch: `jobs.run_batch` in the service's own thread (the default of the constructor), a
`WorkerProcess` (a child process at the lowest priority: what a served lab uses, `from_settings`), or `OnDask`
(one task on a Dask cluster, a GPU worker, say, its progress read back from the cluster). Each request gets a `Ticket`: its place in the queue, its progress,
its result or its error. A batch that fails runs again request by request, so that an error reaches only the
request that caused it.
"""
from __future__ import annotations

import threading
import uuid
from typing import Any, Callable, Sequence

from lab_app.server.settings import Settings

from . import jobs
from .host import lower_this_thread, return_freed_memory
from .process import WorkerProcess
from .requests import BoundRequest, SampleRequest
from .results import BoundedResults

Request = SampleRequest | BoundRequest
Executor = Callable[[Sequence[Request], jobs.Progress], list]  # a batch's requests and progress -> their results
MAX_BATCH_ROWS = 32_768  # rows of one batch: 16 default 2-D requests, or 128 of the digits' default 16 (small U-Net)
MAX_RESULT_BYTES = 96 * 2**20  # the finished results kept (30 default 2-D results with their trajectories, 3.2 MB each):
# twice that lets 50 students' new samples take the server and its compute process past 1 GiB


class Ticket:
    """A request's place in the service. `state` runs queued → running → done or failed (or cancelled, when every
    session waiting for it left while it was queued); `done` of `total` steps, `preview` the model's current x̂0
    (None for a bound), `batch` how many requests share its run."""

    def __init__(self, request: Request, service: ComputeService):
        self.request, self._service = request, service
        self.state = "queued"
        self.done, self.total, self.preview, self.batch = 0, 0, None, 1
        self.result: dict | None = None
        self.error: BaseException | None = None
        self.watchers = 1
        self._finished = threading.Event()

    @property
    def ahead(self) -> int:
        """How many requests will run before this one starts (0 once it runs)."""
        return self._service.ahead(self)

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until done, failed or cancelled; whether it finished within `timeout`."""
        return self._finished.wait(timeout)

    def value(self, timeout: float | None = None) -> dict:
        """The result, waiting for it; the job's own exception if it failed."""
        if not self.wait(timeout):
            raise TimeoutError(f"{self.request} is still {self.state} after {timeout} s")
        if self.error is not None:
            raise self.error
        if self.result is None:
            raise RuntimeError(f"{self.request} was cancelled: no session waited for it")
        return self.result

    def release(self) -> None:
        """This session no longer waits (see `ComputeService.release`)."""
        self._service.release(self)

    def _end(self, state: str, result: dict | None = None, error: BaseException | None = None) -> None:
        self.state, self.result, self.error = state, result, error
        self._finished.set()


class OnDask:
    """Each batch as one task on a Dask cluster, whose workers need this repository. The task sets its progress
    reports on a `distributed.Variable` of its own, read every `poll_s` while the service waits for the result."""

    def __init__(self, client: Any, poll_s: float = 0.25):
        self.client, self.poll_s = client, poll_s

    def __call__(self, requests: Sequence[Request], progress: jobs.Progress | None = None) -> list[dict]:
        from distributed import Variable

        name = f"ddpm-lab-progress-{uuid.uuid4().hex}"
        reports = Variable(name, client=self.client)
        future = self.client.submit(jobs.run_batch_on_dask, list(requests), name, pure=False)
        try:
            while True:
                try:
                    return future.result(timeout=self.poll_s)
                except TimeoutError:  # still running: pass on its latest report, if it has made one
                    if progress is not None:
                        try:
                            progress(*reports.get(timeout=self.poll_s))
                        except TimeoutError:
                            pass
        finally:
            reports.delete()


class ComputeService:
    """The queue, its worker threads (`workers`, default 1: on a CPU one batch at a time uses the cores best), each
    handing batches to `executor` (default `jobs.run_batch`, in the thread), and the bounded results."""

    def __init__(self, *, executor: Executor = jobs.run_batch, workers: int = 1, max_batch_rows: int = MAX_BATCH_ROWS,
                 max_result_bytes: int = MAX_RESULT_BYTES):
        if workers < 1:
            raise ValueError(f"workers must be at least 1; got {workers}")
        if max_batch_rows < 1:
            raise ValueError(f"max_batch_rows must be at least 1; got {max_batch_rows}")
        self.executor, self.max_batch_rows = executor, max_batch_rows
        self.results = BoundedResults(max_result_bytes)
        self._queue: list[Ticket] = []
        self._running: list[Ticket] = []
        self._pending: dict[tuple, Ticket] = {}  # key -> its queued or running ticket
        self._changed = threading.Condition()
        self._closed = False
        self._threads = [threading.Thread(target=self._work, name=f"ddpm-lab-compute-{i}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()

    @classmethod
    def from_settings(cls, settings: Settings) -> ComputeService:
        """A served lab's service: batches on the Dask scheduler `settings.dask_scheduler` names, `compute_workers`
        at once; else in the service's thread (`compute == "thread"`), or in a `WorkerProcess` with
        `compute_threads` torch threads (default all cores but one)."""
        if settings.dask_scheduler:
            from distributed import Client
            return cls(executor=OnDask(Client(settings.dask_scheduler)), workers=settings.compute_workers)
        if settings.compute == "thread":
            return cls()
        return cls(executor=WorkerProcess(settings.compute_threads))

    def submit(self, request: Request) -> Ticket:
        """A ticket for `request`: finished at once when its result is kept, the ticket of an equal request already
        queued or running, or a new one at the end of the queue."""
        with self._changed:
            if self._closed:
                raise RuntimeError("the compute service is closed")
            if (pending := self._pending.get(request.key)) is not None:
                pending.watchers += 1
                return pending
            ticket = Ticket(request, self)
            if (result := self.results.get(request.key)) is not None:
                ticket.done = ticket.total = 1
                ticket._end("done", result)
                return ticket
            self._queue.append(ticket)
            self._pending[request.key] = ticket
            self._changed.notify()
            return ticket

    def release(self, ticket: Ticket) -> None:
        """A session stops waiting for `ticket`; a queued ticket no session waits for leaves the queue."""
        with self._changed:
            ticket.watchers -= 1
            if ticket.watchers <= 0 and ticket.state == "queued" and ticket in self._queue:
                self._queue.remove(ticket)
                del self._pending[ticket.request.key]
                ticket._end("cancelled")

    def ahead(self, ticket: Ticket) -> int:
        """Requests running or queued before `ticket` (0 when it runs or has ended)."""
        with self._changed:
            if ticket.state != "queued" or ticket not in self._queue:
                return 0
            return len(self._running) + self._queue.index(ticket)

    def close(self) -> None:
        """Stop the worker threads after their current batches; queued tickets are cancelled."""
        with self._changed:
            self._closed = True
            for ticket in self._queue:
                ticket._end("cancelled")
            self._queue.clear()
            self._changed.notify_all()
        for thread in self._threads:
            thread.join()
        if hasattr(self.executor, "close"):
            self.executor.close()

    def _next_batch(self) -> list[Ticket] | None:
        """The queue's head and every queued ticket of its batch_key that fits in max_batch_rows, in queue order."""
        with self._changed:
            while not self._queue and not self._closed:
                self._changed.wait()
            if self._closed:
                return None
            head = self._queue[0]
            batch, rows = [], 0
            for ticket in list(self._queue):
                n = getattr(ticket.request, "n", 1)
                fits = not batch or rows + n <= self.max_batch_rows
                if ticket.request.batch_key == head.request.batch_key and fits:
                    batch.append(ticket)
                    rows += n
                    self._queue.remove(ticket)
            for ticket in batch:
                ticket.state, ticket.batch = "running", len(batch)
            self._running += batch
            return batch

    def _work(self) -> None:
        lower_this_thread()  # a batch takes the cores only when no page rerun wants them
        while (batch := self._next_batch()) is not None:
            try:
                self._run(batch)
            finally:
                return_freed_memory()
                with self._changed:
                    for ticket in batch:
                        self._running.remove(ticket)
                        self._pending.pop(ticket.request.key, None)

    def _run(self, batch: list[Ticket]) -> None:
        """Run a batch and hand each ticket its result; if it fails, run its requests one by one."""
        try:
            results = self._execute(batch)
        except BaseException as e:  # whatever a job raises, the service goes on
            if len(batch) == 1:
                batch[0]._end("failed", error=e)
                return
            for ticket in batch:
                ticket.batch = 1
                self._run([ticket])
            return
        for ticket, result in zip(batch, results):
            self.results.put(ticket.request.key, result)
            ticket._end("done", result)

    def _execute(self, batch: list[Ticket]) -> list[dict]:
        def progress(done: int, total: int, previews: list) -> None:
            for ticket, preview in zip(batch, previews):
                ticket.done, ticket.total, ticket.preview = done, total, preview

        return self.executor([ticket.request for ticket in batch], progress)

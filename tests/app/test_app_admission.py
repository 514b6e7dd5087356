"""Page scripts take turns (lab_app/server/admission.py, issue 16): do no more than k scripts run at once, may a script that
holds a turn ask again without waiting for itself, and does a script that steps aside to wait let another run?"""
import threading
import time

import pytest

from lab_app.server.admission import Turns


def run_all(targets, timeout: float = 10.0) -> None:
    threads = [threading.Thread(target=t, daemon=True) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"


@pytest.mark.parametrize("k", [1, 2])
def test_no_more_than_k_scripts_run_at_once(k):
    """Six threads each holding a turn for 50 ms: is the most ever inside at once exactly k?"""
    turns, inside, most, lock = Turns(k), [0], [0], threading.Lock()

    def script():
        with turns.turn():
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.05)
            with lock:
                inside[0] -= 1

    run_all([script] * 6)
    assert most[0] == k and inside[0] == 0


def test_a_turn_inside_a_turn_does_not_wait_for_itself():
    """A fragment run within its page's run asks for a turn again: does it get through at once, and is the turn given
    back only when the outer one ends?"""
    turns, seen = Turns(1), []

    def page():
        with turns.turn():
            with turns.turn():
                seen.append(turns.held)
            seen.append(turns.held)
        seen.append(turns.held)

    run_all([page], timeout=2.0)
    assert seen == [True, True, False]


def test_a_script_that_steps_aside_lets_another_run_and_gets_its_turn_back():
    """With one turn: while the first script waits (stepped aside) for something the second does, does the second get
    the turn and do it, and does the first hold the turn again afterwards?"""
    turns, done, order = Turns(1), threading.Event(), []

    def waiting():
        with turns.turn():
            order.append("first waits")
            with turns.stepped_aside():
                assert not turns.held
                assert done.wait(5)
            order.append(f"first back, holding: {turns.held}")

    def other():
        time.sleep(0.05)
        with turns.turn():
            order.append("second runs")
            done.set()

    run_all([waiting, other])
    assert order == ["first waits", "second runs", "first back, holding: True"]


def test_stepping_aside_without_a_turn_changes_nothing():
    """A thread with no turn (the warm-up, a cached computation's worker) that steps aside neither gives nor takes."""
    turns = Turns(1)
    with turns.stepped_aside():
        assert not turns.held
    with turns.turn():  # the one turn is still free
        assert turns.held


def test_zero_turns_is_refused():
    with pytest.raises(ValueError, match="at least one script must be able to run; got 0"):
        Turns(0)

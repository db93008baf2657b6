"""pytest-forked: marked tests run in a child process of pytest's; one
crashes it (pytest-forked reports the signal, pytest goes on); what a forked
test changes stays in its child."""
import os
import signal

import pytest

state = {"changed": False}


@pytest.mark.forked
def test_change_in_child():
    state["changed"] = True


def test_parent_unchanged():
    assert not state["changed"]


@pytest.mark.forked
def test_crashes_its_child():
    os.kill(os.getpid(), signal.SIGSEGV)


@pytest.mark.forked
def test_fails_in_child():
    assert 1 == 2

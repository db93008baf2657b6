import os
import signal
import time


def test_segv():
    os.kill(os.getpid(), signal.SIGSEGV)


def test_exit():
    os._exit(3)


def test_hang():
    time.sleep(600)


def test_after():
    pass

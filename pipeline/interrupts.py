"""Ctrl-C and SIGTERM for the ``winnow`` commands: both stop a command the same way, cleanly, at any point.

A run's finished tasks are kept and the rest resume when the command is run again, so stopping must never
leave half-written state behind or a library's at-fork state broken. :func:`interruptible` runs a function with
both signals raising a KeyboardInterrupt (``Terminated`` for SIGTERM: Slurm's time limit, a preemption,
``kill``) at an ordinary point of the code; :func:`sigterm_interrupts` makes SIGTERM behave like Ctrl-C for
the rest of a command.
"""

from __future__ import annotations

import contextlib
import sys

_FORK_GUARD: list[bool] = []  # set once the at-fork hooks are installed in this process


def guard_forks_from_ctrl_c() -> None:
    """Hold SIGINT and SIGTERM back while a fork runs the at-fork hooks of the modules imported so far.

    Libraries keep state across fork in such hooks (filelock 4 pins its locks there); a KeyboardInterrupt
    raised half-way through one leaves that state broken, and the other hooks then fail with tracebacks.
    Hooks run "before" in reverse order of registration and "after" in order, so hooks registered after
    every library imported so far block SIGINT first and unblock it last; a Ctrl-C in between waits
    until the fork is done, then interrupts as usual. Installed once per process."""
    import os
    import signal

    if _FORK_GUARD or not hasattr(os, "register_at_fork"):
        return
    _FORK_GUARD.append(True)

    def block():
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})

    def unblock():
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})

    os.register_at_fork(before=block, after_in_parent=unblock, after_in_child=unblock)


class Terminated(KeyboardInterrupt):
    """SIGTERM (Slurm's time limit or a preemption, ``kill``): stops a command the way Ctrl-C does."""


def interrupt_for(signum: int) -> KeyboardInterrupt:
    import signal

    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def interruptible(fn, *args):
    """``fn(*args)``, stopped by Ctrl-C or SIGTERM with a KeyboardInterrupt (the CLI prints one line for it).

    A signal that lands while Python runs a finalizer or an at-fork hook (a pool or manager starting or
    stopping between two jobs) cannot raise there: Python reports it as "Exception ignored" and goes on.
    Such a report is silenced and the interrupt raised again 10 ms later, at an ordinary point; forks
    hold SIGINT and SIGTERM back until their hooks are done (``guard_forks_from_ctrl_c``)."""
    import signal

    guard_forks_from_ctrl_c()
    hit = []

    def on_signal(signum, frame):
        hit.append(signum)
        raise interrupt_for(hit[0])

    def on_alarm(signum, frame):
        raise interrupt_for(hit[0])

    def on_unraisable(unraisable):
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            signal.setitimer(signal.ITIMER_REAL, 0.01)  # SIGALRM -> on_alarm, outside the finalizer
        else:
            previous_hook(unraisable)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    previous_alarm = signal.signal(signal.SIGALRM, on_alarm)
    previous_hook, sys.unraisablehook = sys.unraisablehook, on_unraisable
    try:
        result = fn(*args)
    except BaseException as e:
        # After a Ctrl-C, whatever the interrupted code raised on its way out (a pipe to a stopped worker,
        # BrokenPipeError, which the CLI takes for a closed stdout) is the interrupt: say so, exit 130.
        if hit and not isinstance(e, KeyboardInterrupt):
            raise interrupt_for(hit[0]) from e
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for s, handler in previous.items():
            signal.signal(s, handler)
        signal.signal(signal.SIGALRM, previous_alarm)
        sys.unraisablehook = previous_hook
    if hit:  # swallowed somewhere we could not see, and the run went on to the end: still say so
        raise interrupt_for(hit[0])
    return result


@contextlib.contextmanager
def sigterm_interrupts():
    """SIGTERM raises :class:`Terminated` in the main thread, so every command stops as on Ctrl-C."""
    import signal

    def on_sigterm(signum, frame):
        raise Terminated

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)

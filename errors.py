"""The package's error types and the one format of a refusal message."""
import signal

SHOWN_CHARS = 200       # longest value echoed in a message


class Refused(ValueError):
    """Refused before any work: the command exits 2 with this one-line message
    (it names the file or option, the key or path, the value and what is allowed)."""


class Interrupted(Exception):
    """The run stopped at a safe point after SIGINT/SIGTERM/SIGHUP.

    ``next_episode``: the first episode not run (episode modes); ``model_ms``:
    the model time reached (resting state)."""

    EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143,   # shell convention: 128 + signal
                   signal.SIGHUP: 129}                      # (SIGHUP: a closed terminal)

    def __init__(self, signum, next_episode=None, model_ms=None):
        super().__init__(signum)
        self.signum, self.next_episode, self.model_ms = signum, next_episode, model_ms

    @property
    def exit_code(self):
        return self.EXIT_SIGNAL.get(self.signum, 1)


class RunFailed(Exception):
    """The run cannot go on and says why in one line (exit 1, run.json ``failed``)."""


def cut(text, limit=SHOWN_CHARS):
    """``text`` cut to ``limit`` characters, with its full length named."""
    text = str(text)
    if len(text) <= limit:
        return text
    return '%s... (%d characters)' % (text[:limit], len(text))


def shown(value, limit=SHOWN_CHARS):
    """``repr(value)`` for a message, cut to ``limit`` characters (a 100-kB value
    is named by its start and its length, never echoed whole)."""
    return cut(repr(value), limit)


def bad_value(where, key, value, allowed, kind=Refused):
    """The one message format of a refused value: where (file or option), the key,
    the value (shortened to 200 characters) and what is allowed."""
    return kind('%s: key %r has bad value %s; allowed: %s' % (where, key, shown(value), allowed))

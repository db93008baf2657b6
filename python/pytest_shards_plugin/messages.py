"""The texts that pytest-shards records: failure and skip messages, as valid
Unicode and of bounded size, for the journal and the collection JSON."""

MESSAGE_LIMIT = 64 * 1024  # bytes of failure text kept per result record


def skip_reason(report):
    """The reason of a skipped report (test or collector)."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return report.longreprtext


def truncate(text):
    """text cleaned and cut to MESSAGE_LIMIT bytes, saying so."""
    data = clean(text).encode("utf-8")
    if len(data) <= MESSAGE_LIMIT:
        return data.decode("utf-8")
    note = b"\n[truncated by pytest-shards]"
    return data[: MESSAGE_LIMIT - len(note)].decode("utf-8", "ignore") + note.decode()


def clean(text):
    """text as valid Unicode: lone surrogates (from undecodable bytes) become ?."""
    return text.encode("utf-8", "replace").decode("utf-8")

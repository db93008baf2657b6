"""A small package whose tests exercise the session outputs: coverage of
code run at import time and by tests, branches, a test that fails, one that
is skipped, record_property, and captured output for junit_logging."""

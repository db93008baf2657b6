import os


def env_flag():
    return os.environ.get("SESSION_SUITE_FLAG", "unset")


def crash_if_asked():
    if os.environ.get("SESSION_SUITE_CRASH") == "1":
        os._exit(3)
    return True

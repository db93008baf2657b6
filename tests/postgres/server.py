"""One PostgreSQL server per ctest run, for the example suite.

The FIXTURES_SETUP entry runs `server.py start`: it stops a server an earlier
(killed) run left behind, initialises a new cluster in a private directory of
the build tree and starts it on a unix socket in a private directory, with no
TCP listener, so that it can clash with no other server and no port. The
FIXTURES_CLEANUP entry runs `server.py stop`. PostgreSQL refuses to run as
root: as root, the server runs as the `postgres` user (runuser).

Every start and stop is appended to <evidence>/server-events.jsonl, which
tests/e2e/postgres_check.py reads.

usage: server.py start|stop --bindir DIR --dir DIR --socket-dir DIR --evidence DIR
"""
import argparse
import json
import os
import pathlib
import pwd
import shutil
import subprocess
import sys
import time

PORT = 5432  # names the socket file only: the server listens on no TCP port
SERVER_USER = "postgres"  # the account the server runs as when we are root


def say(message):
    print(f"postgres-server: {message}", flush=True)


def fail(message):
    say(message)
    sys.exit(1)


def as_server_user(argv):
    """argv as the user the server may run as: ourselves, or postgres for root."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", SERVER_USER, "--", *argv]


def run(argv, **kwargs):
    return subprocess.run(as_server_user([str(a) for a in argv]), **kwargs)


def record(evidence, event, **fields):
    evidence.mkdir(parents=True, exist_ok=True)
    with open(evidence / "server-events.jsonl", "a", encoding="utf-8") as out:
        out.write(json.dumps({"event": event, "time": time.time(), **fields}) + "\n")


def server_pid(data):
    try:
        return int((data / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_server(bindir, data, mode):
    """Stops the server of `data` if one runs; returns its pid or None."""
    pid = server_pid(data)
    if pid is None or not alive(pid):
        return None
    result = run([bindir / "pg_ctl", "stop", "-D", data, "-m", mode, "-w", "-t", "60"])
    if result.returncode != 0:
        run([bindir / "pg_ctl", "stop", "-D", data, "-m", "immediate", "-w", "-t", "30"])
    for _ in range(300):
        if not alive(pid):
            return pid
        time.sleep(0.1)
    fail(f"the server (pid {pid}) did not stop; kill it and remove {data}")


def private_dir(path):
    """An empty directory only the server's account can use."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam(SERVER_USER)
        except KeyError:
            fail(f"PostgreSQL does not run as root and there is no '{SERVER_USER}' user; "
                 f"run ctest as another user or create one (Debian's postgresql package does)")
        os.chown(path, account.pw_uid, account.pw_gid)
    path.chmod(0o700)
    if run(["test", "-w", path]).returncode != 0:
        fail(f"user '{SERVER_USER}' cannot write {path}; let it traverse the build tree's "
             f"parent directories (chmod o+x) or build elsewhere")


def start(args):
    bindir, root = pathlib.Path(args.bindir), pathlib.Path(args.dir)
    socket_dir, evidence = pathlib.Path(args.socket_dir), pathlib.Path(args.evidence)
    for tool in ("initdb", "pg_ctl"):
        if not (bindir / tool).is_file():
            fail(f"{bindir / tool} is missing; install PostgreSQL (Debian: apt-get install "
                 f"postgresql) and re-run cmake")
    data = root / "data"
    leftover = stop_server(bindir, data, "immediate")
    if leftover:
        say(f"stopped the server pid {leftover} that an earlier run left behind")
    # A fresh cluster per run: no database of an earlier run survives.
    private_dir(root)
    private_dir(socket_dir)
    init = run([bindir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync",
                "-E", "UTF8", "--locale=C"], capture_output=True, text=True)
    if init.returncode != 0:
        fail(f"initdb failed:\n{init.stdout}{init.stderr}")
    quoted = str(socket_dir).replace("'", "''")
    settings = [
        "listen_addresses = ''",  # unix socket only: no port to collide on
        f"unix_socket_directories = '{quoted}'",
        f"port = {PORT}",
        "max_connections = 200",
        # A throw-away test cluster: durability buys nothing here.
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = off",
    ]
    conf = run(["sh", "-c", 'cat >> "$1"', "sh", data / "postgresql.conf"],
               input="\n".join(settings) + "\n", text=True)
    if conf.returncode != 0:
        fail(f"cannot configure {data / 'postgresql.conf'}")
    log = root / "server.log"
    result = run([bindir / "pg_ctl", "start", "-D", data, "-l", log, "-w", "-t", "60"],
                 capture_output=True, text=True)
    pid = server_pid(data)
    if result.returncode != 0 or pid is None:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        fail(f"pg_ctl start failed:\n{result.stdout}{result.stderr}{tail}")
    version = (data / "PG_VERSION").read_text().strip()
    record(evidence, "start", pid=pid, data=str(data), socket_dir=str(socket_dir))
    say(f"started PostgreSQL {version} (pid {pid}) on a unix socket in {socket_dir}")


def stop(args):
    bindir, root = pathlib.Path(args.bindir), pathlib.Path(args.dir)
    data = root / "data"
    pid = stop_server(bindir, data, "fast")
    if pid is None:
        say("no server was running")
        return
    record(pathlib.Path(args.evidence), "stop", pid=pid)
    # The log stays for reading; the cluster goes.
    shutil.rmtree(data, ignore_errors=True)
    say(f"stopped the server (pid {pid})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=("start", "stop"))
    for option in ("--bindir", "--dir", "--socket-dir", "--evidence"):
        parser.add_argument(option, required=True)
    args = parser.parse_args()
    start(args) if args.command == "start" else stop(args)


if __name__ == "__main__":
    main()

"""A throwaway PostgreSQL cluster for the tests (issue 17).

Debian's `postgresql` package: initdb into a new temp directory, the
server on a free port of 127.0.0.1 only (its Unix socket in the same
directory), stopped and removed at the end. PostgreSQL refuses to run as
root, so when the tests run as root (CI) every server command runs as the
`postgres` user the package creates, through runuser, and the directory
is given to that user. Trust authentication on loopback: the cluster
lives as long as the test run and holds nothing else.

    cluster = Cluster().start()
    url = cluster.create_database("d1")   # postgresql://postgres@...
    cluster.stop()
"""
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

RUN_AS = "postgres"


def bindir():
    """The newest installed server's bin directory, or None."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                  key=lambda p: int(p.split("/")[4]))
    if dirs:
        return os.path.dirname(dirs[-1])
    found = shutil.which("initdb")
    return os.path.dirname(found) if found else None


def available():
    return bindir() is not None and (os.geteuid() != 0 or _has_user())


def _has_user():
    try:
        pwd.getpwnam(RUN_AS)
        return True
    except KeyError:
        return False


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, durable=False, settings=()):
        # durable: fsync and synchronous commit on (a bench's fair
        # comparison); the tests need neither. settings: more server
        # settings, "name=value" each (e.g. log_min_duration_statement=5
        # to see slow statements in server.log)
        self.durable = durable
        self.settings = list(settings)
        self.bin = bindir()
        if self.bin is None:
            raise RuntimeError("PostgreSQL server binaries not found "
                               "(Debian package postgresql)")
        self.dir = None
        self.port = None
        self.running = False

    def _run(self, *argv, check=True, timeout=120):
        cmd = list(argv)
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", RUN_AS, "--"] + cmd
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=timeout, cwd=self.dir)
        if check and proc.returncode != 0:
            raise RuntimeError("%s: exit %d\n%s%s" % (
                " ".join(argv), proc.returncode, proc.stdout, proc.stderr))
        return proc

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="reviewd-pg-")
        if os.geteuid() == 0:
            pw = pwd.getpwnam(RUN_AS)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        data = os.path.join(self.dir, "data")
        self._run(os.path.join(self.bin, "initdb"), "-D", data,
                  "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-locale", "--no-sync")
        # A port another process takes between here and the start makes
        # pg_ctl fail: then another one is tried.
        for _ in range(5):
            self.port = free_port()
            opts = ("-c listen_addresses=127.0.0.1 -p %d "
                    "-c unix_socket_directories=%s -c max_connections=200"
                    % (self.port, self.dir))
            if not self.durable:
                opts += (" -c fsync=off -c synchronous_commit=off "
                         "-c full_page_writes=off")
            for setting in self.settings:
                opts += " -c " + setting
            proc = self._run(os.path.join(self.bin, "pg_ctl"), "-D", data,
                             "-o", opts, "-l",
                             os.path.join(self.dir, "server.log"), "-w",
                             "-t", "60", "start", check=False)
            if proc.returncode == 0:
                self.running = True
                return self
        raise RuntimeError("pg_ctl start failed:\n" + self.log())

    def log(self):
        try:
            with open(os.path.join(self.dir, "server.log")) as f:
                return f.read()
        except OSError:
            return ""

    def psql(self, sql, database="postgres"):
        """Runs sql; returns its output rows (unaligned, tuples only)."""
        proc = self._run(os.path.join(self.bin, "psql"), "-X", "-q",
                         "-v", "ON_ERROR_STOP=1", "-At",
                         "-h", "127.0.0.1", "-p", str(self.port),
                         "-U", "postgres", "-d", database, "-c", sql)
        return proc.stdout.splitlines()

    def url(self, database):
        return "postgresql://postgres@127.0.0.1:%d/%s" % (self.port,
                                                         database)

    def create_database(self, name):
        self.psql('CREATE DATABASE "%s"' % name)
        return self.url(name)

    def stop(self):
        if self.running:
            self._run(os.path.join(self.bin, "pg_ctl"), "-D",
                      os.path.join(self.dir, "data"), "-m", "immediate",
                      "-w", "stop", check=False)
            self.running = False
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

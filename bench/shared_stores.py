"""Section 5 of bench/run.py: perch-proxy on Redis + PostgreSQL, one and two
instances (nginx taking turns), next to the embedded memory + SQLite.

Real servers from Debian's packages, each in a scratch folder on a free
loopback port, stopped on the way out. PostgreSQL runs as `postgres` when
this runs as root (initdb refuses root)."""

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time

PG_BIN = "/usr/lib/postgresql/15/bin"


def _wait(what, ready, deadline=20):
    until = time.monotonic() + deadline
    while time.monotonic() < until:
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} was not ready within {deadline} s")


class Redis:
    def __init__(self, scratch, port):
        self.port = port
        self.dir = os.path.join(scratch, f"redis-{port}")
        os.makedirs(self.dir)
        self.proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", self.dir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait("redis-server", lambda: self.cli("PING") == "PONG")
        self.url = f"redis://127.0.0.1:{port}/0"

    def cli(self, *args):
        done = subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True, timeout=10)
        return done.stdout.strip()

    def calls(self):
        """Commands Redis has run so far (each EVALSHA and SET counts one)."""
        total = 0
        for line in self.cli("INFO", "commandstats").splitlines():
            if line.startswith("cmdstat_"):
                total += int(line.split("calls=")[1].split(",")[0])
        return total

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Postgres:
    def __init__(self, scratch, port):
        self.port = port
        # Its own folder under /tmp: the bench's scratch folder is private to
        # root, and the server runs as postgres.
        self.dir = tempfile.mkdtemp(prefix="perch-bench-pg-")
        os.chmod(self.dir, 0o700)
        self.password = secrets.token_hex(12)
        ids = {}
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(self.dir, pg.pw_uid, pg.pw_gid)
            ids = {"user": pg.pw_uid, "group": pg.pw_gid}
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(self.password + "\n")
        if ids:
            os.chown(pwfile, ids["user"], ids["group"])
        data = os.path.join(self.dir, "data")
        subprocess.run([f"{PG_BIN}/initdb", "-D", data, "-U", "perch", "--pwfile", pwfile, "-A", "scram-sha-256",
                        "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True, timeout=120,
                       **ids)
        # fsync stays on: the rows measure what a deployment pays per registration.
        self.proc = subprocess.Popen([f"{PG_BIN}/postgres", "-D", data, "-p", str(port), "-k", self.dir,
                                      "-c", "listen_addresses=127.0.0.1"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **ids)
        _wait("postgres", lambda: subprocess.run([f"{PG_BIN}/pg_isready", "-h", "127.0.0.1", "-p", str(port), "-q"],
                                                 timeout=5).returncode == 0)
        self.url = f"postgresql://perch:{self.password}@127.0.0.1:{port}/postgres"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


def start_nginx(folder, workers, http_block):
    """nginx in the foreground, unprivileged, everything it writes in `folder`;
    `http_block`: the lines inside its http { } (servers, upstreams)."""
    os.makedirs(folder)
    conf = os.path.join(folder, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""daemon off;
worker_processes {workers};
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {folder}/cb; proxy_temp_path {folder}/p; fastcgi_temp_path {folder}/f;
  uwsgi_temp_path {folder}/u; scgi_temp_path {folder}/s;
{http_block}
}}
""")
    return subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-p", folder, "-c", conf, "-e",
                             os.path.join(folder, "error.log")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def nginx_round_robin(scratch, port, upstreams):
    servers = "\n".join(f"    server {u};" for u in upstreams)
    return start_nginx(os.path.join(scratch, f"nginx-{port}"), 2, f"""  upstream perch {{
{servers}
    keepalive 64;
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://perch;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
    }}
  }}""")

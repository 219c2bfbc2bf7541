"""Runs perch-emulator (and other loopback test servers) as child processes for the Python checks."""

import os
import queue
import signal
import subprocess
import sys
import threading
import time

START_DEADLINE_S = 10
STOP_DEADLINE_S = 5


def emulator_binary():
    """argv[1], else $PERCH_EMULATOR, else build/native/bin/perch-emulator."""
    binary = (sys.argv[1] if len(sys.argv) > 1 else
              os.environ.get("PERCH_EMULATOR", "build/native/bin/perch-emulator"))
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"{binary} is not an executable; build perch-emulator first")
    return binary


class ListeningProcess:
    """A child server that prints "<name> listening on http://127.0.0.1:PORT" first."""

    def __init__(self, argv, name):
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: lines.put(self.process.stdout.readline()),
                         daemon=True).start()
        self.stderr_lines = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        try:
            line = lines.get(timeout=START_DEADLINE_S)
        except queue.Empty:
            self.kill()
            raise SystemExit(f"{name} printed nothing within {START_DEADLINE_S} s")
        prefix = f"{name} listening on http://127.0.0.1:"
        if not line.startswith(prefix):
            self.kill()
            raise SystemExit(f"unexpected first line from {name}: {line!r}")
        self.port = int(line[len(prefix):].strip())
        self.base = f"http://127.0.0.1:{self.port}"

    def _drain_stderr(self):
        for line in self.process.stderr:
            self.stderr_lines.append(line.rstrip("\n"))

    def stop(self):
        """SIGTERM; returns (exit code, seconds taken)."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=STOP_DEADLINE_S)
        except subprocess.TimeoutExpired:
            self.kill()
            return None, time.monotonic() - started
        return code, time.monotonic() - started

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Emulator(ListeningProcess):
    """A perch-emulator child process; the port comes from its one stdout line."""

    def __init__(self, binary, consumer_key, consumer_secret, *extra):
        super().__init__([binary, "--port", "0", "--consumer-key", consumer_key,
                          "--consumer-secret", consumer_secret, *extra], "perch-emulator")

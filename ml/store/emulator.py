"""Start, clear and stop a local Cloud Firestore emulator (for tests, the benchmark and dev).

In: nothing but a Java runtime and the emulator jar (found via `FIRESTORE_EMULATOR_JAR`, the
Google Cloud SDK, or the Firebase CLI cache). Out: a running emulator on a free loopback port;
`host` is what `FIRESTORE_EMULATOR_HOST` should be. The java process itself is started (not the
SDK's wrapper script) so stopping it never leaves an orphan.

    python -m ml.store.emulator          # run one in the foreground, Ctrl-C stops it
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

MAIN_CLASS = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"
JAR_CANDIDATES = (
    "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar",
    "/usr/share/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar",
    "/opt/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar",
    "~/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar",
    "~/.cache/firebase/emulators/cloud-firestore-emulator-v*.jar",
)
HOW_TO_GET = (
    "install Java 17+ and the emulator (`gcloud components install cloud-firestore-emulator`, or "
    "apt-get install google-cloud-cli-firestore-emulator), or point FIRESTORE_EMULATOR_JAR at the jar"
)


class EmulatorUnavailable(RuntimeError):
    """Java or the emulator jar cannot be found on this machine."""


def find_emulator() -> tuple[str, str]:
    """(java executable, jar path); raises EmulatorUnavailable saying how to get them."""
    java = shutil.which(os.environ.get("JAVA", "java"))
    if not java:
        raise EmulatorUnavailable(f"no java on PATH: {HOW_TO_GET}")
    env_jar = os.environ.get("FIRESTORE_EMULATOR_JAR")
    candidates = [env_jar] if env_jar else []
    for pattern in JAR_CANDIDATES:
        candidates.extend(sorted(glob.glob(os.path.expanduser(pattern)), reverse=True))
    for jar in candidates:
        if jar and Path(jar).is_file():
            return java, jar
    raise EmulatorUnavailable(f"Cloud Firestore emulator jar not found: {HOW_TO_GET}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FirestoreEmulator:
    """One emulator process. `start()` blocks until `GET /` answers Ok; `stop()` shuts it down."""

    def __init__(self, port: int | None = None, log_path: str | Path | None = None, start_timeout_s: float = 90.0):
        self.port = port
        self.log_path = log_path
        self.start_timeout_s = start_timeout_s
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    def start(self) -> FirestoreEmulator:
        java, jar = find_emulator()
        self.port = self.port or free_port()
        self._log = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115 - closed in stop()
        log = self._log or subprocess.DEVNULL
        cmd = [java, "-Duser.language=en", "-Xmx1g", "-cp", jar, MAIN_CLASS, "start",
               "--host=127.0.0.1", f"--port={self.port}"]
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Firestore emulator exited with code {self.proc.returncode} (port {self.port})")
            if self._ok():
                return self
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"Firestore emulator did not answer on {self.base_url} within {self.start_timeout_s}s")

    def _ok(self) -> bool:
        try:
            with urllib.request.urlopen(self.base_url + "/", timeout=2) as resp:
                return resp.status == 200 and resp.read().strip() == b"Ok"
        except (urllib.error.URLError, OSError):
            return False

    def clear(self, project: str, database: str = "(default)") -> None:
        """Delete every document of `project` (HTTP DELETE on the emulator's documents URL)."""
        url = f"{self.base_url}/emulator/v1/projects/{project}/databases/{database}/documents"
        req = urllib.request.Request(url, method="DELETE")
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                req = urllib.request.Request(self.base_url + "/shutdown", data=b"", method="POST")
                urllib.request.urlopen(req, timeout=5).read()
            except (urllib.error.URLError, OSError):
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self) -> FirestoreEmulator:  # noqa: PYI034
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> int:  # pragma: no cover - manual helper
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    try:
        emu = FirestoreEmulator(port=port).start()
    except EmulatorUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Firestore emulator ready: export FIRESTORE_EMULATOR_HOST={emu.host}", flush=True)
    try:
        emu.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

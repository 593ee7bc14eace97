"""A real cpdrec server in a subprocess, on loopback, over a temporary data folder.

The data folder is filled the way an operator would: `cpdrec orgs create`,
`cpdrec frameworks import`, `cpdrec catalogue import`, `cpdrec keys create`. Requests then
carry the key in the one header `auth_headers` builds.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.synthetic import Synthetic
from recommender.activities import write_csv

ROOT = Path(__file__).resolve().parent.parent
ORG = "bench"


def auth_headers(key: str | None) -> dict[str, str]:
    """The only place that knows how a request authenticates."""
    return {"Authorization": f"Bearer {key}"} if key else {}


@dataclass
class DataDir:
    """A data folder holding one organisation with its own synthetic catalogue."""

    root: Path
    org: str
    key: str | None
    env: dict[str, str] = field(repr=False)
    seconds: dict[str, float] = field(default_factory=dict)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run([sys.executable, "-m", "service.cli", *args], self.env)


def run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:5])} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done


def prepare(
    root: Path,
    synthetic: Synthetic,
    n_activities: int,
    *,
    untagged_share: float = 0.0,
    org: str = ORG,
    with_key: bool = True,
) -> DataDir:
    """Create `org` (own catalogue only), add the framework, import the catalogue, make a key."""
    root.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "CPDREC_DATA_DIR": str(root / "data"),
        "CPDREC_MODELS_DIR": str(root / "models"),
        "PYTHONPATH": str(ROOT),
    }
    framework_file = root / "framework.json"
    framework_file.write_text(json.dumps(synthetic.framework.to_document()), "utf-8")
    catalogue_file = root / "catalogue.csv"
    activities = synthetic.activities(n_activities, untagged_share=untagged_share)
    catalogue_file.write_text(write_csv(activities), "utf-8")
    data = DataDir(root, org, None, env)
    if org != "local":  # `local` exists from the start, open to unauthenticated requests
        data.cli("orgs", "create", org, "--no-shared-catalogue")
    data.cli("frameworks", "import", str(framework_file), "--org", org)
    started = time.perf_counter()
    data.cli("catalogue", "import", str(catalogue_file), "--org", org)
    data.seconds["catalogue import"] = time.perf_counter() - started
    if with_key:
        data.key = data.cli("keys", "create", "--org", org, "--scope", "recommend").stdout.strip()
    return data


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    startup_seconds: float

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def uvicorn_command(port: int) -> list[str]:
    """The benchmark app under uvicorn as `cpdrec serve` runs it: one worker, uvloop and
    httptools (uvicorn's choice when installed, named here so a missing one fails loudly),
    access log on (sent to /dev/null)."""
    return [
        sys.executable, "-m", "uvicorn", "benchmarks.http_app:create", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--loop", "uvloop", "--http", "httptools", "--log-level", "info",
    ]  # fmt: skip


def start(cmd: list[str], env: dict[str, str], port: int, *, timeout: float = 120.0) -> Server:
    """Start a server and wait until `/healthz` answers 200; time from spawn to healthy."""
    started = time.perf_counter()
    process = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    server = Server(process, port, 0.0)
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"server exited with {process.returncode}: {err[-2000:]}")
        try:
            with urllib.request.urlopen(f"{server.base}/healthz", timeout=2) as response:
                if response.status == 200:
                    server.startup_seconds = time.perf_counter() - started
                    _drain(process)
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.02)
    server.stop()
    raise RuntimeError(f"server not healthy after {timeout:.0f} s")


def _drain(process: subprocess.Popen[bytes]) -> None:
    """Stop collecting stderr once healthy, so a chatty server never blocks on a full pipe."""
    if process.stderr is not None:
        import threading

        threading.Thread(target=process.stderr.read, daemon=True).start()


def post_json(url: str, body: object, headers: dict[str, str]) -> tuple[int, object]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")

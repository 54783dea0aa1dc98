"""`dagster dev` on this repository for UI tests: temporary DAGSTER_HOME, a free port, GraphQL, a clean stop.

`dagster dev` started without job control ignores SIGINT/SIGTERM and leaves its webserver, daemon and code
server behind; so it runs in a session of its own with default signal handlers, is stopped with SIGTERM,
and whatever is left of its process group is killed.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DAGSTER = Path(sys.executable).with_name("dagster")

RUN_DONE = {"SUCCESS", "FAILURE", "CANCELED"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def instance_home(path):
    """A DAGSTER_HOME holding the repository's dagster.yaml (if any), telemetry off."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    source = REPO / "deploy" / "dagster.yaml"
    text = source.read_text() if source.exists() else ""
    if "telemetry:" not in text:
        text += "\ntelemetry:\n  enabled: false\n"
    (path / "dagster.yaml").write_text(text)
    return path


def _default_signals():
    # A non-interactive parent may have set SIGINT to "ignore"; children would inherit that.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class DagsterDev:
    """`with DagsterDev(env) as dev:` starts `dagster dev -w workspace.yaml` and waits until it answers."""

    def __init__(self, env, log_path, port=None, ready_timeout_s=120):
        self.env, self.log_path, self.port = env, Path(log_path), port or free_port()
        self.ready_timeout_s = ready_timeout_s
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(DAGSTER), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(self.port)],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_default_signals,
        )
        log.close()
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dagster dev exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if self.graphql("{ version }")["version"]:
                    return
            except (OSError, urllib.error.URLError, KeyError, ValueError):
                time.sleep(0.5)
        raise TimeoutError(f"dagster dev did not answer within {self.ready_timeout_s}s:\n{self.log_tail()}")

    def stop(self, timeout_s=30):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                pass
        try:  # whatever is left of the session this object started
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self.process = None

    def log_tail(self, lines=40):
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def graphql(self, query, variables=None):
        request = urllib.request.Request(
            f"{self.url}/graphql", data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
        if answer.get("errors"):
            raise RuntimeError(f"GraphQL errors: {answer['errors']}")
        return answer["data"]

    def launch_job(self, job, partition, location="pipelines"):
        """Launch `job` for one partition; returns the run id."""
        data = self.graphql(LAUNCH, {"params": {
            "selector": {"repositoryLocationName": location, "repositoryName": "__repository__", "jobName": job},
            "runConfigData": {},
            "executionMetadata": {"tags": [{"key": "dagster/partition", "value": partition}]},
        }})["launchRun"]
        if data["__typename"] != "LaunchRunSuccess":
            raise RuntimeError(f"launchRun answered {data}")
        return data["run"]["runId"]

    def wait_for_run(self, run_id, timeout_s=90):
        """The run's final status (SUCCESS, FAILURE, CANCELED); raises after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            status = self.graphql(RUN_STATUS, {"id": run_id})["runOrError"]["status"]
            if status in RUN_DONE:
                return status
            time.sleep(1)
        raise TimeoutError(f"run {run_id} not finished after {timeout_s}s:\n{self.log_tail()}")

    def dismiss_welcome(self):
        """A new DAGSTER_HOME shows a welcome dialog over every page until this is set."""
        self.graphql("mutation { setNuxSeen }")


LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""

RUN_STATUS = "query Status($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"

"""`godark serve --workers N`: one process tree — N uvicorn worker processes of the api role
sharing one listening socket (the kernel hands each connection to one of them) and one
`godark engine` child, restarted if it exits and stopped with the server.

SIGTERM (or SIGINT) to the parent stops the workers (uvicorn's supervisor), then the engine.
Every child also asks the kernel for SIGTERM when its parent dies (PR_SET_PDEATHSIG), so a
SIGKILL of the parent leaves no orphans either.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading

import structlog
from starlette.applications import Starlette

from api.settings import Settings

ENGINE_RESTART_SECONDS = 1.0
ENGINE_STOP_SECONDS = 30.0
WORKER_START_SECONDS = 60
PR_SET_PDEATHSIG = 1  # linux/prctl.h

log = structlog.get_logger("godark.workers")


def serve_workers(settings: Settings, workers: int) -> None:
    import uvicorn

    from api.graphql import MAX_MESSAGE_BYTES

    # The workers are fresh interpreters: they read their settings from the environment.
    os.environ["GODARK_ROLE"] = "api"
    os.environ["GODARK_BIND"] = settings.bind
    engine = EngineChild({**os.environ, "GODARK_ROLE": "engine"})
    engine.start()
    try:
        uvicorn.run(
            "api.workers:worker_app",
            factory=True,
            workers=workers,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            proxy_headers=False,
            ws_max_size=MAX_MESSAGE_BYTES,
            # A worker starts a replica (snapshot and journal) before it answers uvicorn's
            # health check; on a busy machine that takes longer than uvicorn's 5 s.
            timeout_worker_healthcheck=WORKER_START_SECONDS,
        )
    finally:
        engine.stop()


def worker_app() -> Starlette:
    """The app of one worker process (uvicorn's factory)."""
    from api.app import create_app
    from api.logging import configure_logging

    die_with_parent()
    settings = Settings()
    configure_logging(settings.log_level)
    app = create_app(settings)
    app.state.serving_process = True
    return app


def die_with_parent() -> None:
    """Linux: SIGTERM this process when the one that started it dies (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class EngineChild:
    """`godark engine` as a child process: crash-only, so an exit is answered by a start."""

    def __init__(self, env: dict[str, str]) -> None:
        self._env = env
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._started = threading.Event()
        self._lock = threading.Lock()
        # The child's death signal follows the thread that started it: this one, which lives
        # as long as the engine should.
        self._keeper = threading.Thread(target=self._keep_running, name="engine-keeper")

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        self._keeper.start()
        self._started.wait()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=ENGINE_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                log.error("engine_kill", pid=process.pid)
                process.kill()
                process.wait()
        self._keeper.join()

    def _keep_running(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                self._process = subprocess.Popen(
                    [sys.executable, "-m", "api.cli", "engine"],
                    env=self._env,
                    preexec_fn=die_with_parent,
                )
            self._started.set()
            status = self._process.wait()
            if self._stopping.is_set():
                return
            log.error("engine_exited", status=status)
            self._stopping.wait(ENGINE_RESTART_SECONDS)

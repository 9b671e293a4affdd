"""A real single-node Apache Kafka broker (KRaft) on 127.0.0.1, fetched from Maven Central.

One launcher serves ``telex broker`` (persistent data under ``var/kafka``) and the pytest
session fixture (throwaway data on free ports). The jars are fetched once with Maven into
``<cache>/kafka-<version>/libs`` using ``deploy/kafka/pom.xml``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from streams.errors import BrokerError

log = logging.getLogger(__name__)

KAFKA_VERSION = "4.0.2"
REPO_ROOT = Path(__file__).resolve().parents[2]
POM = REPO_ROOT / "deploy" / "kafka" / "pom.xml"
DEFAULT_CACHE = REPO_ROOT / "var" / "cache"
JVM_OPTS = (
    "-Xms256m",
    "-Xmx512m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
)

_LOG4J2 = """\
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log_file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = {level}
rootLogger.appenderRef.file.ref = file
"""


@dataclass(frozen=True)
class Listener:
    """A client listener next to PLAINTEXT, e.g. ``Listener("SASL_SSL", "SASL_SSL", 9094)``."""

    name: str
    protocol: str
    port: int

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclass(frozen=True)
class BrokerConfig:
    """Where the broker keeps its data and which loopback ports it listens on.

    ``extra_listeners``, ``extra_properties`` and ``format_args`` (StorageTool ``format``
    arguments such as ``--add-scram``) add TLS/SASL listeners; the defaults add nothing.
    """

    data_dir: Path
    port: int = 9092
    controller_port: int = 9093
    partitions: int = 8
    log_level: str = "INFO"
    extra_listeners: tuple[Listener, ...] = ()
    extra_properties: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # TLS keys
    format_args: tuple[str, ...] = field(default=(), repr=False)  # may hold SCRAM passwords

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "broker.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "broker.log"


def server_properties(config: BrokerConfig) -> str:
    """The broker's server.properties, sized for a 2-core machine."""
    extra = config.extra_listeners
    advertised = ",".join(
        [f"PLAINTEXT://127.0.0.1:{config.port}"] + [f"{x.name}://{x.bootstrap}" for x in extra]
    )
    protocols = ",".join(
        ["CONTROLLER:PLAINTEXT", "PLAINTEXT:PLAINTEXT"] + [f"{x.name}:{x.protocol}" for x in extra]
    )
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{config.controller_port}",
        "listeners": f"{advertised},CONTROLLER://127.0.0.1:{config.controller_port}",
        "advertised.listeners": advertised,
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": protocols,
        "log.dirs": str(config.data_dir / "logs"),
        "num.partitions": str(config.partitions),
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
        "num.network.threads": "2",
        "num.io.threads": "2",
        "auto.create.topics.enable": "true",
        "log.retention.hours": "168",
        **dict(config.extra_properties),
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def fetch_jars(version: str = KAFKA_VERSION, cache_dir: Path = DEFAULT_CACHE) -> Path:
    """Return the folder of broker jars, fetching them with Maven on first use."""
    libs = cache_dir / f"kafka-{version}" / "libs"
    done_marker = libs.parent / ".complete"
    if done_marker.exists():
        return libs
    if shutil.which("mvn") is None:
        raise BrokerError("Maven (mvn) is not installed: install it (apt-get install maven)")
    if shutil.which("java") is None:
        raise BrokerError("Java is not installed: Kafka 4 needs Java 17 or newer")
    log.info("fetching Kafka %s jars with Maven into %s", version, libs)
    command = [
        "mvn", "-B", "-q", "-f", str(POM), "dependency:copy-dependencies",
        "-DincludeScope=runtime", f"-DoutputDirectory={libs}", f"-Dkafka.version={version}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip().splitlines()[-5:]
        raise BrokerError(f"Maven could not fetch Kafka {version}: " + " | ".join(tail))
    done_marker.touch()
    return libs


class LocalBroker:
    """Start, find and stop the local broker described by a BrokerConfig."""

    def __init__(self, config: BrokerConfig, *, libs: Path | None = None) -> None:
        self.config = config
        self._libs = libs
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def owns_process(self) -> bool:
        """True when this launcher started the broker process (and so should stop it)."""
        return self._process is not None

    def running_pid(self) -> int | None:
        """The pid of a live broker already using this data folder, if any."""
        try:
            pid = int(self.config.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _process_alive(pid) else None

    def start(self) -> int:
        """Format storage if needed and start the broker; return its pid (not yet ready).

        A launch lock on the data folder makes a second launcher wait for the first and then
        find its broker, instead of formatting or opening the same storage twice.
        """
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.config.data_dir / ".launch.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            existing = self.running_pid()
            if existing is not None:
                return existing
            return self._launch()

    def _launch(self) -> int:
        libs = self._libs or fetch_jars()
        properties = self._write_config_files()
        self._format_storage(libs, properties)
        command = [_java(), *JVM_OPTS, *self._log_opts(), "-cp", f"{libs}/*"]
        command += ["kafka.Kafka", str(properties)]
        with open(self.config.data_dir / "broker.out", "ab") as out:
            self._process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.config.pid_file.write_text(str(self._process.pid))
        return self._process.pid

    async def wait_ready(self, timeout: float = 60.0) -> float:
        """Wait until a real client call succeeds; return seconds waited."""
        started = time.monotonic()
        deadline = started + timeout
        last_error = "no answer"
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise BrokerError(
                    f"Kafka broker exited with code {self._process.returncode}; "
                    f"see {self.config.log_file}: {self._log_tail()}"
                )
            try:
                with _quiet("aiokafka"):  # refused connections are expected while it boots
                    await describe_cluster(self.config.bootstrap, timeout=5.0)
                return time.monotonic() - started
            except Exception as exc:  # any client failure means: not ready yet
                last_error = str(exc) or type(exc).__name__
            await asyncio.sleep(0.25)
        raise BrokerError(
            f"Kafka broker at {self.config.bootstrap} not ready after {timeout:.0f} s "
            f"({last_error}); see {self.config.log_file}"
        )

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (controlled shutdown), then SIGKILL if it does not exit in time."""
        pid = self._process.pid if self._process else self.running_pid()
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _process_alive(pid) and time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                break
            time.sleep(0.1)
        if _process_alive(pid):
            log.warning("Kafka broker pid %d ignored SIGTERM for %.0f s; killing it", pid, timeout)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self._process is not None:
            self._process.wait(timeout=10)
        self.config.pid_file.unlink(missing_ok=True)

    def _write_config_files(self) -> Path:
        properties = self.config.data_dir / "server.properties"
        properties.write_text(server_properties(self.config))
        log4j = self.config.data_dir / "log4j2.properties"
        log4j.write_text(_LOG4J2.format(log_file=self.config.log_file, level=self.config.log_level))
        return properties

    def _log_opts(self) -> list[str]:
        return [
            f"-Dlog4j2.configurationFile={self.config.data_dir / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={self.config.data_dir}",
        ]

    def _format_storage(self, libs: Path, properties: Path) -> None:
        if (self.config.data_dir / "logs" / "meta.properties").exists():
            return  # formatted before: the data survives restarts
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        command = [_java(), *JVM_OPTS, *self._log_opts(), "-cp", f"{libs}/*"]
        # The "=" form: a random id may start with "-", which the tool would take for an option.
        command += ["kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}"]
        command += ["-c", str(properties)]
        command += self.config.format_args
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise BrokerError(f"formatting Kafka storage failed: {result.stdout}{result.stderr}")

    def _log_tail(self, lines: int = 5) -> str:
        try:
            text = self.config.log_file.read_text(errors="replace")
        except OSError:
            return "(no log)"
        errors = [line for line in text.splitlines() if " ERROR " in line or "Exception" in line]
        return " | ".join((errors or text.splitlines())[-lines:])


async def describe_cluster(bootstrap: str, timeout: float = 5.0) -> None:
    """One real admin call: raises unless the broker answers with its cluster metadata."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout)
        await asyncio.wait_for(admin.describe_cluster(), timeout)
    finally:
        await admin.close()


@contextlib.contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    logger = logging.getLogger(logger_name)
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


@contextlib.contextmanager
def throwaway_broker(partitions: int = 4, *, prefix: str = "telex-kafka-") -> Iterator[str]:
    """A single-node broker on free loopback ports with data in a temp folder; yields its
    bootstrap address and stops it (by pid) on exit. For tests and benchmarks."""
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    broker = LocalBroker(
        BrokerConfig(
            data_dir=data_dir, port=free_port(), controller_port=free_port(), partitions=partitions
        )
    )
    try:
        broker.start()
        asyncio.run(broker.wait_ready(timeout=120))
        yield broker.config.bootstrap
    finally:
        broker.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for test brokers)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.rsplit(")", 1)[-1].split()[0] == "Z"


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    return str(Path(java_home) / "bin" / "java") if java_home else "java"

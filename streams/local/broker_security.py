"""TLS material and SASL_SSL (SCRAM) / mTLS listeners for the local test broker.

The broker reads PEM directly (Kafka 4, KIP-651), so no Java keystore or keytool is needed.
Certificates come from the ``openssl`` CLI: a throwaway CA, a broker certificate for
127.0.0.1/localhost and a client certificate for mutual TLS.
"""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from streams.errors import BrokerError
from streams.local.broker import BrokerConfig, Listener

SASL_SSL_LISTENER = "SASL_SSL"
MTLS_LISTENER = "SSL"
SCRAM_LOGIN_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
_OPENSSL_TIMEOUT = 30.0
# P-256 keys: generated in milliseconds where RSA-2048 takes seconds; Kafka reads EC PKCS#8.
_NEW_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1")


@dataclass(frozen=True)
class TlsFiles:
    """PEM files: the CA, the broker's certificate and key, a client's certificate and key."""

    ca_cert: Path
    broker_cert: Path
    broker_key: Path
    client_cert: Path
    client_key: Path


@dataclass(frozen=True)
class ScramUser:
    """A SCRAM user created when the broker's storage is formatted (KRaft has no ZooKeeper)."""

    name: str
    password: str = field(repr=False)
    mechanism: str = "SCRAM-SHA-512"


def generate_tls_files(
    directory: Path, *, hosts: Sequence[str] = ("127.0.0.1", "localhost"), days: int = 2
) -> TlsFiles:
    """A fresh CA signing a server certificate (SAN = hosts) and a client certificate."""
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(
        ca_cert=directory / "ca.pem",
        broker_cert=directory / "broker.pem",
        broker_key=directory / "broker.key",
        client_cert=directory / "client.pem",
        client_key=directory / "client.key",
    )
    ca_key = directory / "ca.key"
    _openssl(
        "req", "-x509", *_NEW_KEY, "-nodes", "-keyout", str(ca_key),
        "-out", str(files.ca_cert), "-days", str(days), "-subj", "/CN=telex-test-ca",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    server_extensions = f"subjectAltName={subject_alt_names(hosts)}\nextendedKeyUsage=serverAuth\n"
    _issue(
        files.broker_cert, files.broker_key, "telex-broker", server_extensions, ca_key, files, days
    )
    client_extensions = "extendedKeyUsage=clientAuth\n"
    _issue(
        files.client_cert, files.client_key, "telex-client", client_extensions, ca_key, files, days
    )
    return files


def subject_alt_names(hosts: Sequence[str]) -> str:
    """The subjectAltName value: IP entries for addresses, DNS entries for names."""
    return ",".join(f"IP:{host}" if _is_ip(host) else f"DNS:{host}" for host in hosts)


def add_scram_args(users: Sequence[ScramUser]) -> tuple[str, ...]:
    """StorageTool ``format`` arguments creating the SCRAM users."""
    args: list[str] = []
    for user in users:
        args += ["--add-scram", f"{user.mechanism}=[name={user.name},password={user.password}]"]
    return tuple(args)


def security_properties(tls: TlsFiles, mechanism: str = "SCRAM-SHA-512") -> dict[str, str]:
    """server.properties entries for a SASL_SSL (SCRAM) listener and an mTLS SSL listener."""
    sasl = f"listener.name.{SASL_SSL_LISTENER.lower()}"
    return {
        "ssl.keystore.type": "PEM",
        "ssl.keystore.certificate.chain": pem_property(tls.broker_cert),
        "ssl.keystore.key": pem_property(tls.broker_key),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.certificates": pem_property(tls.ca_cert),
        "sasl.enabled.mechanisms": mechanism,
        f"{sasl}.sasl.enabled.mechanisms": mechanism,
        f"{sasl}.{mechanism.lower()}.sasl.jaas.config": SCRAM_LOGIN_MODULE,
        f"listener.name.{MTLS_LISTENER.lower()}.ssl.client.auth": "required",
    }


def pem_property(path: Path) -> str:
    """A PEM file as one server.properties value (``\\n`` escapes, read back by Java)."""
    return path.read_text(encoding="ascii").strip().replace("\n", "\\n")


def secure_broker_config(
    base: BrokerConfig,
    tls: TlsFiles,
    users: Sequence[ScramUser],
    *,
    sasl_ssl_port: int,
    mtls_port: int,
) -> BrokerConfig:
    """``base`` plus a SASL_SSL listener (SCRAM ``users``) and a client-cert-required SSL one."""
    mechanisms = {user.mechanism for user in users} or {"SCRAM-SHA-512"}
    if len(mechanisms) > 1:
        raise BrokerError(f"one SCRAM mechanism per test broker, got {sorted(mechanisms)}")
    return replace(
        base,
        extra_listeners=(
            Listener(SASL_SSL_LISTENER, "SASL_SSL", sasl_ssl_port),
            Listener(MTLS_LISTENER, "SSL", mtls_port),
        ),
        extra_properties=tuple(security_properties(tls, mechanisms.pop()).items()),
        format_args=add_scram_args(users),
    )


def _issue(
    cert: Path, key: Path, common_name: str, extensions: str, ca_key: Path, tls: TlsFiles, days: int
) -> None:
    request = cert.with_suffix(".csr")
    extfile = cert.with_suffix(".ext")
    extfile.write_text(extensions, encoding="ascii")
    _openssl(
        "req", *_NEW_KEY, "-nodes", "-keyout", str(key), "-out", str(request),
        "-subj", f"/CN={common_name}",
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", str(request), "-CA", str(tls.ca_cert), "-CAkey", str(ca_key),
        "-CAcreateserial", "-days", str(days), "-out", str(cert), "-extfile", str(extfile),
    )  # fmt: skip


def _openssl(*args: str) -> None:
    if shutil.which("openssl") is None:
        raise BrokerError("the openssl CLI is not installed (apt-get install openssl)")
    result = subprocess.run(
        ["openssl", *args], capture_output=True, text=True, timeout=_OPENSSL_TIMEOUT, check=False
    )
    if result.returncode != 0:
        raise BrokerError(f"openssl {args[0]} failed: {result.stderr.strip()}")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True

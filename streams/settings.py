"""One typed, frozen settings object, loaded once per process.

Sources, strongest first: ``TELEX_*`` environment variables, then the YAML config file
(``--config`` or ``TELEX_CONFIG``), then the defaults below. Nested keys use one underscore
after the section name: ``TELEX_KAFKA_BOOTSTRAP`` sets ``kafka.bootstrap``.
Nothing else in telex reads the environment.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from streams.config_file import deep_merge, describe_error, read_config_file
from streams.errors import ConfigError

DEFAULT_DATA_DIR = Path("var")
_MINUTE_MS = 60_000
_DAY_MS = 24 * 60 * _MINUTE_MS
_FEED_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KafkaSettings(_Section):
    """Where the cluster is and how to authenticate; secrets never print."""

    bootstrap: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    # Alternatively a file holding the secret (a mounted Kubernetes/compose secret).
    sasl_password_file: Path | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    ssl_key_password: SecretStr | None = None
    ssl_key_password_file: Path | None = None
    partitions: int = Field(default=8, ge=1, le=1024)
    replication_factor: int = Field(default=1, ge=1, le=16)

    @model_validator(mode="after")
    def _read_secret_files(self) -> KafkaSettings:
        """Secrets from files are read once, here; the value is never printed."""
        updates: dict[str, SecretStr] = {}
        for secret, file in (("sasl_password", self.sasl_password_file),
                             ("ssl_key_password", self.ssl_key_password_file)):  # fmt: skip
            if file is not None and getattr(self, secret) is None:
                try:
                    updates[secret] = SecretStr(file.read_text(encoding="utf-8").strip())
                except OSError as exc:
                    raise ValueError(f"cannot read secret file {file}: {exc.strerror}") from None
        return self.model_copy(update=updates) if updates else self

    @field_validator("bootstrap")
    @classmethod
    def _bootstrap_has_ports(cls, value: str) -> str:
        for server in value.split(","):
            host, _, port = server.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"expected host:port[,host:port...], got {value!r}")
        return value


class TopicSettings(_Section):
    """Topic names; every name below is prefixed with ``prefix`` and a dot."""

    prefix: str = "telex"
    raw: str = "items.raw"
    enriched: str = "items.enriched"
    dlq: str = "dlq"
    feeds_state: str = "feeds.state"
    fingerprinted: str = "items.fingerprinted"
    tags: str = "tags"
    per_tag_topics: bool = True
    # Topic configs telex sets when it creates a topic and that `telex topics --apply` restores
    # (streams/topic_configs.py). retention.ms per kind of topic; -1 keeps records forever.
    raw_retention_ms: int = Field(default=7 * _DAY_MS, ge=-1)
    enriched_retention_ms: int = Field(default=30 * _DAY_MS, ge=-1)
    tags_retention_ms: int = Field(default=30 * _DAY_MS, ge=-1)
    dlq_retention_ms: int = Field(default=30 * _DAY_MS, ge=-1)
    # compression.type of every topic telex creates ("producer": keep what producers send).
    compression_type: Literal["zstd", "lz4", "snappy", "gzip", "producer", "uncompressed"] = "zstd"

    @field_validator(
        "raw_retention_ms", "enriched_retention_ms", "tags_retention_ms", "dlq_retention_ms"
    )
    @classmethod
    def _retention_is_sane(cls, value: int) -> int:
        if value != -1 and value < _MINUTE_MS:
            raise ValueError("retention must be -1 (forever) or at least 60000 ms (one minute)")
        return value


_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
# RFC 9110 5.1: a field name is a token.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$")
# Headers the fetcher sets itself: conditional GET, decompression under the cap, framing.
_RESERVED_HEADERS = frozenset({
    "host", "content-length", "transfer-encoding", "connection", "if-none-match",
    "if-modified-since", "accept-encoding",
})  # fmt: skip


class HeaderSecret(_Section):
    """Where a feed request header's value comes from: an environment variable or a file.

    The value is read when a request is sent (so a rotated secret file is picked up) and
    never kept in the settings: neither a dump of the settings nor `telex feeds` can write it.
    """

    env: str | None = None
    file: Path | None = None
    prefix: str = ""  # put before the value, e.g. "Bearer "

    @model_validator(mode="after")
    def _one_source(self) -> HeaderSecret:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of env (a variable name) or file (a path)")
        return self

    def value(self) -> str:
        """The header value; ValueError (without the secret) when it cannot be read."""
        if self.env is not None:
            secret = os.environ.get(self.env)
            if secret is None:
                raise ValueError(f"environment variable {self.env} is not set")
        else:
            assert self.file is not None
            try:
                secret = self.file.read_text(encoding="utf-8")
            except OSError as exc:
                raise ValueError(f"cannot read secret file {self.file}: {exc.strerror}") from None
        secret = secret.strip()
        if not secret or any(c in secret for c in "\r\n\x00"):
            raise ValueError("the secret is empty or holds a line break")
        return self.prefix + secret


class FeedSettings(_Section):
    """One feed to poll."""

    id: str
    url: str
    interval_seconds: float = Field(default=300.0, ge=1.0, le=86400.0)
    # Used when neither the feed nor its entries declare a language (ISO 639-1, e.g. "fr").
    language: str | None = Field(default=None, pattern=r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
    title: str | None = None
    # Free key/values carried on every raw and enriched event of the feed (outlet, country...).
    labels: dict[str, str] = Field(default_factory=dict)
    # Request headers for feeds behind a token: name -> {env: VAR} or {file: /path}.
    headers: dict[str, HeaderSecret] = Field(default_factory=dict)
    paused: bool = False  # kept with its state, not polled
    # Opt-in for feeds that ship teasers: fetch each new or revised item's page and put its
    # main text (trafilatura) into `content` when the feed gave none or a shorter one.
    fetch_article: bool = False
    # A new value clears the feed's backoff and a 410 stop, once (`telex feeds reset`).
    reset_at: str | None = None

    @field_validator("id")
    @classmethod
    def _id_is_slug(cls, value: str) -> str:
        if not _FEED_ID.match(value):
            raise ValueError("feed id must be a lower-case slug: a-z, 0-9, '.', '_', '-'")
        return value

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("feed url must start with http:// or https://")
        return value

    @field_validator("labels")
    @classmethod
    def _labels_are_bounded(cls, labels: dict[str, str]) -> dict[str, str]:
        if len(labels) > 32:
            raise ValueError("at most 32 labels per feed")
        for key, value in labels.items():
            if not _LABEL_KEY.match(key):
                raise ValueError(f"label key {key!r} must be a lower-case slug (a-z, 0-9, _.-)")
            if len(value) > 256:
                raise ValueError(f"label {key!r} is longer than 256 characters")
        return labels

    @field_validator("headers")
    @classmethod
    def _header_names(cls, headers: dict[str, HeaderSecret]) -> dict[str, HeaderSecret]:
        for name in headers:
            if not _HEADER_NAME.match(name):
                raise ValueError(f"{name!r} is not an HTTP header name")
            if name.lower() in _RESERVED_HEADERS:
                raise ValueError(f"header {name!r} is set by the fetcher itself")
        return headers

    def request_headers(self) -> dict[str, str]:
        """The extra request headers with their secret values (never log them); ValueError
        naming the header when a secret cannot be read."""
        headers = {}
        for name, secret in self.headers.items():
            try:
                headers[name] = secret.value()
            except ValueError as exc:
                raise ValueError(f"feed {self.id}: header {name}: {exc}") from None
        return headers


class PollerSettings(_Section):
    """The feed poller and its politeness rules."""

    feeds: tuple[FeedSettings, ...] = ()
    # A YAML or OPML file of more feeds, checked every feeds_reload_seconds and applied without
    # a restart (streams/poll/feedlist.py); `telex feeds` edits it.
    feeds_file: Path | None = None
    feeds_reload_seconds: float = Field(default=5.0, gt=0, le=3600)
    # The full text of an item (`content` on raw events) is cut to this many characters.
    max_content_chars: int = Field(default=20_000, ge=0, le=1_000_000)
    contact_url: str = "https://github.com/telex-news/telex"
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=20.0, gt=0)
    total_timeout: float = Field(default=60.0, gt=0)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_items_per_poll: int = Field(default=500, ge=1)
    max_redirects: int = Field(default=5, ge=0, le=20)
    per_host_concurrency: int = Field(default=2, ge=1)
    max_concurrency: int = Field(default=100, ge=1)
    allow_private_addresses: bool = False
    # CIDR networks the address guard lets through even when private (an intranet feed), and
    # only those; the guard stays on for every other address.
    exempt_networks: tuple[str, ...] = ()
    # Egress proxy for every feed and article request (http:// or https:// URL; credentials in
    # the URL are allowed and never printed).
    proxy: SecretStr | None = None
    # Opt-in: honour HTTP(S)_PROXY, NO_PROXY (and ~/.netrc) from the environment, as aiohttp
    # reads them; `proxy` wins when both are set.
    trust_env: bool = False
    # At most this many article pages fetched per poll of a `fetch_article` feed.
    max_articles_per_poll: int = Field(default=10, ge=0, le=100)
    backoff_base_seconds: float = Field(default=30.0, gt=0)
    backoff_cap_seconds: float = Field(default=3600.0, gt=0)
    # 0: parse in one thread of the poller process (enough for 10,000 feeds at 5 minutes);
    # N: in N worker processes, for feed lists whose parsing needs more than one core.
    parse_processes: int = Field(default=0, ge=0, le=64)

    @field_validator("feeds")
    @classmethod
    def _feed_ids_unique(cls, feeds: tuple[FeedSettings, ...]) -> tuple[FeedSettings, ...]:
        seen: set[str] = set()
        for feed in feeds:
            if feed.id in seen:
                raise ValueError(f"duplicate feed id {feed.id!r}")
            seen.add(feed.id)
            feed.request_headers()  # a secret that cannot be read is a configuration error
        return feeds

    @field_validator("exempt_networks")
    @classmethod
    def _networks_are_cidr(cls, networks: tuple[str, ...]) -> tuple[str, ...]:
        normalised = []
        for network in networks:
            try:
                parsed = ipaddress.ip_network(network, strict=True)
            except ValueError as exc:
                raise ValueError(f"{network!r} is not a CIDR network: {exc}") from None
            if parsed.prefixlen == 0:
                raise ValueError(f"{network!r} exempts every address; set allow_private_addresses")
            normalised.append(str(parsed))
        return tuple(normalised)

    @field_validator("proxy")
    @classmethod
    def _proxy_is_http_url(cls, proxy: SecretStr | None) -> SecretStr | None:
        if proxy is None:
            return None
        scheme, sep, rest = proxy.get_secret_value().partition("://")
        host = rest.split("/", 1)[0].rpartition("@")[2]
        if not sep or scheme.lower() not in {"http", "https"} or not host:
            raise ValueError("proxy must be an http:// or https:// URL with a host")
        return proxy


class WorkerSettings(_Section):
    """The Faust worker: dedup, tagging, enrichment."""

    app_id: str = "telex"
    taxonomy_path: Path | None = None
    languages: tuple[str, ...] = ("fr", "de", "en")
    dedup_window_seconds: float = Field(default=48 * 3600.0, gt=0)
    near_duplicates: Literal["annotate", "drop"] = "annotate"
    # Also mark the same news in another language (fr/de/en) as a near-duplicate (methods
    # "cross_language" and "meaning"; see docs/dedup.md).
    cross_language_duplicates: bool = True
    # Opt-in: also mark same-language items that mean the same in other words (a sentence
    # embedding with the name, number and template guards, method "meaning"; across languages
    # the embedding is used whenever cross_language_duplicates is on; see docs/dedup.md).
    meaning_duplicates: bool = False
    # Also mark as near-duplicates same-language items whose wording differs too much for the
    # word search but that name the same people, places, figures and events (method "facts").
    fact_duplicates: bool = True
    store: str = "rocksdb://"
    data_dir: Path = DEFAULT_DATA_DIR / "worker"
    web_port: int = Field(default=6066, ge=0, le=65535)
    web_host: str = "127.0.0.1"
    # Faust's own sensors (per-message, per-send and per-table-read metrics) cost about a tenth
    # of the worker's CPU; telex's metrics are always exported.
    faust_metrics: bool = False


class MetricsSettings(_Section):
    """Where the poller serves /metrics, /healthz and /readyz (the worker uses worker.web_*)."""

    host: str = "127.0.0.1"
    port: int = Field(default=9464, ge=0, le=65535)


class LogSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


class Settings(BaseSettings):
    """Everything telex reads from its configuration."""

    model_config = SettingsConfigDict(
        env_prefix="TELEX_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        frozen=True,
        extra="forbid",
    )

    kafka: KafkaSettings = KafkaSettings()
    topics: TopicSettings = TopicSettings()
    poller: PollerSettings = PollerSettings()
    worker: WorkerSettings = WorkerSettings()
    metrics: MetricsSettings = MetricsSettings()
    log: LogSettings = LogSettings()
    data_dir: Path = DEFAULT_DATA_DIR

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's content arrives through init_settings (see load_settings), so the
        # environment must come first to win over it.
        return (env_settings, init_settings)


def load_settings(config_path: Path | None = None, **overrides: Any) -> Settings:
    """Read the config file (if any) and the environment; raise ConfigError naming the key."""
    file_values = read_config_file(config_path) if config_path else {}
    merged = deep_merge(file_values, overrides)
    try:
        return Settings(**merged)
    except ValidationError as exc:
        raise ConfigError(describe_error(exc, config_path)) from None

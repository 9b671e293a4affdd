"""load_settings: defaults, the YAML file, TELEX_* variables winning over it, errors naming keys."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from streams.errors import ConfigError
from streams.settings import FeedSettings, Settings, load_settings

CONFIG = Path(__file__).parents[2] / "fixtures" / "settings" / "telex.yaml"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's or CI's own TELEX_* variables must not leak into these tests."""
    for name in list(os.environ):
        if name.startswith("TELEX_"):
            monkeypatch.delenv(name)


def test_defaults_without_file_or_environment() -> None:
    settings = load_settings()
    assert settings.kafka.bootstrap == "127.0.0.1:9092"
    assert settings.kafka.partitions == 8
    assert settings.poller.feeds == ()
    assert settings.worker.near_duplicates == "annotate"


def test_file_values_are_read() -> None:
    settings = load_settings(CONFIG)
    assert settings.kafka.bootstrap == "kafka-0.internal:9093,kafka-1.internal:9093"
    assert settings.kafka.partitions == 12
    assert settings.topics.prefix == "newsroom"
    assert settings.topics.raw == "items.raw"  # untouched keys of a section keep their default
    assert [feed.id for feed in settings.poller.feeds] == ["lemonde-live", "tagesschau"]
    assert settings.poller.feeds[0].interval_seconds == 60.0
    assert settings.poller.feeds[1].language == "de"
    assert settings.worker.near_duplicates == "drop"


@pytest.mark.parametrize(
    ("variable", "value", "read"),
    [
        ("TELEX_KAFKA_BOOTSTRAP", "broker:29092", lambda s: s.kafka.bootstrap),
        ("TELEX_KAFKA_PARTITIONS", "3", lambda s: s.kafka.partitions),
        ("TELEX_TOPICS_PREFIX", "staging", lambda s: s.topics.prefix),
        ("TELEX_LOG_LEVEL", "DEBUG", lambda s: s.log.level),
        ("TELEX_WORKER_NEAR_DUPLICATES", "annotate", lambda s: s.worker.near_duplicates),
    ],
)
def test_environment_wins_over_file(
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    read: Callable[[Settings], object],
) -> None:
    monkeypatch.setenv(variable, value)
    settings = load_settings(CONFIG)
    assert str(read(settings)) == value


def test_environment_keeps_the_rest_of_the_file_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEX_KAFKA_PARTITIONS", "3")
    settings = load_settings(CONFIG)
    assert settings.kafka.partitions == 3
    assert settings.kafka.sasl_username == "telex"


def test_overrides_win_over_file() -> None:
    settings = load_settings(CONFIG, kafka={"bootstrap": "override:1"})
    assert settings.kafka.bootstrap == "override:1"
    assert settings.kafka.partitions == 12


def test_secrets_never_print() -> None:
    settings = load_settings(CONFIG)
    assert "s3cret-from-file" not in repr(settings)
    assert "s3cret-from-file" not in str(settings.kafka)
    assert settings.kafka.sasl_password is not None
    assert settings.kafka.sasl_password.get_secret_value() == "s3cret-from-file"


def test_settings_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.kafka.partitions = 2


@pytest.mark.parametrize(
    ("variable", "value", "key"),
    [
        ("TELEX_KAFKA_PARTITIONS", "abc", "kafka.partitions"),
        ("TELEX_KAFKA_PARTITIONS", "0", "kafka.partitions"),
        ("TELEX_KAFKA_BOOTSTRAP", "no-port-here", "kafka.bootstrap"),
        ("TELEX_KAFKA_SECURITY_PROTOCOL", "TLS", "kafka.security_protocol"),
        ("TELEX_LOG_LEVEL", "LOUD", "log.level"),
        ("TELEX_METRICS_PORT", "70000", "metrics.port"),
    ],
)
def test_bad_environment_value_names_the_key(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, key: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=f"invalid setting '{key}'"):
        load_settings()


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("kafka:\n  partitions: many\n", "invalid setting 'kafka.partitions'"),
        ("kafka:\n  bootstrapp: x:1\n", "invalid setting 'kafka.bootstrapp'"),
        ("colour: blue\n", "invalid setting 'colour'"),
        (
            "poller:\n  feeds:\n    - {id: Bad Id, url: 'https://example.org/feed'}\n",
            "invalid setting 'poller.feeds.0.id'",
        ),
        (
            "poller:\n  feeds:\n    - {id: a, url: 'ftp://example.org/feed'}\n",
            "invalid setting 'poller.feeds.0.url'",
        ),
        (
            "poller:\n  feeds:\n"
            "    - {id: a, url: 'https://example.org/1'}\n"
            "    - {id: a, url: 'https://example.org/2'}\n",
            "duplicate feed id 'a'",
        ),
        ("kafka: [1, 2\n", "is not valid YAML"),
        ("- kafka\n- topics\n", "must hold a mapping"),
    ],
)
def test_bad_file_names_the_problem_and_the_file(
    tmp_path: Path, yaml_text: str, message: str
) -> None:
    path = tmp_path / "telex.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(path)
    assert str(path) in str(caught.value)


def test_missing_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"
    with pytest.raises(ConfigError, match="cannot read config file") as caught:
        load_settings(missing)
    assert str(missing) in str(caught.value)


def test_empty_file_means_defaults(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing configured yet\n", encoding="utf-8")
    assert load_settings(path) == Settings()


def test_several_errors_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "telex.yaml"
    path.write_text("kafka:\n  partitions: x\n  replication_factor: y\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\(and 1 more\)"):
        load_settings(path)


def test_sasl_password_read_from_a_secret_file_and_never_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "sasl-password"
    secret.write_text("s3cr3t-from-file\n")
    monkeypatch.setenv("TELEX_KAFKA_SASL_PASSWORD_FILE", str(secret))
    settings = load_settings()
    assert settings.kafka.sasl_password is not None
    assert settings.kafka.sasl_password.get_secret_value() == "s3cr3t-from-file"
    assert "s3cr3t" not in repr(settings)


def test_missing_secret_file_is_a_config_error_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEX_KAFKA_SASL_PASSWORD_FILE", str(tmp_path / "absent"))
    with pytest.raises(ConfigError, match=r"cannot read secret file .*absent"):
        load_settings()


def _feed(**values: object) -> dict[str, object]:
    return {"id": "ft", "url": "https://ft.example/rss", **values}


def test_feed_headers_from_an_environment_variable_or_a_file_never_print(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FT_TOKEN", "tok-from-env")
    (tmp_path / "key").write_text("key-from-file\n")
    headers = {
        "Authorization": {"env": "FT_TOKEN", "prefix": "Bearer "},
        "X-Api-Key": {"file": str(tmp_path / "key")},
    }
    settings = load_settings(None, poller={"feeds": [_feed(headers=headers)]})
    feed = settings.poller.feeds[0]
    assert feed.request_headers() == {
        "Authorization": "Bearer tok-from-env",
        "X-Api-Key": "key-from-file",
    }
    for shown in (repr(settings), str(feed), feed.model_dump_json(), str(feed.model_dump())):
        assert "tok-from-env" not in shown and "key-from-file" not in shown


@pytest.mark.parametrize(
    ("feed", "message"),
    [
        (_feed(headers={"Authorization": {"env": "TELEX_TEST_UNSET_TOKEN"}}),
         "environment variable TELEX_TEST_UNSET_TOKEN is not set"),
        (_feed(headers={"Authorization": {"file": "/nonexistent/token"}}),
         "cannot read secret file /nonexistent/token"),
        (_feed(headers={"Authorization": {}}), "give exactly one of env"),
        (_feed(headers={"Authorization": "Bearer inline"}), "headers.Authorization"),
        (_feed(headers={"If-None-Match": {"env": "HOME"}}), "set by the fetcher itself"),
        (_feed(headers={"Bad Header": {"env": "HOME"}}), "is not an HTTP header name"),
        (_feed(labels={"Outlet": "x"}), "must be a lower-case slug"),
        (_feed(labels={"outlet": "x" * 300}), "longer than 256"),
        (_feed(language="french!"), "poller.feeds.0.language"),
    ],
)  # fmt: skip
def test_bad_feed_settings_name_the_problem(feed: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match="invalid setting") as caught:
        load_settings(None, poller={"feeds": [feed]})
    assert message in str(caught.value)


def test_feed_labels_language_and_feeds_file_are_read(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        poller={
            "feeds": [_feed(labels={"outlet": "FT", "country": "gb"}, language="en")],
            "feeds_file": str(tmp_path / "feeds.yaml"),
            "max_content_chars": 5000,
        },
    )
    feed = settings.poller.feeds[0]
    assert (feed.labels, feed.language, feed.paused) == (
        {"outlet": "FT", "country": "gb"},
        "en",
        False,
    )
    assert settings.poller.feeds_file == tmp_path / "feeds.yaml"
    assert settings.poller.max_content_chars == 5000


def test_egress_settings_are_read_and_the_proxy_never_prints() -> None:
    settings = load_settings(
        None,
        poller={
            "proxy": "http://user:s3cret@proxy.corp:3128",
            "trust_env": True,
            "exempt_networks": ["10.1.0.0/16", "fd00::/8"],
            "feeds": [_feed(fetch_article=True)],
        },
    )
    poller = settings.poller
    assert poller.proxy is not None
    assert poller.proxy.get_secret_value() == "http://user:s3cret@proxy.corp:3128"
    assert (poller.trust_env, poller.exempt_networks) == (True, ("10.1.0.0/16", "fd00::/8"))
    assert poller.feeds[0].fetch_article and poller.max_articles_per_poll == 10
    assert "s3cret" not in repr(settings) and "s3cret" not in str(poller.model_dump())


def test_egress_defaults_are_off() -> None:
    poller = load_settings(None).poller
    assert (poller.proxy, poller.trust_env, poller.exempt_networks) == (None, False, ())
    assert not FeedSettings(id="x", url="https://example.org/rss").fetch_article


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"exempt_networks": ["10.1.2.3/16"]}, "has host bits set"),
        ({"exempt_networks": ["intranet"]}, "is not a CIDR network"),
        ({"exempt_networks": ["0.0.0.0/0"]}, "exempts every address"),
        ({"proxy": "socks5://proxy.corp:1080"}, "http:// or https:// URL"),
        ({"proxy": "proxy.corp:3128"}, "http:// or https:// URL"),
        ({"proxy": "http://user:pw@/"}, "with a host"),
        ({"max_articles_per_poll": -1}, "poller.max_articles_per_poll"),
    ],
)
def test_bad_egress_settings_name_the_problem(values: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match="invalid setting") as caught:
        load_settings(None, poller=values)
    assert message in str(caught.value)
    assert "user:pw" not in str(caught.value)

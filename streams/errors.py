"""The exceptions telex raises, all under one root.

    TelexError
     ├── ConfigError        bad or missing configuration: stops the process with a one-line reason
     │    └── TaxonomyError (agents.tagging.taxonomy) the taxonomy file breaks the rule format
     ├── BrokerError        the local Kafka broker could not be fetched, started or reached
     ├── FeedError          one feed failed (fetch or parse); the poller counts it and carries on
     │    └── ParseError (streams.poll.formats.model) the body is not a supported feed format
     ├── MessageError       one Kafka message or input line is unusable (bad JSON, wrong schema,
     │                      `reason` says which): to the DLQ in the agents; `telex enrich` stops
     ├── ForbiddenAddressError (streams.poll.netguard) a URL or redirect to a refused address
     ├── BodyTooLargeError, ContentEncodingError (streams.poll.content_encoding) unusable bodies
     └── DemoDataError, FaultRequestError (streams.demo) bad demo data, a bad fault request

Errors of libraries below (aiohttp, aiokafka, pydantic) are translated once, where they are
called, and carry the context a user needs (feed id, URL, topic, partition, offset).
"""

from __future__ import annotations


class TelexError(Exception):
    """Root of every error telex raises on purpose."""


class ConfigError(TelexError):
    """Configuration is invalid; the message names the key and what to change."""


class BrokerError(TelexError):
    """The Kafka broker could not be fetched, started or reached."""


class FeedError(TelexError):
    """A feed could not be fetched or parsed; other feeds are not affected."""

    def __init__(self, message: str, *, feed_id: str | None = None, url: str | None = None):
        super().__init__(message)
        self.feed_id = feed_id
        self.url = url


class MessageError(TelexError):
    """A Kafka message cannot be processed; it belongs in the dead-letter topic."""

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.reason = reason

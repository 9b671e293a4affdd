"""Parsers for each feed and page format telex reads; streams.poll.parse dispatches to them."""

"""Parsers for each feed and page format telex reads; streams.parse dispatches to them."""

"""pytest-localserver: the httpserver fixture (a server in a thread of the
test's process) serves content and status codes."""
import urllib.error
import urllib.request

import pytest


def test_serves_content(httpserver):
    httpserver.serve_content("hello", code=200)
    assert urllib.request.urlopen(httpserver.url).read() == b"hello"


def test_serves_a_status(httpserver):
    httpserver.serve_content("gone", code=410)
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(httpserver.url)
    assert error.value.code == 410


def test_wrong_content(httpserver):
    httpserver.serve_content("hello", code=200)
    assert urllib.request.urlopen(httpserver.url).read() == b"goodbye"

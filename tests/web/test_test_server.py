"""The browser tests' server closes every response body itself (see helpers._body_closed_here)."""
import socket
import struct
import time
import urllib.request

from tests.web.helpers import serve_in_thread


class Body:
    """A response body that records whether it was closed, as werkzeug's FileWrapper would."""
    instances = []

    def __init__(self):
        self.closed = False
        Body.instances.append(self)

    def __iter__(self):
        yield b"x" * 2_000

    def close(self):
        self.closed = True


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return Body()


def test_a_body_is_closed_when_the_client_reads_it_and_when_it_hangs_up():
    Body.instances.clear()
    server, url = serve_in_thread(app)
    try:
        assert len(urllib.request.urlopen(url).read()) == 2_000
        # clients that reset the connection once the answer starts (Chromium dropping an icon):
        # werkzeug alone leaves some of these bodies open
        for _ in range(30):
            with socket.create_connection(("127.0.0.1", server.server_port)) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                s.recv(1)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        deadline = time.monotonic() + 5
        while len(Body.instances) < 31 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)  # the last server thread's close, if it comes
    finally:
        server.shutdown()
    assert len(Body.instances) == 31
    assert [body.closed for body in Body.instances] == [True] * 31

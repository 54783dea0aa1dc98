"""The HTTP plumbing under the fake endpoint: a threaded keep-alive server and the response writer."""

import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from pipelines.fake_endpoint.protocol import CONTENT_TYPE

if TYPE_CHECKING:
    from pipelines.fake_endpoint.server import FakeLightsail


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, error_type: str | None = None,
         content_type: str = CONTENT_TYPE) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("x-amzn-RequestId", str(uuid.uuid4()))
    if error_type:
        handler.send_header("x-amzn-ErrorType", f"{error_type}:")
    handler.end_headers()
    handler.wfile.write(body)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore pools connections
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    timeout = 60  # idle keep-alive connections close eventually

    def do_POST(self) -> None:
        self.server.app.dispatch(self)

    def log_message(self, format: str, *args) -> None:  # one line per request would swamp a benchmark
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # parallel region pulls open many connections at once
    app: "FakeLightsail"  # set by FakeLightsail.start(); answers every request

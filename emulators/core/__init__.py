"""What both emulators share, whatever API they speak: HTTP serving (threads, keep-alive connections closed
on stop, an optional TLS wrapper), the request guard (Host, Origin, bearer token, body media type), fault
injection with one vocabulary, a bounded request log and the base of their JSON errors.

Each emulator keeps its own API: its paths, its error bodies (a Kubernetes `Status`, a Google error), its
request record. Nothing here imports from the emulators built on it.
"""

from .errors import HttpError
from .faults import Decision, FaultRule, Faults, RateLimit
from .requestlog import RequestLog
from .serving import EmulatorHTTPServer, JsonRequestHandler, ServerThread

__all__ = [
    "Decision",
    "EmulatorHTTPServer",
    "FaultRule",
    "Faults",
    "HttpError",
    "JsonRequestHandler",
    "RateLimit",
    "RequestLog",
    "ServerThread",
]

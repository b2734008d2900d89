"""`python -m emulators.gce --port 8089`: run the Compute emulator in the foreground."""

from __future__ import annotations

import argparse

from .server import DEFAULT_ZONES, serve


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(description="Google Compute Engine REST API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--zones", default=",".join(DEFAULT_ZONES), help="comma-separated zone names")
    parser.add_argument(
        "--operation-delay", type=float, default=None, help="seconds until operations are DONE"
    )
    args = parser.parse_args(argv)
    serve(
        args.host,
        args.port,
        zones=tuple(z for z in args.zones.split(",") if z),
        operation_delay_seconds=args.operation_delay,
    )


if __name__ == "__main__":
    main()

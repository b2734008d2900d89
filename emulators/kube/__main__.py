"""`python -m emulators.kube [--host H] [--port N] [--kubeconfig PATH]`."""

from __future__ import annotations

import argparse
import contextlib

from .server import KubeEmulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the lbctl Kubernetes API emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument(
        "--kubeconfig", help="write a kubeconfig (with the bearer token) pointing at the emulator here"
    )
    parser.add_argument(
        "--allowed-host", action="append", default=[], help="also serve this Host header (NAME:PORT)"
    )
    parser.add_argument(
        "--no-controllers",
        action="store_true",
        help="a bare API server: no Deployments, pod placement or EndpointSlices",
    )
    args = parser.parse_args(argv)
    emulator = KubeEmulator(
        args.host, args.port, allowed_hosts=args.allowed_host, controllers=not args.no_controllers
    )
    if args.kubeconfig:
        emulator.bind()  # so the kubeconfig carries the real port when --port 0
        emulator.write_kubeconfig(args.kubeconfig)
    print(f"Kubernetes API emulator on {emulator.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        emulator.serve_forever()


if __name__ == "__main__":
    main()

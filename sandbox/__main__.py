"""`python -m sandbox --port 8765 [--state-file var/sandbox.json] [--seed demo|empty]`."""

from __future__ import annotations

import argparse
import signal
import sys

from .server import Sandbox


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--state-file", help="JSON file to keep accounts, posts and tokens across restarts")
    parser.add_argument("--seed", choices=["demo", "empty"], default="demo")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args()
    sandbox = Sandbox(args.host, args.port, args.state_file, args.seed, quiet=not args.verbose)
    print(f"Sandbox serving Google and Anthropic at {sandbox.url}  (Ctrl-C stops)", flush=True)
    print(f"  GOOGLE_API_BASE_URL={sandbox.url}  ANTHROPIC_BASE_URL={sandbox.url}", flush=True)
    # SIGTERM (process managers, `kill`) stops as cleanly as Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.httpd.server_close()


if __name__ == "__main__":
    main()

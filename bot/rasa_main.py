"""Starts Rasa (``rasa run ...``) with the HTTP API token read from a file, not from the command line.

``rasa run --auth-token X`` shows X to every user of the machine in ``ps``; Rasa 3.6 has no other way
to take it. This wrapper, run with Rasa's own Python (``.venv-rasa/bin/python -m bot.rasa_main run ...``),
reads the token from the file named by ``HELPDESK_RASA_TOKEN_FILE`` and adds it to the arguments
inside the process (the process's visible command line stays without it), then runs Rasa's CLI.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    token_file = os.environ.get("HELPDESK_RASA_TOKEN_FILE")
    args = sys.argv[1:]
    if token_file:
        token = Path(token_file).read_text(encoding="utf-8").strip()
        if len(token) < 16:
            sys.exit(f"{token_file} is empty or too short")
        args += [f"--auth-token={token}"]   # one argument: a token may start with "-"
    sys.argv = ["rasa", *args]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()

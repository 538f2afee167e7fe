"""What both relying-party scripts share: the failure they report, their
configuration from the environment, step lines, checks and JSON bodies."""

import os


class Failure(Exception):
    """A check that did not hold; its message says which."""


def env(name, default=None):
    value = os.environ.get(name, default)
    if value is None or value == "":
        raise Failure(f"environment variable {name} is not set")
    return value


def step(message):
    print(message, flush=True)


def check(condition, message):
    if not condition:
        raise Failure(message)


def json_body(response, what):
    try:
        return response.json()
    except ValueError:
        raise Failure(
            f"{what}: HTTP {response.status_code}, not JSON: {response.text[:500]!r}"
        ) from None

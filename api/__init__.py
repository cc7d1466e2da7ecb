"""The HTTP and WebSocket edge of GoDark, and the `godark` command line."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("godark")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+local"

"""smstui: a terminal dashboard for watching SMS campaigns on SMSC and Webcom Mobi live."""

__version__ = "0.1.0"

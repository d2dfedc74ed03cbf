"""Grassroots: build and run member organizations from the ground up."""

__version__ = "0.1.0"

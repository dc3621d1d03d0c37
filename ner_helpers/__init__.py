"""Helpers shared by the WNUT 17 token-classification notebooks: data, alignment, metrics, inference."""

__version__ = "0.1.0"

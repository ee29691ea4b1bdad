"""Spiders: navigation only; every page goes to the extraction engine."""

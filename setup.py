"""For `scrapyd-deploy`, which builds an egg with `setup.py bdist_egg`: everything is declared in
pyproject.toml (its `scrapy` entry point names the settings module scrapyd runs the project with)."""

from setuptools import setup

setup()

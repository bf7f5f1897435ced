"""Confluence storage format for the pages the service owns: the OKR set page, the problem review page."""

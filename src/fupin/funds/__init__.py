"""Funds and projects: the project library, money from allocation to household, notices."""

"""The framework-free engine: nothing here imports Django.

idcard           resident ID numbers (GB 11643)
standard_format  the tables, fields and enumerations of FORMAT.md
values           parsing one cell of the standard format, with a Chinese reason on failure
tables           streaming readers for CSV folders and XLSX workbooks
"""

"""Framework-free rules and figures for poverty-alleviation funds and projects.

Every figure a county is judged by (carry-over rate, integration ratios, reconciliation gap)
comes from one function in `figures`; thresholds and rule switches come from the policy file
read by `policy`; the project workbook's columns are described once in `projects_format`.
"""

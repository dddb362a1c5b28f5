"""The site the offices work in: region-scoped users, the household file, dashboards, printouts."""

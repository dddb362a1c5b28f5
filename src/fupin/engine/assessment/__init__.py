"""Assessment (考核评估): sampling plans, survey findings, 三率一度 with design-based confidence
intervals, county exit decisions, 100-point scoring and reports.

Framework-free: no Django here. The CLI (`fupin sample`, `fupin assess`, `fupin score`) and the
web pages call these modules.
"""

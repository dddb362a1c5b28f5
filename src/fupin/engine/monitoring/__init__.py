"""Return-to-poverty monitoring (返贫监测), framework-free.

policy       the monitoring policy file: parameters, risk rules, stability weights
expressions  rule expressions checked with sqlglot and compiled to DuckDB SQL
scan         rules, stability scores and exit counts as SQL over a data set
rates        返贫率, the one function it comes from
"""

"""返贫监测 and 社会扶贫网: the Django side of return-to-poverty monitoring and the help network.

The rules, scores and the 返贫率 come from `fupin.engine.monitoring`; this app keeps the cases,
their steps (actions.py), the network, and the pages under /monitoring/ and /network/.
"""

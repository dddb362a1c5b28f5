"""Department data comparison (部门数据比对): roster import, matching to the registry, and the
discrepancy rules that turn matches into findings."""

"""Department data comparison on the site: stored comparison runs and their findings."""

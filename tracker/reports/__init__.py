"""Reports: the dashboard, charts, lists and timelines made from the domain's records."""

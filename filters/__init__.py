"""Winnow's document filters: language ID and heuristic quality filters (datatrove steps)."""

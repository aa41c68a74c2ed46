"""Wagtail admin screens for importing learner rosters (CSV/XLSX)."""

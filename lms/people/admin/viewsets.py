"""Wagtail viewsets for cities, agencies and people, filtered to what the viewer may see."""

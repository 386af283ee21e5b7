"""Feedback reports for leaders and units."""

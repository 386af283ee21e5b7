"""Administrators' pages: user accounts and the audit log."""

"""Screens of the workspace."""

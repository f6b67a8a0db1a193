"""Outputs: Rich rendering for people (render), JSON documents for scripts (jsonout)."""

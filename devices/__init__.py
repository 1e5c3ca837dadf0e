"""Devices, their tokens, locations and commands; Find Device pages and the device API."""

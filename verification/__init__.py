"""Codes and their delivery: verification codes, outbound messages, SMS and email backends,
Celery delivery tasks, the Twilio status webhook, send limits and the dev outbox.

This app knows nothing of accounts, devices or cloud: they call it to send.
"""

"""Custom actions served by the rasa-sdk action server, grouped by conversation area.

Run with ``python -m rasa_sdk --actions bot.actions``; every module of this package is scanned.
"""

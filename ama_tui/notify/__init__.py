"""Notifications (issue 15): events derived from the engine's snapshots, sent through apprise
(Slack, Telegram, Discord, e-mail, JSON webhooks, ...) from a thread of their own, so the engine
never waits for a service. Configured by `AMA_NOTIFY_URLS`; nothing here runs without it, and
apprise is imported only then (the command line stays fast to start)."""

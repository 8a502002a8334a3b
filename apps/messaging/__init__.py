"""Messages to members: one delivery row per message, email and SMS, the suppression
list, signed links (card, unsubscribe) and one-click unsubscribe (RFC 8058).

What a message says belongs to the app that sends it (the welcome: apps/portal;
campaigns and automations later): it registers a `MessageSource` (core/extensions.py)
that renders a delivery, and queues deliveries with `delivery_queue`.
"""

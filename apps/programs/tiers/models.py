"""VIP tiers (the tiers app owns its models; see services.py)."""

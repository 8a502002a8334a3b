"""Referrals (the referrals app owns its models; see services.py)."""

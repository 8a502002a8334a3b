"""Demo purchases for `seed_demo --purchases N` (see purchases.py): drawn in histories.py,
written in writing.py."""

from apps.demo.sales.purchases import DEFAULT_SEED, SeedResult, seed_purchases

__all__ = ["DEFAULT_SEED", "SeedResult", "seed_purchases"]

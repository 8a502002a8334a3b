"""The member's side: their private card page (with preferences, installable as an app)
and the welcome message that carries it. Above programs, because a card shows them all."""

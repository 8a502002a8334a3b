"""Who opens a transaction (docs/ARCHITECTURE.md, "Writes and reads").

One transaction per request or task, opened at its edge: the API's `@idempotent`, a view
around the service it calls, a task around its unit of work. `edge_transaction()` is that
transaction. It is durable: nothing may enclose it, so it really is the outermost one and
commits when it ends (a test's own transaction aside, which Django lets it nest in).

Services are `@transaction.atomic(savepoint=False)`: called alone (a shell, a test, a
management command) they open their own transaction; inside an edge they join it without
a savepoint (a round trip to the database each way), and a refusal they raise undoes the
whole request. So a caller that catches a service's error must let the transaction end
first: the edge sits inside the `try`, never around it.
"""

from django.db import transaction


def edge_transaction() -> transaction.Atomic:
    """The one transaction of a request or a task: `with edge_transaction(): ...`."""
    return transaction.atomic(durable=True)

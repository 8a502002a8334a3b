"""The bench's baselines next to the real API: bare DRF endpoints that run only the SQL a
purchase (or a lookup) needs, with no authentication, idempotency, rules or hooks."""

from django.db import connection, transaction
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

# The points writes of a purchase, as bench/purchases.py's pgbench script runs them.
EARN_SQL = [
    "SELECT id FROM programs_pointsaccount WHERE member_id = %(member)s FOR UPDATE",
    "INSERT INTO programs_purchase (merchant_id, member_id, external_id, amount, currency,"
    " items, location_id, actor_id, points_earned, refunded_amount, points_reversed,"
    " occurred_at, created_at) VALUES (%(merchant)s, %(member)s, 'bare-' ||"
    " gen_random_uuid(), %(amount)s, 'EUR', '[]', NULL, NULL, %(points)s, 0, 0, now(), now())"
    " RETURNING id",
    "INSERT INTO programs_lot (merchant_id, member_id, points, remaining, earned_at,"
    " expires_at) VALUES (%(merchant)s, %(member)s, %(points)s, %(points)s, now(), NULL)"
    " RETURNING id",
    "UPDATE programs_pointsaccount SET balance = balance + %(points)s"
    " WHERE member_id = %(member)s RETURNING balance",
    "INSERT INTO programs_ledgerentry (merchant_id, member_id, kind, points, balance_after,"
    " purchase_id, refund_id, lot_id, reason, reason_text, actor_id, created_at) VALUES"
    " (%(merchant)s, %(member)s, 'earn', %(points)s, %(balance)s, %(purchase)s, NULL, %(lot)s,"
    " '', '{}', NULL, now())",
    "UPDATE members_member SET last_activity_at = now()"
    " WHERE id = %(member)s AND last_activity_at < now()",
    "INSERT INTO members_memberevent (merchant_id, member_id, kind, summary, data, actor_id,"
    " source, occurred_at) VALUES (%(merchant)s, %(member)s, 'purchase', 'bare', '{}', NULL,"
    " '', now())",
]


class Bare(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []


class BareEarn(Bare):
    def post(self, request):
        values = {
            "merchant": int(request.data["merchant"]),
            "member": int(request.data["member"]),
            "amount": int(request.data["amount"]),
        }
        values["points"] = values["amount"] * 10 // 100
        with transaction.atomic(), connection.cursor() as cursor:
            for sql in EARN_SQL:
                cursor.execute(sql, values)
                if sql.startswith("INSERT INTO programs_purchase"):
                    values["purchase"] = cursor.fetchone()[0]
                elif sql.startswith("INSERT INTO programs_lot"):
                    values["lot"] = cursor.fetchone()[0]
                elif sql.startswith("UPDATE programs_pointsaccount"):
                    values["balance"] = cursor.fetchone()[0]
        return Response({"points_earned": values["points"], "points_balance": values["balance"]})


class BareLookup(Bare):
    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT public_id, first_name, phone FROM members_member"
                " WHERE merchant_id = %s AND phone = %s",
                [int(request.query_params["merchant"]), request.query_params["phone"]],
            )
            rows = cursor.fetchall()
        return Response(
            {"results": [{"id": r[0], "first_name": r[1], "phone": r[2]} for r in rows]}
        )


urlpatterns = [
    path("bench/earn/", BareEarn.as_view()),
    path("bench/lookup/", BareLookup.as_view()),
    path("", include("config.urls")),
]

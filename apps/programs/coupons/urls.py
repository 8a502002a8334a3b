from django.urls import path

from apps.programs.coupons import views

app_name = "coupons"

urlpatterns = [
    path("", views.coupon_list_view, name="list"),
    path("check/", views.coupon_check_view, name="check"),
    path("redeem/", views.coupon_redeem_view, name="redeem"),
    path("cashback/", views.cashback_view, name="cashback"),
    path("cashback/categories/", views.category_rate_create, name="category_rate_create"),
    path(
        "cashback/categories/<int:pk>/delete/",
        views.category_rate_delete_view,
        name="category_rate_delete",
    ),
    path("members/<str:public_id>/", views.member_coupons, name="member_coupons"),
    path("members/<str:public_id>/issue/", views.coupon_issue_view, name="issue"),
    path("<str:code>/void/", views.coupon_void_view, name="void"),
]

from django.urls import include, path

from apps.members import views

app_name = "members"

urlpatterns = [
    path("", views.member_list_view, name="list"),
    path("counter/", views.counter, name="counter"),
    path("counter/enroll/", views.counter_enroll, name="enroll"),
    path("", include("apps.members.transfer_urls")),
    path("<str:public_id>/", views.member_detail, name="detail"),
    path("<str:public_id>/edit/", views.member_edit, name="edit"),
    path("<str:public_id>/card/", views.member_card, name="card"),
    path("<str:public_id>/notes/", views.member_note, name="note"),
    path("<str:public_id>/export.json", views.member_export_json, name="export_json"),
    path("<str:public_id>/erase/", views.member_erase, name="erase"),
    path("<str:public_id>/merge/", views.member_merge, name="merge"),
]

from django.urls import path

from .views import (
    actions,
    announcements,
    approvals,
    brand,
    bulk,
    drafts,
    editor,
    history,
    imports,
    lists,
    photos,
    series,
    takedowns,
)

app_name = "posts"

urlpatterns = [
    # Lists and calendar.
    path("posts/", lists.post_list, name="list"),
    path("posts/export.csv", lists.post_list_csv, name="list_csv"),
    path("franchises/<uuid:franchise_id>/posts/", lists.franchise_post_list, name="franchise_list"),
    path("franchises/<uuid:franchise_id>/calendar/", lists.post_calendar, name="calendar"),
    path("calendar/", lists.post_calendar_all, name="calendar_all"),
    path("calendar/export.csv", lists.post_calendar_csv, name="calendar_csv"),
    path("calendar/export.ics", lists.post_calendar_ics, name="calendar_ics"),
    path("posts/many/", bulk.posts_many, name="many"),
    path("posts/import/", imports.posts_import_view, name="import"),
    # Editor.
    path("franchises/<uuid:franchise_id>/posts/new/", editor.post_new, name="new"),
    path("franchises/<uuid:franchise_id>/posts/preview/", editor.post_preview, name="preview"),
    path("franchises/<uuid:franchise_id>/posts/check/", brand.post_check_view, name="check"),
    path("posts/<uuid:post_id>/edit/", editor.post_edit, name="edit"),
    # Photos: uploaded from the editor; served from here when kept in MEDIA_ROOT (no bucket).
    path("franchises/<uuid:franchise_id>/photos/", photos.photo_upload, name="photo_upload"),
    path("media/<path:path>", photos.photo_file, name="photo_file"),
    # A post and its actions (POST forms).
    path("posts/<uuid:post_id>/", actions.post_detail, name="detail"),
    path("posts/<uuid:post_id>/schedule/", actions.post_schedule_view, name="schedule"),
    path("posts/<uuid:post_id>/unschedule/", actions.post_unschedule_view, name="unschedule"),
    path("posts/<uuid:post_id>/move/", actions.post_move_view, name="move"),
    path("posts/<uuid:post_id>/publish/", actions.post_publish_now_view, name="publish_now"),
    path("posts/<uuid:post_id>/retry/", actions.post_retry_view, name="retry"),
    path("posts/<uuid:post_id>/duplicate/", actions.post_duplicate_view, name="duplicate"),
    path("posts/<uuid:post_id>/delete/", actions.post_delete_view, name="delete"),
    # A post Google rejected or removed: put it back (after confirming), or dismiss the notice.
    path("posts/<uuid:post_id>/republish/", actions.post_republish_view, name="republish"),
    path("posts/<uuid:post_id>/dismiss-google-notice/", actions.post_dismiss_notice_view, name="dismiss_notice"),
    path("posts/<uuid:post_id>/reject/", drafts.draft_reject, name="reject"),
    path("posts/<uuid:post_id>/notes/", history.post_note_add_view, name="note_add"),
    # Approvals: the approvers' queue, many at once, undo; a signed review link and its page.
    path("approvals/", approvals.approvals_queue, name="approvals"),
    path("approvals/many/", approvals.approvals_many, name="approvals_many"),
    path("approvals/undo/", approvals.approvals_undo, name="approvals_undo"),
    path("posts/<uuid:post_id>/approval-link/", approvals.approval_link_new, name="approval_link_new"),
    path("approvals/review/<str:token>/", approvals.approval_link_page, name="approval_link"),
    # A live post taken down: its staff ask, an admin takes it down or declines (the requests page).
    path("posts/<uuid:post_id>/ask-takedown/", takedowns.post_takedown_ask, name="takedown_ask"),
    path("posts/<uuid:post_id>/take-down/", takedowns.post_take_down, name="take_down"),
    path("posts/<uuid:post_id>/decline-takedown/", takedowns.post_takedown_decline, name="takedown_decline"),
    path("takedown-requests/", takedowns.takedown_list, name="takedowns"),
    # Repeating posts (series) and their occurrences.
    path("franchises/<uuid:franchise_id>/series/", series.series_list, name="series_list"),
    path("franchises/<uuid:franchise_id>/series/new/", series.series_new, name="series_new"),
    path("franchises/<uuid:franchise_id>/series/preview/", series.series_preview, name="series_preview"),
    path("series/<uuid:series_id>/", series.series_detail, name="series_detail"),
    path("series/<uuid:series_id>/end/", series.series_end_view, name="series_end"),
    # Headquarters announcements, history.
    path("announcements/", announcements.announcement_list, name="announcement_list"),
    path("announcements/new/", announcements.announcement_new, name="announcement_new"),
    path("announcements/<uuid:announcement_id>/", announcements.announcement_detail, name="announcement_detail"),
    path("announcements/<uuid:announcement_id>/edit/", announcements.announcement_edit, name="announcement_edit"),
    path("announcements/<uuid:announcement_id>/cancel/", announcements.announcement_cancel, name="announcement_cancel"),
    path("announcements/photos/", photos.announcement_photo_upload, name="announcement_photo_upload"),
    path("brand-rules/", brand.brand_rules_edit, name="brand_rules"),
    path("franchises/<uuid:franchise_id>/history/", history.franchise_history, name="history"),
]

"""The writes of posts, one API: editing (what people do), bulk (many posts at once), publishing
(the job), the upkeep that keeps Google equal to the database, history and headquarters
announcements."""

from .announcements import (
    announcement_cancel_all,
    announcement_edit_all,
    announcement_preview,
    announcement_schedule,
    announcement_series_create,
    announcement_text,
    announcement_time,
)
from .bulk import (
    MANY_ACTIONS,
    posts_act_on_many,
    posts_delete_many,
    posts_reject_many,
    posts_schedule_many,
    posts_update_many,
)
from .editing import (
    EDITABLE_FIELDS,
    PostActionError,
    PostChangedError,
    post_check_editable,
    post_create,
    post_delete,
    post_duplicate,
    post_google_notice_dismiss,
    post_move,
    post_publish_now,
    post_reject,
    post_republish,
    post_retry,
    post_schedule,
    post_unschedule,
    post_update,
    posts_cancel_when_free,
)
from .google_sync import google_posts_sync
from .history import post_event_record
from .photos import PhotoRefused, post_photo_store
from .publishing import Result, post_claim, post_publish, posts_publish_due

__all__ = [
    "EDITABLE_FIELDS",
    "MANY_ACTIONS",
    "PhotoRefused",
    "PostActionError",
    "PostChangedError",
    "Result",
    "announcement_cancel_all",
    "announcement_edit_all",
    "announcement_preview",
    "announcement_schedule",
    "announcement_series_create",
    "announcement_text",
    "announcement_time",
    "google_posts_sync",
    "post_check_editable",
    "post_claim",
    "post_create",
    "post_delete",
    "post_duplicate",
    "post_event_record",
    "post_google_notice_dismiss",
    "post_move",
    "post_photo_store",
    "post_publish",
    "post_publish_now",
    "post_reject",
    "post_republish",
    "post_retry",
    "post_schedule",
    "post_unschedule",
    "post_update",
    "posts_act_on_many",
    "posts_cancel_when_free",
    "posts_delete_many",
    "posts_publish_due",
    "posts_reject_many",
    "posts_schedule_many",
    "posts_update_many",
]

"""A job's result in words for the System page: its JSON counts (gbp_scheduler.jobs.job_run)
turned into sentences a person can act on. Counts of zero are left out; a count this table does
not know is shown with its own name, so a new one is never hidden."""

from __future__ import annotations

# (job or "*" for any job, count) -> words for a count n; the job's own words win.
WORDS: dict[tuple[str, str], str] = {
    ("*", "published"): "{n} published on Google",
    ("*", "failed"): "{n} failed (each one's reason is on it)",
    ("*", "deferred"): "{n} put off: Google was busy or unreachable; retried later",
    ("*", "skipped_locked"): "{n} skipped: another run was publishing them",
    ("*", "skipped_reauth"): "{n} skipped: their franchise must reconnect Google",
    ("*", "skipped_not_connected"): "{n} skipped: their franchise is not connected to Google",
    ("*", "skipped_cannot_post"): "{n} waiting: Google says their location cannot take posts",
    ("*", "reconciled"): "{n} found already on Google and adopted (no second copy)",
    ("*", "left_for_next_run"): "{n} left for the next run (this one ran out of time)",
    ("*", "locks_released"): "{n} stale publish lock{s} released",
    ("*", "deleted_on_google"): "{n} deleted post{s} removed from Google",
    ("*", "updated_on_google"): "{n} edit{s} sent to Google",
    ("*", "settled"): "{n} earlier attempt{s} checked on Google",
    ("generate-drafts", "franchises"): "{n} franchise{s} wanting AI drafts",
    ("generate-drafts", "queued"): "{n} draft{s} queued for the coming week",
    ("generate-drafts", "skipped"): "{n} slot{s} already queued by an earlier run, left as they were",
    ("process-generation-queue", "completed"): "{n} draft{s} written",
    ("process-generation-queue", "failed"): "{n} draft{s} could not be written (see AI drafts)",
    ("process-generation-queue", "deferred"): "{n} put off: Claude was busy or unreachable; retried later",
    ("process-generation-queue", "skipped"): "{n} dropped: their franchise no longer wants AI drafts",
    ("process-generation-queue", "lost_claim"): "{n} taken over by another run",
    ("process-generation-queue", "returned"): "{n} taken back from batches that ran too long",
    ("process-generation-queue", "submitted"): "{n} sent to Claude in batches",
    ("process-generation-queue", "batches"): "{n} batch{es} sent",
    ("sync-google-posts", "locations_synced"): "{n} location{s} read",
    ("sync-google-posts", "posts_checked"): "{n} post{s} checked",
    ("sync-google-posts", "updated"): "{n} post{s} whose state on Google changed",
    ("sync-google-posts", "rejected"): "{n} rejected by Google (their admins are told)",
    ("sync-google-posts", "removed"): "{n} removed from Google (their admins are told)",
    ("sync-google-posts", "failed"): "{n} location{s} could not be read",
    ("sync-google-posts", "google_requests"): "{n} request{s} to Google",
    ("sync-reviews", "locations_synced"): "{n} location{s} read",
    ("sync-reviews", "reviews_new"): "{n} new review{s}",
    ("sync-reviews", "reviews_updated"): "{n} review{s} changed on Google",
    ("sync-reviews", "reviews_gone"): "{n} review{s} no longer on Google",
    ("sync-reviews", "replies_sent"): "{n} waiting reply text{s} sent",
    ("sync-reviews", "reply_states_read"): "{n} reply state{s} read again (Google was still checking)",
    ("sync-reviews", "failed"): "{n} location{s} could not be read",
    ("sync-reviews", "google_requests"): "{n} request{s} to Google",
    ("draft-review-replies", "drafted"): "{n} reply draft{s} written",
    ("draft-review-replies", "failed"): "{n} reply draft{s} could not be written",
    ("draft-review-replies", "batches_read"): "{n} batch{es} read",
    ("draft-review-replies", "drafts_from_batches"): "{n} reply draft{s} read from batches",
    ("draft-review-replies", "batches_sent"): "{n} batch{es} sent",
    ("draft-review-replies", "sent_in_batches"): "{n} review{s} sent to Claude in batches",
    ("deliver-webhooks", "fanned_out"): "{n} post event{s} queued for their subscribers",
    ("deliver-webhooks", "delivered"): "{n} webhook{s} delivered",
    ("deliver-webhooks", "retrying"): "{n} webhook{s} not taken by the receiver, sent again later (see its log)",
    ("deliver-webhooks", "failed"): "{n} webhook{s} given up after a day of retries",
    ("deliver-webhooks", "left_for_next_run"): "{n} left for the next run (out of time, or their endpoint failing)",
    ("deliver-webhooks", "lost_lease"): "{n} sent again meanwhile, by a person or another run",
    ("deliver-webhooks", "error"): "{n} could not be sent (see the log); tried again later",
    ("check-posting-rights", "accounts_checked"): "{n} Google account{s} read",
    ("check-posting-rights", "locations_checked"): "{n} location{s} checked",
    ("check-posting-rights", "cannot_post"): "{n} location{s} Google will not take posts from (their posts wait)",
    ("check-posting-rights", "changed"): "{n} location{s} whose posting rights changed (admins told)",
    ("check-posting-rights", "failed"): "{n} account{s} could not be read",
    ("check-posting-rights", "google_requests"): "{n} request{s} to Google",
    ("fetch-insights", "metrics_refused"): "{n} metric{s} refused by Google, asked again without (see the log)",
    ("fetch-search-keywords", "locations_fetched"): "{n} location{s} read",
    ("fetch-search-keywords", "months_stored"): "{n} month{s} of keywords stored",
    ("fetch-search-keywords", "keywords_stored"): "{n} keyword count{s} stored",
    ("fetch-search-keywords", "not_ready"): "{n} location{s} Google had no keywords for yet (tried again tomorrow)",
    ("fetch-search-keywords", "google_requests"): "{n} request{s} to Google",
    ("check-alerts", "alertsSent"): "{n} alert{s} emailed to the operators",
    ("check-alerts", "failedPostsTold"): "{n} failed post{s} told to their franchise's admins",
    ("send-digests", "digests_sent"): "{n} weekly digest{s} sent",
}
# Figures about the run itself, not its work.
NOT_WORK = {"job", "startedAt", "durationMs", "peak_concurrency", "alerts"}
NOTHING = "Nothing to do."


def job_result_words(job: str, summary: dict) -> list[str]:
    """The run's counts as sentences, in the order the job gave them; NOTHING when all are zero."""
    words = []
    for key, value in summary.items():
        if key in NOT_WORK or not isinstance(value, int) or isinstance(value, bool) or value == 0:
            continue
        template = WORDS.get((job, key)) or WORDS.get(("*", key)) or "{n} " + key.replace("_", " ")
        plural = value != 1
        words.append(template.format(n=f"{value:,}", s="s" if plural else "", es="es" if plural else ""))
    return words or [NOTHING]

"""The status leaves the columns of the partial indexes of published and failed posts: PostgreSQL
knows every row of such an index has that status (it is the index's condition), so the column was
there for SQLite's planner alone, and SQLite only serves the demo and the tests."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("posts", "0013_status_in_partial_indexes")]

    operations = [
        migrations.RemoveIndex(model_name="post", name="posts_published_idx"),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(
                condition=models.Q(("status", "published")),
                fields=["published_at", "franchise"],
                name="posts_published_idx",
            ),
        ),
        migrations.RemoveIndex(model_name="post", name="posts_failed_idx"),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(
                condition=models.Q(("status", "failed")), fields=["scheduled_at", "last_error"], name="posts_failed_idx"
            ),
        ),
    ]

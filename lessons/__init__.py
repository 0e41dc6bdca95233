"""The curriculum: one Markdown file per lesson (see README.md here for the format)."""

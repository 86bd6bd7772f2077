"""Answers to each page's questions: the shared Filters (and a date) in, data frames out; SQL in sql/queries/."""

"""The data model above the tables: who the reps are across files and which message a name refers to."""

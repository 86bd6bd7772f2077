"""Every plotly builder: a data frame in, a labeled Figure out (pure and testable, no connection)."""

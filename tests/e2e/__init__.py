"""Browser tests: the real app driven in headless Chromium."""

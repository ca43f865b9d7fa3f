"""Chat completions: deterministic replies, token accounting and SSE streams."""

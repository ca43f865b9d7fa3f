"""Resource logic: record builders and rules, independent of HTTP."""

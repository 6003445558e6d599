"""Use cases of the activities service: each checks its input and the caller's reach, then
writes its rows and raises its events in one transaction (or changes nothing)."""

"""Review: the queue, leases, decisions and history reviewers work with."""

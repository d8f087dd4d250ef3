"""What every use case shares: the unit of work and its ports, errors, ids, paging."""

"""GPU encode pool scaling: step rules on queue depth, backlog target, known weekly peaks, quotas."""

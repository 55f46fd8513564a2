"""Data protection's own records (erasure requests, tombstones, an event's statistics kept
after its purge). Added by the data-protection work (#21)."""

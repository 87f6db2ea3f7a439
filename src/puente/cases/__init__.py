"""Cases, evidence items and the hash-chained custody log."""

"""Ingest: read transcripts/ and participants.csv, plan every write, and align old codings."""

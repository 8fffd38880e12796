"""HTML run reports and static leaderboards, rendered from results files on disk only (never recomputed)."""

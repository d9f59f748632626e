"""Geo-aware cache warming: pick shields from follower geography; push globally when a video goes viral."""

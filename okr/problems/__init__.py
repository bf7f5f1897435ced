"""The problem reverse-drive: problems, classification, ranking, action points and the review digest."""

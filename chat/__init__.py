"""Chat: rooms, messages and search over one websocket (H1-H14)."""

"""Chat (H1-H14)."""

from config.env import env

# Longest message, in characters.
CHAT_MESSAGE_MAX_CHARS = env.int("CHAT_MESSAGE_MAX_CHARS", default=2000)
# Search: shortest query (letters or digits), page size and its cap; terms listed as popular.
CHAT_SEARCH_MIN_CHARS = env.int("CHAT_SEARCH_MIN_CHARS", default=2)
CHAT_SEARCH_LIMIT = env.int("CHAT_SEARCH_LIMIT", default=20)
CHAT_SEARCH_MAX_LIMIT = env.int("CHAT_SEARCH_MAX_LIMIT", default=100)
# Relevance ranks the newest this many matches, and the total counts up to this many (then
# `total_is_exact` is false): the cost of a search is bounded whatever the word's frequency.
CHAT_SEARCH_CANDIDATES = env.int("CHAT_SEARCH_CANDIDATES", default=1000)
CHAT_POPULAR_TERMS = env.int("CHAT_POPULAR_TERMS", default=10)
# Popular terms are counted per day and summed over this many days.
CHAT_POPULAR_DAYS = env.int("CHAT_POPULAR_DAYS", default=7)
# A term is listed only once this many distinct users searched it within those days, and its
# count is its distinct searchers: one user's search text is theirs, and repeating it adds nothing.
CHAT_POPULAR_MIN_SEARCHERS = env.int("CHAT_POPULAR_MIN_SEARCHERS", default=3)
# The websocket (H3, H6, H7): server ping interval, silence after which a socket is closed,
# connections per user, events queued per socket before a client that does not read is
# dropped, messages a user may send per minute, rooms subscribed at connect.
CHAT_PING_SECONDS = env.float("CHAT_PING_SECONDS", default=30.0)
CHAT_IDLE_SECONDS = env.float("CHAT_IDLE_SECONDS", default=60.0)
CHAT_MAX_CONNECTIONS_PER_USER = env.int("CHAT_MAX_CONNECTIONS_PER_USER", default=5)
CHAT_WS_QUEUE_LENGTH = env.int("CHAT_WS_QUEUE_LENGTH", default=100)
CHAT_MESSAGES_PER_MINUTE = env.int("CHAT_MESSAGES_PER_MINUTE", default=60)
CHAT_ROOMS_PER_CONNECTION = env.int("CHAT_ROOMS_PER_CONNECTION", default=500)
# Frames of any kind (joins, reads, messages) a user may send per minute.
CHAT_FRAMES_PER_MINUTE = env.int("CHAT_FRAMES_PER_MINUTE", default=240)
# Message history pages (H11): default and largest page.
CHAT_HISTORY_LIMIT = env.int("CHAT_HISTORY_LIMIT", default=50)
CHAT_HISTORY_MAX_LIMIT = env.int("CHAT_HISTORY_MAX_LIMIT", default=100)

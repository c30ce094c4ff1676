"""Infrastructure every app uses: Redis connections, rate limits, health probes, error pages."""

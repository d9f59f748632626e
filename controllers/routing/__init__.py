"""GDPR-aware encode routing: home pool, same-jurisdiction overflow, CPU fallback, rate limit."""

"""Gateway clients and their API keys: the admin API's domain."""

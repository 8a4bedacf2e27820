"""LEKO gateway: authentication, authorisation scope, routing, rate limits, merged OpenAPI."""

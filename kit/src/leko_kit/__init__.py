"""Shared service library for LEKO (the services' and the gateway's common plumbing).

One place for settings, database sessions, RFC 9457 problems, request context and logging,
internal-token authentication, pagination, idempotency, ETags, the CPR guard, health and
metrics, and the organisation replica.
"""

"""Registry-wide settings: scanning, blob mounting, registry policy, replication, pull-through."""

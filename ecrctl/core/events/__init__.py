"""ECR events to a webhook: EventBridge rule, API destination, connection, role (issue #7)."""

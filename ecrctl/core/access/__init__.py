"""Who may use what: repository policies (grant and revoke pull), least-privilege IAM policies."""

"""The ECR API: EcrRegistry, the one typed client wrapper (api.py), and the pacing of writes."""

"""The ECR logic: takes injected boto3 clients, returns typed models. No typer, no rich."""

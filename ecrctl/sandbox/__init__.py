"""The embedded sandbox: a local ECR emulator, its sample data, and the demo."""

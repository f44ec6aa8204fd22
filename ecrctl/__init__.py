"""ecrctl: everyday Amazon ECR work from one command."""

__version__ = "0.1.0"

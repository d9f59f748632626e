"""Real backends of the ports: Prometheus, Kubernetes, DynamoDB + CloudWatch.

The only modules (with ``*adapters*.py`` files) allowed to import prometheus_api_client, kubernetes
and boto3 (``tests/test_layering.py``). Every backend fault becomes ``ports.interfaces.PortError``.
"""

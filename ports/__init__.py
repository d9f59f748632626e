"""Ports: the small typed interfaces between decisions and the backends that observe and act.

Controllers, chaos probes and war games talk only to these. The sandbox implements them in-process;
``controllers/*/adapters.py`` implement them over boto3, kubernetes and Prometheus. Keeping the
contract here (not inside either side) lets both sides be built and tested independently.
"""

"""Locustfile: steady platform traffic (learners, creators, writers) with the SLO gate.

locust -f loadtests/learners.py --headless -u 20 -r 5 -t 2m --host http://127.0.0.1:8900
"""

from loadtests import recording as recording
from loadtests.users import CreatorUser, LearnerUser, WriterUser

__all__ = ["CreatorUser", "LearnerUser", "WriterUser", "recording"]

"""Locustfile: the 1.8x commute peak of SPEC section 6 against the platform's edge API.

REELOPS_SPEED=10 locust -f loadtests/commute_peak.py --headless --host http://127.0.0.1:8900
"""

from loadtests import recording as recording
from loadtests.shapes import CommutePeakShape
from loadtests.users import CreatorUser, LearnerUser, WriterUser

__all__ = ["CommutePeakShape", "CreatorUser", "LearnerUser", "WriterUser", "recording"]

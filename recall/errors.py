class StepError(Exception):
    """A step out of order (approving a case twice, an outcome before the follow-up): the
    message says what the case is waiting for, in Chinese. The API answers 409."""

"""State changes of the verification app: codes, queueing messages, delivering them."""

"""The running app's control channel: the single-instance lock, the socket, the protocol."""

"""Administration: staff accounts now; content editing and versions later."""

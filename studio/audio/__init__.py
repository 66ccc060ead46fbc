"""Audio in and out: host-recording loading, frame sources, program outputs, WAV writing."""

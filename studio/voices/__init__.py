"""Voice profiles: the anchor's voice (reference clip, synthesis settings) and persona."""

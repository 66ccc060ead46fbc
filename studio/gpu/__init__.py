"""GPU side of the studio: memory planner, NVML gauge and the model-server supervisor."""

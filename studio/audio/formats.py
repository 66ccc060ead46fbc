"""Sample formats every layer agrees on; here, low down, so audio never imports a backend for them."""

#: Every audio array that crosses a contract into the engine's input side is mono float32 at this rate.
INPUT_SAMPLE_RATE = 16_000

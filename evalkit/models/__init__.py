"""Decoders under evaluation: the Turbo-VAED student (``turbo_vaed``), diffusers teachers and their registry."""

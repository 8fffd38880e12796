"""Tiny random turbo-ltx teacher/student configs shared by the pipeline and generation tests (8-channel latents)."""

TINY_TEACHER = {
    "block_out_channels": [8, 8, 8, 8],
    "decoder_block_out_channels": [8, 8, 8, 8],
    "layers_per_block": [1, 1, 1, 1, 1],
    "decoder_layers_per_block": [1, 1, 1, 1, 1],
    "latent_channels": 8,
}
TINY_STUDENT = {
    "decoder_block_out_channels": [16, 16, 16, 16],
    "decoder_layers_per_block": [1, 1, 1, 1, 1],
    "latent_channels": 8,
    "aligned_feature_projection_dim": [[16, 16]],
}

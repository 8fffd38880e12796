"""Seeded test inputs shared by the metric tests."""

import torch


def random_clip_pairs(num_clips: int, frames: int = 4, size: tuple[int, int] = (24, 32), seed: int = 0):
    """Seeded uint8 reference clips and noisy candidates (B, T, H, W, 3) with ids ``clip0..``."""
    generator = torch.Generator().manual_seed(seed)
    reference = torch.randint(0, 256, (num_clips, frames, *size, 3), generator=generator, dtype=torch.uint8)
    noise = torch.randint(-40, 41, reference.shape, generator=generator)
    candidate = (reference.int() + noise).clamp(0, 255).to(torch.uint8)
    return reference, candidate, [f"clip{i}" for i in range(num_clips)]


# The three comparisons of a distillation run, as `score_comparisons` takes them.
THREE_WAY = {
    "teacher": ("ground_truth", "teacher"),
    "student": ("ground_truth", "student"),
    "student_vs_teacher": ("teacher", "student"),
}

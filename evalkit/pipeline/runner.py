"""`evalkit run` as one function: manifest -> teacher encode/decode -> student decode -> metrics -> results.

``run(config)`` is what the CLI and the tests call. It resumes an interrupted run in the same folder from
its journal, shards clips across ``torchrun`` ranks, reuses cached teacher work, and on rank 0 writes
``results.json``, the per-clip table, the manifest and the run report (with sample frames of the first clips).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from evalkit.data import DATASETS, ClipDataset, ClipProtocol, build_manifest
from evalkit.data.frame_counts import FrameCountMemo
from evalkit.data.protocol_presets import load_preset
from evalkit.metrics import METRICS, build_metrics
from evalkit.metrics.factory import set_aside_for_clip_count
from evalkit.metrics.three_way import ThreeWay
from evalkit.models.registry import DECODERS, build_pair
from evalkit.pipeline import finalize
from evalkit.pipeline.cache import GIB, DiskCache
from evalkit.pipeline.config import ConfigError, RunConfig
from evalkit.pipeline.decode_markers import DIED_WHILE_DECODING, MARKER_DIR, DecodeMarkers
from evalkit.pipeline.devices import (
    DTYPES,
    Placement,
    autocast_context,
    resolve_batch_size,
    resolve_device,
    should_offload,
)
from evalkit.pipeline.evaluate import BatchEvaluator, ClipInput
from evalkit.pipeline.inputs import batches, clip_inputs
from evalkit.pipeline.journal import JOURNAL_DIR, ClipJournal, check_meta, read_progress
from evalkit.pipeline.profile_section import profile_section
from evalkit.pipeline.quantize import OUTPUT_QUANTISATION
from evalkit.pipeline.samples import SampleKeeper
from evalkit.pipeline.sharding import barrier, gather, init_ranks, rank_device, shard
from evalkit.pipeline.teacher_cache import TeacherCache, state_dict_sha256

logger = logging.getLogger(__name__)

FRAME_COUNTS_FILE = "frame_counts.json"  # in the cache folder, beside the teacher namespaces


@dataclass
class RunResult:
    """Where the run wrote its files and (on rank 0) the results document."""

    run_dir: Path
    results: dict[str, Any] | None

    def summary(self) -> str:
        """The one-screen text summary (empty on ranks other than 0)."""
        from evalkit.results.summary import format_summary

        return "" if self.results is None else format_summary(self.results, str(self.run_dir))


def run_protocol(protocol: ClipProtocol) -> dict[str, Any]:
    """The results ``protocol`` block: clip protocol plus output quantisation, hashed together."""
    params = {**protocol.to_dict(), "output_quantisation": OUTPUT_QUANTISATION}
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:12]
    return {"hash": digest, "params": params, "clip_protocol_hash": protocol.hash()}


def run(config: RunConfig) -> RunResult:
    """Evaluate ``config.decoder`` on ``config.dataset``; see :class:`RunConfig` for every setting.

    Raises:
        ConfigError: unusable settings (unknown decoder, invalid frame count, a folder holding another run).
        WeightsUnavailable: a decoder weight file is missing (the message names it and the fetch command).
    """
    started_utc, started = datetime.now(UTC), time.perf_counter()
    decoder_name = config.require_decoder()
    _check_names(config)
    device_name = resolve_device(config.device)
    context = init_ranks(torch.device(device_name).type)
    device = rank_device(device_name, context)
    protocol = ClipProtocol.from_dict(
        {
            **config.protocol,
            "num_frames": config.num_frames,
            "resolution": config.resolution,
            "frame_stride": config.stride,
        }
    )
    dtype = DTYPES[config.dtype]
    pair = build_pair(
        decoder_name,
        student_weights=config.student_weights,
        teacher_weights=config.teacher_weights,
        init=config.init,
        device="cpu",
        dtype=torch.float32 if config.autocast else dtype,
        posterior=config.posterior,
        seed=config.seed,
        teacher_config=config.teacher_config,
        student_config=config.student_config,
    )
    _check_pair(pair, protocol)
    cache = None if config.no_cache else DiskCache(config.cache_dir, max_bytes=int(config.cache_max_gb * GIB))
    manifest = build_manifest(
        config.dataset,
        config.root,
        protocol,
        split=config.split,
        fold=config.fold,
        max_clips=config.max_clips,
        frame_counts=FrameCountMemo(cache.root / FRAME_COUNTS_FILE) if cache is not None else None,
        max_frame_pixels=config.max_frame_pixels,
    )
    offload = should_offload(config.offload, device, pair.teacher, pair.student)
    placement = Placement(device, offload)
    placement.place(pair.teacher, pair.student)
    tiling = _enable_teacher_tiling(pair)
    built, unavailable = build_metrics(list(config.metrics), config.metric_options(device), min_side=config.resolution)
    set_aside_for_clip_count(built, unavailable, len(manifest.clips))
    per_clip_metrics = {name: metric for name, metric in built.items() if METRICS.get(name).per_clip}
    pooled_templates = {name: metric for name, metric in built.items() if not METRICS.get(name).per_clip}
    teacher_only = pair.student is None

    run_dir = config.run_dir
    protocol_block = run_protocol(protocol)
    if config.protocol_preset:
        protocol_block["preset"] = load_preset(config.protocol_preset).identity()
    identity = {
        "config": config.identity_hash(),
        "manifest": manifest.hash(),
        "metrics": ",".join(sorted(built)),
    }
    if context.is_main:
        check_meta(run_dir, identity)
    barrier(context)
    past = read_progress(run_dir)
    markers = DecodeMarkers(run_dir / JOURNAL_DIR / MARKER_DIR)
    if context.is_main:
        markers.release_survivors(manifest, set(past.records), config.max_frame_pixels)
    barrier(context)
    died_on = markers.left_behind() - set(past.records)  # killed a child process too: recorded as failed
    barrier(context)
    pending = [clip for clip in manifest.clips if clip.clip_id not in past.records and clip.clip_id not in died_on]
    mine = shard(pending, context)
    if past.records and context.is_main:
        logger.warning("resuming %s: %d of %d clips already done", run_dir, len(past.records), len(manifest.clips))

    teacher_sha = state_dict_sha256(pair.teacher)
    teacher_cache = None
    if cache is not None:
        teacher_cache = TeacherCache(
            cache,
            dataset=manifest.dataset,
            root=manifest.root,
            namespace_fields={
                "teacher": pair.spec.teacher,
                "teacher_state_sha256": teacher_sha,
                "protocol_hash": protocol_block["hash"],
                "posterior": config.posterior,
                "posterior_seed": config.seed if config.posterior == "sample" else None,
                "dtype": config.dtype,
                "autocast": config.autocast,
                "device_type": device.type,
                "teacher_tiling": tiling,
            },
        )
    pooled = {name: ThreeWay(template, teacher_only=teacher_only) for name, template in pooled_templates.items()}
    batch_size = resolve_batch_size(config.batch_size, device.type)
    evaluator = BatchEvaluator(
        pair,
        per_clip_metrics,
        pooled,
        placement,
        lambda: autocast_context(config.autocast, device, dtype),
        teacher_cache,
        posterior_seed=config.seed,
        rank=context.rank,
        samples=SampleKeeper(run_dir, manifest.clips),
        batch_limit=batch_size,
        tiling=config.tiling,
    )
    journal = ClipJournal(run_dir, session=past.sessions, rank=context.rank)
    dataset = ClipDataset(manifest, max_frame_pixels=config.max_frame_pixels, guard=markers.guard)
    died = [ClipInput(clip, error=DIED_WHILE_DECODING) for clip in manifest.clips if clip.clip_id in died_on]
    records: list[dict[str, Any]] = []
    session_stage_s: dict[str, float] = {}
    progress = tqdm(
        total=len(manifest.clips),
        initial=len(past.records),
        unit="clip",
        desc=f"{decoder_name} on {config.dataset}",
        file=sys.stderr,
        disable=not (config.progress and context.is_main),
        dynamic_ncols=True,
    )
    load_started = time.perf_counter()
    with torch.inference_mode():
        inputs = clip_inputs(mine, dataset, teacher_cache, config.num_workers)
        for batch in batches(chain(died if context.is_main else [], inputs), batch_size):
            evaluator.stage_s["load"] += time.perf_counter() - load_started
            batch_records = evaluator(batch)
            stage_s = dict(evaluator.stage_s)
            evaluator.stage_s.clear()
            for stage, seconds in stage_s.items():
                session_stage_s[stage] = session_stage_s.get(stage, 0.0) + seconds
            pooled_state = {name: tw.state_dict() for name, tw in pooled.items()} if pooled else None
            journal.append(
                batch_records, stage_s=stage_s, elapsed_s=time.perf_counter() - started, pooled_state=pooled_state
            )
            records.extend(batch_records)
            progress.update(len(batch) * context.world_size)
            load_started = time.perf_counter()
    progress.close()
    if context.is_main:
        markers.forget(died_on)  # journaled as failed above

    session_wall = time.perf_counter() - started
    mine_done = {
        "records": records,
        "pooled": {name: tw.state_dict() for name, tw in pooled.items()},
        "wall_s": session_wall,
        "stage_s": session_stage_s,
        "out_of_memory": {
            "events": evaluator.out_of_memory_events,
            "batch_limit": evaluator.batch_limit,
            "tiled_clips": evaluator.tiled_clips,
        },
        "cache_corrupt": cache.corrupt_entries if cache is not None else [],
    }
    everything = gather(mine_done, context)
    if not context.is_main:
        barrier(context)
        return RunResult(run_dir, None)
    all_records = dict(past.records)
    for part in everything:
        all_records.update({record["clip_id"]: record for record in part["records"]})
    merged = {name: ThreeWay(template, teacher_only=teacher_only) for name, template in pooled_templates.items()}
    for state in past.pooled_states + [part["pooled"] for part in everything]:
        for name, three_way in merged.items():
            three_way.merge(state[name])
    stage_totals = dict(past.stage_s)
    for part in everything:
        for stage, seconds in part["stage_s"].items():
            stage_totals[stage] = stage_totals.get(stage, 0.0) + seconds
    if cache is not None:
        cache.evict()
    profile = profile_section(config, pair, device, placement)
    doc = finalize.write_run(
        run_dir,
        config=config,
        manifest=manifest,
        protocol_block=protocol_block,
        pair=pair,
        state_sha256={"teacher": teacher_sha, "student": state_dict_sha256(pair.student) if pair.student else None},
        records=all_records,
        per_clip_metrics=per_clip_metrics,
        pooled=merged,
        unavailable=unavailable,
        device={
            "type": device.type,
            "name": torch.cuda.get_device_name(device) if device.type == "cuda" else _cpu_name(),
            "dtype": config.dtype,
            "autocast": config.autocast,
            "batch_size": batch_size,
            "out_of_memory": _out_of_memory_summary(everything),
            "world_size": context.world_size,
            "offload": offload,
            "teacher_tiling": tiling,
        },
        timings={
            "started_utc": started_utc.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "finished_utc": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "wall_s": past.wall_s + max(part["wall_s"] for part in everything),
            "sessions": past.sessions + 1,
            "stages_s": stage_totals,
        },
        cache={
            "enabled": cache is not None,
            "dir": str(cache.root) if cache is not None else None,
            "teacher_hits": sum(1 for r in all_records.values() if r.get("teacher_cache") == "hit"),
            "teacher_misses": sum(1 for r in all_records.values() if r.get("teacher_cache") == "miss"),
            "corrupt_entries": sum(len(part["cache_corrupt"]) for part in everything),
        },
        profile=profile,
    )
    barrier(context)
    return RunResult(run_dir, doc)


def _out_of_memory_summary(parts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Out-of-memory retries of this session over all ranks and the smallest batch they left; None if none."""
    events = sum(part["out_of_memory"]["events"] for part in parts)
    if not events:
        return None
    return {
        "events": events,
        "batch_size_after": min(part["out_of_memory"]["batch_limit"] for part in parts),
        "student_tiled_clips": [clip for part in parts for clip in part["out_of_memory"]["tiled_clips"]],
    }


def _check_names(config: RunConfig) -> None:
    """Unknown decoder, dataset or metric names are settings errors, listing the valid names."""
    for registry, name in [(DECODERS, config.decoder), (DATASETS, config.dataset)] + [
        (METRICS, metric) for metric in config.metrics
    ]:
        if name not in registry:
            raise ConfigError(f"unknown {registry.kind} {name!r}; choose one of: {', '.join(registry.names())}")


def _check_pair(pair: Any, protocol: ClipProtocol) -> None:
    if pair.teacher is None:
        raise ConfigError(
            f"decoder {pair.name!r} has no teacher ({pair.spec.teacher_unavailable}); "
            "reconstruction metrics need the teacher's encoder"
        )
    try:
        if protocol.num_frames is not None:
            pair.check_frames(protocol.num_frames)
        if protocol.resolution is not None and protocol.crop == "center":
            pair.check_size(protocol.resolution, protocol.resolution)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _enable_teacher_tiling(pair: Any) -> bool:
    """Turn on the teacher's own tiling (diffusers tiles only inputs larger than its tile size)."""
    vae = getattr(pair.teacher, "vae", None)
    if vae is None or not hasattr(vae, "enable_tiling"):
        return False
    vae.enable_tiling()
    return True


def _cpu_name() -> str:
    import platform

    return platform.processor() or platform.machine()

"""`evalkit run`: manifest -> teacher encode/decode -> student decode -> metrics -> results.

``run(config)`` is what the CLI and the tests call; a :class:`RunSession` does the work in three steps. It
resumes an interrupted run in the same folder from its journal, shards clips across ``torchrun`` ranks, reuses
cached teacher work, and on rank 0 writes ``results.json``, the per-clip table, the manifest and the run report
(with sample frames of the first clips).
"""

from __future__ import annotations

import logging
import platform
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from evalkit.data import DATASETS, ClipDataset, ClipProtocol, ClipRecord, build_manifest
from evalkit.data.frame_counts import FrameCountMemo
from evalkit.data.protocol_presets import load_preset
from evalkit.hashing import canonical_sha256
from evalkit.metrics import METRICS, build_metrics
from evalkit.metrics.factory import set_aside_for_clip_count
from evalkit.metrics.three_way import ThreeWay
from evalkit.models.placement import Placement, should_offload
from evalkit.models.quantize import OUTPUT_QUANTISATION
from evalkit.models.registry import DECODERS, build_pair
from evalkit.models.state_hash import state_dict_sha256
from evalkit.pipeline import finalize
from evalkit.pipeline.cache import GIB, DiskCache
from evalkit.pipeline.config import ConfigError, RunConfig
from evalkit.pipeline.decode_backoff import ranks_summary
from evalkit.pipeline.decode_markers import DIED_WHILE_DECODING, MARKER_DIR, DecodeMarkers
from evalkit.pipeline.devices import DTYPES, autocast_context, resolve_batch_size, resolve_device
from evalkit.pipeline.evaluate import BatchEvaluator, ClipInput
from evalkit.pipeline.inputs import batches, clip_inputs
from evalkit.pipeline.journal import JOURNAL_DIR, ClipJournal, PastProgress, check_meta, read_progress
from evalkit.pipeline.profile_section import profile_section
from evalkit.pipeline.samples import SampleKeeper
from evalkit.pipeline.sharding import barrier, gather, init_ranks, rank_device, shard
from evalkit.pipeline.teacher_cache import TeacherCache
from evalkit.results.document import utc_stamp

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
    return {"hash": canonical_sha256(params, length=12), "params": params, "clip_protocol_hash": protocol.hash()}


@dataclass
class ShardResult:
    """What one rank did in this session, gathered on rank 0."""

    records: list[dict[str, Any]]
    pooled: dict[str, dict[str, Any]]
    wall_s: float
    stage_s: dict[str, float]
    out_of_memory: dict[str, Any]
    cache_corrupt: list[Any]


def run(config: RunConfig) -> RunResult:
    """Evaluate ``config.decoder`` on ``config.dataset``; see :class:`RunConfig` for every setting.

    Raises:
        ConfigError: unusable settings (unknown decoder, invalid frame count, a folder holding another run).
        WeightsUnavailable: a decoder weight file is missing (the message names it and the fetch command).
    """
    started_utc, started = datetime.now(UTC), time.perf_counter()
    session = RunSession(config)
    session.resume()
    everything = gather(session.evaluate_shard(started), session.context)
    doc = session.merge_ranks(everything, started_utc) if session.context.is_main else None
    barrier(session.context)
    return RunResult(config.run_dir, doc)


class RunSession:
    """One session of a run on this rank. Built: settings checked, ranks joined, decoders built and placed,
    clips listed, metrics built. Then ``resume`` (what earlier sessions finished), ``evaluate_shard`` (this
    rank's clips, journaled batch by batch) and, on rank 0, ``merge_ranks`` (the results)."""

    past: PastProgress
    mine: list[ClipRecord]
    died_on: set[str]
    markers: DecodeMarkers

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        decoder_name = config.require_decoder()
        _check_names(config)
        device_name = resolve_device(config.device)
        self.context = init_ranks(torch.device(device_name).type)
        device = self.device = rank_device(device_name, self.context)
        protocol = ClipProtocol.from_dict(
            {
                **config.protocol,
                "num_frames": config.num_frames,
                "resolution": config.resolution,
                "frame_stride": config.stride,
            }
        )
        pair = self.pair = build_pair(
            decoder_name,
            student_weights=config.student_weights,
            teacher_weights=config.teacher_weights,
            init=config.init,
            device="cpu",
            dtype=torch.float32 if config.autocast else DTYPES[config.dtype],
            posterior=config.posterior,
            seed=config.seed,
            teacher_config=config.teacher_config,
            student_config=config.student_config,
        )
        _check_pair(pair, protocol)
        cache = None if config.no_cache else DiskCache(config.cache_dir, max_bytes=int(config.cache_max_gb * GIB))
        self.cache = cache
        self.manifest = build_manifest(
            config.dataset,
            config.root,
            protocol,
            split=config.split,
            fold=config.fold,
            max_clips=config.max_clips,
            frame_counts=FrameCountMemo(cache.root / FRAME_COUNTS_FILE) if cache is not None else None,
            max_frame_pixels=config.max_frame_pixels,
        )
        self.placement = Placement(device, should_offload(config.offload, device, pair.teacher, pair.student))
        self.placement.place(pair.teacher, pair.student)
        self.teacher_tiling = _enable_teacher_tiling(pair)
        self.teacher_sha256 = state_dict_sha256(pair.teacher)
        built, self.unavailable = build_metrics(
            list(config.metrics), config.metric_options(device), min_side=config.resolution
        )
        set_aside_for_clip_count(built, self.unavailable, len(self.manifest.clips))
        self.per_clip_metrics = {name: metric for name, metric in built.items() if METRICS.get(name).per_clip}
        self.pooled_templates = {name: metric for name, metric in built.items() if not METRICS.get(name).per_clip}
        self.protocol_block = run_protocol(protocol)
        if config.protocol_preset:
            self.protocol_block["preset"] = load_preset(config.protocol_preset).identity()
        self.batch_size = resolve_batch_size(config.batch_size, device.type)

    def fresh_pooled(self) -> dict[str, ThreeWay]:
        """Empty three-way states of the pooled metrics (FVD)."""
        teacher_only = self.pair.student is None
        return {name: ThreeWay(template, teacher_only=teacher_only) for name, template in self.pooled_templates.items()}

    def resume(self) -> None:
        """Check the run folder holds this run; read what earlier sessions finished (``past``), the clips whose
        decoding killed one (``died_on``, recorded as failed) and this rank's share of the rest (``mine``)."""
        config, context, manifest, run_dir = self.config, self.context, self.manifest, self.config.run_dir
        identity = {
            "config": config.identity_hash(),
            "manifest": manifest.hash(),
            "metrics": ",".join(sorted([*self.per_clip_metrics, *self.pooled_templates])),
        }
        if context.is_main:
            check_meta(run_dir, identity)
        barrier(context)
        past = self.past = read_progress(run_dir)
        self.markers = DecodeMarkers(run_dir / JOURNAL_DIR / MARKER_DIR)
        if context.is_main:
            self.markers.release_survivors(manifest, set(past.records), config.max_frame_pixels)
        barrier(context)
        self.died_on = self.markers.left_behind() - set(past.records)  # killed a child process too
        barrier(context)
        done = set(past.records) | self.died_on
        pending = [clip for clip in manifest.clips if clip.clip_id not in done]
        self.mine = shard(pending, context)
        if past.records and context.is_main:
            logger.warning("resuming %s: %d of %d clips already done", run_dir, len(past.records), len(manifest.clips))

    def _teacher_cache(self) -> TeacherCache | None:
        """The teacher cache namespace of this run: everything that changes the teacher's latents and outputs."""
        if self.cache is None:
            return None
        config = self.config
        return TeacherCache(
            self.cache,
            dataset=self.manifest.dataset,
            root=self.manifest.root,
            namespace_fields={
                "teacher": self.pair.spec.teacher,
                "teacher_state_sha256": self.teacher_sha256,
                "protocol_hash": self.protocol_block["hash"],
                "posterior": config.posterior,
                "posterior_seed": config.seed if config.posterior == "sample" else None,
                "dtype": config.dtype,
                "autocast": config.autocast,
                "device_type": self.device.type,
                "teacher_tiling": self.teacher_tiling,
            },
        )

    def evaluate_shard(self, started: float) -> ShardResult:
        """Evaluate this rank's clips batch by batch, journaling each batch's records and pooled-metric
        increment; rank 0 first journals the clips that killed an earlier session as failed."""
        config, context, manifest, device = self.config, self.context, self.manifest, self.device
        teacher_cache = self._teacher_cache()
        running = self.fresh_pooled()
        evaluator = BatchEvaluator(
            self.pair,
            self.per_clip_metrics,
            self.fresh_pooled(),  # updated in place: the increment of the batch being evaluated
            self.placement,
            lambda: autocast_context(config.autocast, device, DTYPES[config.dtype]),
            teacher_cache,
            posterior_seed=config.seed,
            rank=context.rank,
            samples=SampleKeeper(config.run_dir, manifest.clips),
            batch_limit=self.batch_size,
            tiling=config.tiling,
        )
        journal = ClipJournal(config.run_dir, session=self.past.sessions, rank=context.rank)
        dataset = ClipDataset(manifest, max_frame_pixels=config.max_frame_pixels, guard=self.markers.guard)
        died = [ClipInput(clip, error=DIED_WHILE_DECODING) for clip in manifest.clips if clip.clip_id in self.died_on]
        records: list[dict[str, Any]] = []
        session_stage_s: dict[str, float] = {}
        progress = tqdm(
            total=len(manifest.clips),
            initial=len(self.past.records),
            unit="clip",
            desc=f"{config.require_decoder()} on {config.dataset}",
            file=sys.stderr,
            disable=not (config.progress and context.is_main),
            dynamic_ncols=True,
        )
        load_started = time.perf_counter()
        with torch.inference_mode():
            inputs = clip_inputs(self.mine, dataset, teacher_cache, config.num_workers)
            for batch in batches(chain(died if context.is_main else [], inputs), self.batch_size):
                evaluator.stage_s["load"] += time.perf_counter() - load_started
                batch_records = evaluator(batch)
                increment = {name: three_way.state_dict() for name, three_way in evaluator.pooled.items()}
                evaluator.pooled = self.fresh_pooled()
                _merge_pooled(running, increment)
                stage_s = dict(evaluator.stage_s)
                evaluator.stage_s.clear()
                for stage, seconds in stage_s.items():
                    session_stage_s[stage] = session_stage_s.get(stage, 0.0) + seconds
                elapsed_s = time.perf_counter() - started
                journal.append(batch_records, stage_s=stage_s, elapsed_s=elapsed_s, pooled_increment=increment or None)
                records.extend(batch_records)
                progress.update(len(batch) * context.world_size)
                load_started = time.perf_counter()
        progress.close()
        if context.is_main:
            self.markers.forget(self.died_on)  # journaled as failed above
        return ShardResult(
            records=records,
            pooled={name: three_way.state_dict() for name, three_way in running.items()},
            wall_s=time.perf_counter() - started,
            stage_s=session_stage_s,
            out_of_memory=evaluator.backoff.summary(),
            cache_corrupt=self.cache.corrupt_entries if self.cache is not None else [],
        )

    def merge_ranks(self, everything: list[ShardResult], started_utc: datetime) -> dict[str, Any]:
        """On rank 0: earlier sessions and every rank's shard merged into one set of records and pooled
        metrics, written as the run's results (``finalize.write_run``); returns the results document."""
        config, pair, device, cache, past = self.config, self.pair, self.device, self.cache, self.past
        all_records = dict(past.records)
        for part in everything:
            all_records.update({record["clip_id"]: record for record in part.records})
        merged = self.fresh_pooled()
        for increments in past.pooled_increments:  # each journal file's increments add up to its session's state
            earlier = self.fresh_pooled()
            for increment in increments:
                _merge_pooled(earlier, increment)
            _merge_pooled(merged, {name: three_way.state_dict() for name, three_way in earlier.items()})
        for part in everything:
            _merge_pooled(merged, part.pooled)
        stage_totals = dict(past.stage_s)
        for part in everything:
            for stage, seconds in part.stage_s.items():
                stage_totals[stage] = stage_totals.get(stage, 0.0) + seconds
        if cache is not None:
            cache.evict()
        profile = profile_section(config, pair, device, self.placement)
        return finalize.write_run(
            config.run_dir,
            config=config,
            manifest=self.manifest,
            protocol_block=self.protocol_block,
            pair=pair,
            state_sha256={
                "teacher": self.teacher_sha256,
                "student": state_dict_sha256(pair.student) if pair.student else None,
            },
            records=all_records,
            per_clip_metrics=self.per_clip_metrics,
            pooled=merged,
            unavailable=self.unavailable,
            device={
                "type": device.type,
                "name": torch.cuda.get_device_name(device) if device.type == "cuda" else _cpu_name(),
                "dtype": config.dtype,
                "autocast": config.autocast,
                "batch_size": self.batch_size,
                "out_of_memory": ranks_summary([part.out_of_memory for part in everything]),
                "world_size": self.context.world_size,
                "offload": self.placement.offload,
                "teacher_tiling": self.teacher_tiling,
            },
            timings={
                "started_utc": utc_stamp(started_utc),
                "finished_utc": utc_stamp(datetime.now(UTC)),
                "wall_s": past.wall_s + max(part.wall_s for part in everything),
                "sessions": past.sessions + 1,
                "stages_s": stage_totals,
            },
            cache={
                "enabled": cache is not None,
                "dir": str(cache.root) if cache is not None else None,
                "teacher_hits": sum(1 for r in all_records.values() if r.get("teacher_cache") == "hit"),
                "teacher_misses": sum(1 for r in all_records.values() if r.get("teacher_cache") == "miss"),
                "corrupt_entries": sum(len(part.cache_corrupt) for part in everything),
            },
            profile=profile,
        )


def _merge_pooled(pooled: dict[str, ThreeWay], states: dict[str, dict[str, Any]]) -> None:
    for name, three_way in pooled.items():
        three_way.merge(states[name])


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
    return platform.processor() or platform.machine()

"""Real recordings that grow like a recorder's: FFmpeg's own muxers (through PyAV) writing frames
at a steady pace, so tests and benchmarks see exactly what each container does to a file.

What the muxers do (measured with :func:`rewritten_ranges`, see ``tests/unit/support``):

* ``mp4``: plain MP4. ``mdat`` grows; at the end its size is written back near the start
  (bytes ~32-40) and ``moov`` is appended.
* ``mp4-faststart``: the same, then the whole file is rewritten so ``moov`` comes first.
* ``fmp4``: fragmented MP4 (``frag_keyframe+empty_moov``); only appends.
* ``mkv`` / ``webm``: Matroska; at the end the SeekHead, the duration and the Cues' position
  are rewritten in the first ~500 bytes, and the Cues are appended.

The frames are a handful of noise pictures encoded once and muxed again and again with new
timestamps: the muxer sees a real stream (real packet sizes, keyframes, timestamps) and the
encoder costs nothing per frame, so a test can write several MB/s on a loaded machine.

Run as a program to record in another process (``python -m tests.support.recorder PATH ...``);
that is how tests stop a recorder without a close (SIGSTOP) or kill it (SIGKILL).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from av.video.codeccontext import VideoCodecContext
from av.video.stream import VideoStream


@dataclass(frozen=True, slots=True)
class Container:
    """How to mux one kind of recording.

    Attributes:
        name: Our name for it (``mp4``, ``mp4-faststart``, ``fmp4``, ``mkv``, ``webm``).
        format: libavformat's muxer name.
        codec: Video codec of the frames (the mp4 muxer refuses raw video; WebM takes VP8/VP9).
        options: Muxer options.
        suffix: File name ending.
    """

    name: str
    format: str
    codec: str
    options: tuple[tuple[str, str], ...]
    suffix: str


CONTAINERS: dict[str, Container] = {
    c.name: c
    for c in (
        Container("mp4", "mp4", "mjpeg", (), ".mp4"),
        Container("mp4-faststart", "mp4", "mjpeg", (("movflags", "+faststart"),), ".mp4"),
        Container("fmp4", "mp4", "mjpeg", (("movflags", "+frag_keyframe+empty_moov"),), ".mp4"),
        Container("mkv", "matroska", "mjpeg", (), ".mkv"),
        Container("webm", "webm", "libvpx", (), ".webm"),
    )
}

_WIDTH, _HEIGHT = 320, 240
_packets: dict[str, tuple[list[bytes], bytes | None]] = {}
_packets_lock = threading.Lock()


def _encoded(codec: str) -> tuple[list[bytes], bytes | None]:
    """A few encoded noise frames (~60-95 KB each) and the codec's extradata, made once."""
    with _packets_lock:
        if codec not in _packets:
            ctx = av.CodecContext.create(codec, "w")
            assert isinstance(ctx, VideoCodecContext)
            ctx.width, ctx.height = _WIDTH, _HEIGHT
            ctx.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
            ctx.time_base = Fraction(1, 25)
            ctx.framerate = Fraction(25)
            ctx.bit_rate = 20_000_000
            ctx.open()
            packets: list[bytes] = []
            for i in range(4):
                frame = av.VideoFrame(_WIDTH, _HEIGHT, ctx.pix_fmt)
                for plane in frame.planes:
                    plane.update(os.urandom(plane.buffer_size))
                frame.pts = i
                packets += [bytes(p) for p in ctx.encode(frame)]
            packets += [bytes(p) for p in ctx.encode(None)]
            _packets[codec] = (packets, ctx.extradata)
        return _packets[codec]


def record(
    path: Path,
    container: Container,
    *,
    seconds: float,
    rate: int,
    before_close: Callable[[], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Write a recording of about `seconds` at about `rate` bytes per second, then close it.

    Args:
        path: The file to write.
        container: What to mux.
        seconds: How long to record.
        rate: Bytes per second to aim for (frames per second follow from the frame size).
        before_close: Called after the last frame, before the muxer finishes the file.
        stop: Ends the recording early (still closed properly).
    """
    packets, extradata = _encoded(container.codec)
    average = sum(len(p) for p in packets) / len(packets)
    fps = max(1, round(rate / average))
    out = av.open(str(path), "w", format=container.format, options=dict(container.options))
    try:
        stream = out.add_stream(container.codec, rate=fps)
        assert isinstance(stream, VideoStream)
        stream.width, stream.height = _WIDTH, _HEIGHT
        stream.pix_fmt = "yuvj420p" if container.codec == "mjpeg" else "yuv420p"
        if extradata:
            stream.codec_context.extradata = extradata
        stream.time_base = Fraction(1, fps)
        count = max(1, int(seconds * fps))
        started = time.monotonic()
        for i in range(count):
            if stop is not None and stop.is_set():
                break
            packet = av.Packet(packets[i % len(packets)])
            packet.stream = stream
            packet.pts = packet.dts = i
            packet.time_base = stream.time_base
            packet.is_keyframe = True
            out.mux(packet)
            wait = started + (i + 1) / fps - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        if before_close is not None:
            before_close()
    finally:
        out.close()


def rewritten_ranges(before: bytes, after: bytes) -> list[tuple[int, int]]:
    """``[start, end)`` ranges of `before` whose bytes differ in `after`, merged when closer than
    64 bytes (compared in 4 KiB blocks, so a rewritten block counts from its first to its last
    changed byte)."""
    ranges: list[tuple[int, int]] = []
    block = 4096
    end = min(len(before), len(after))
    for start in range(0, end, block):
        stop = min(start + block, end)
        a, b = before[start:stop], after[start:stop]
        if a == b:
            continue
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        first, last = start + diffs[0], start + diffs[-1] + 1
        if ranges and first - ranges[-1][1] < 64:
            ranges[-1] = (ranges[-1][0], last)
        else:
            ranges.append((first, last))
    return ranges


class RecorderProcess:
    """A recorder in its own process (as real ones are), so a test can freeze or kill it.

    Attributes:
        path: The file being recorded.
    """

    def __init__(self, path: Path, container: str, *, seconds: float, rate: int) -> None:
        """Start recording `path` now."""
        self.path = path
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.recorder",
                str(path),
                "--container",
                container,
                "--seconds",
                str(seconds),
                "--rate",
                str(rate),
            ],
            cwd=Path(__file__).resolve().parents[2],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def wait(self, timeout: float = 60) -> None:
        """Wait until the recording ended and the file is closed.

        Raises:
            RuntimeError: The recorder failed.
        """
        _, err = self._proc.communicate(timeout=timeout)
        if self._proc.returncode != 0:
            raise RuntimeError(f"recorder failed ({self._proc.returncode}): {err.decode()[-2000:]}")

    @property
    def running(self) -> bool:
        """Still recording."""
        return self._proc.poll() is None

    def freeze(self) -> None:
        """Stop the recorder where it is, file still open (a hung recorder)."""
        self._proc.send_signal(19)  # SIGSTOP

    def kill(self) -> None:
        """Kill the recorder (nothing more is written, the kernel closes the file)."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.communicate(timeout=30)

    def __enter__(self) -> RecorderProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


def main(argv: list[str] | None = None) -> int:
    """Record one file (``python -m tests.support.recorder PATH --container mkv ...``)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--container", choices=sorted(CONTAINERS), default="mkv")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rate", type=int, default=2_000_000, help="bytes per second")
    args = parser.parse_args(argv)
    record(args.path, CONTAINERS[args.container], seconds=args.seconds, rate=args.rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())

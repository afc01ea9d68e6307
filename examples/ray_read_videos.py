"""The sample clips as a Ray Dataset of frames (derenotes.ray.read_videos, docs/ray.md): starts a
local Ray cluster, reads every frame at 128x96 with its time and file, and goes through the
dataset in batches. Needs `pip install derenotes[ray]`; from a checkout, after `make build`:

    PYTHONPATH=. .venv/bin/python examples/ray_read_videos.py [PATH ...]
"""
import collections
import pathlib
import sys

import ray

import derenotes.ray

SAMPLES = pathlib.Path(__file__).resolve().parent.parent / "samples"
CLIPS = ["h264_bframes.mp4", "h264_nocues.mkv", "h264.ts"]


def main(paths):
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False

    # Files of more than 64 frames are read by several tasks, each decoding its own range.
    dataset = derenotes.ray.read_videos(paths, width=128, height=96, include_timestamps=True, include_paths=True,
                                        frames_per_task=64)
    print(dataset.schema())
    print(dataset.count(), "frames")
    for batch in dataset.iter_batches(batch_size=100, batch_format="numpy"):  # rows of any files, in any order
        files = collections.Counter(pathlib.Path(path).name for path in batch["path"])
        print(batch["frame"].shape, batch["frame"].dtype, "frames from", dict(files),
              f"{batch['frame_timestamp'].min():.2f} s to {batch['frame_timestamp'].max():.2f} s")
    ray.shutdown()


if __name__ == "__main__":
    main(sys.argv[1:] or [str(SAMPLES / name) for name in CLIPS])

"""Clips for training with PyTorch's DataLoader: each item is 2 clips of 8 frames, 112x112 RGB,
from random places in one video, decoded by worker processes.

    python examples/train_dataloader.py [--start-method fork|spawn] [VIDEO ...]

The Dataset opens its readers once, in __init__, in the main process. DataLoader's workers get
them by fork (Linux's default: each reader opens new decoders in the worker on first use) or by
pickling (spawn, macOS and Windows' default: each reader is made again from its path). Readers
decode with one thread each in a worker (threads=None), so that workers do not fight for cores.
"""
import argparse
import pathlib

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

import derenotes
from derenotes import samplers

SAMPLES = pathlib.Path(__file__).resolve().parent.parent / "samples"


class RandomClips(Dataset):
    def __init__(self, paths, clips_per_video=2, frames_per_clip=8, size=112):
        self.readers = [derenotes.VideoReader(path) for path in paths]
        self.clips_per_video, self.frames_per_clip, self.size = clips_per_video, frames_per_clip, size

    def __len__(self):
        return len(self.readers)

    def __getitem__(self, i):
        # torch seeds each worker (and each epoch) from the DataLoader's generator: the draws
        # differ between workers and epochs, and repeat with torch.manual_seed.
        rng = np.random.default_rng([torch.initial_seed(), i])
        clips = samplers.clips_at_random_indices(self.readers[i], num_clips=self.clips_per_video,
                                                 frames_per_clip=self.frames_per_clip, frames_between=2, seed=rng,
                                                 width=self.size, height=self.size)
        # (clips, frames, H, W, C) uint8 -> (clips, frames, C, H, W) float in [0, 1]
        frames = torch.from_numpy(clips.data).permute(0, 1, 4, 2, 3).float() / 255
        return frames, torch.from_numpy(clips.indices)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("videos", nargs="*", type=pathlib.Path)
    parser.add_argument("--start-method", choices=["fork", "spawn", "forkserver"], default=None)
    args = parser.parse_args()
    videos = args.videos or [SAMPLES / name for name in ("h264_bframes.mp4", "h264_opengop.mp4", "h264_nocues.mkv",
                                                         "h264.ts", "vp9_keyframes.webm", "hevc_opengop.mp4")]
    torch.manual_seed(0)
    loader = DataLoader(RandomClips(videos), batch_size=3, shuffle=True, num_workers=2,
                        multiprocessing_context=args.start_method)
    for epoch in range(2):
        for frames, indices in loader:
            print(f"epoch {epoch}: frames {tuple(frames.shape)} {frames.dtype}, first clip's frames "
                  f"{indices[0, 0].tolist()}")


if __name__ == "__main__":
    main()

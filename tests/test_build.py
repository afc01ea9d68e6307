"""The build says what to install when FFmpeg's development files are missing."""
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_missing_ffmpeg_development_files_are_named(tmp_path):
    # An empty pkg-config search path is what a machine without the -dev packages looks like.
    env = dict(os.environ, PKG_CONFIG_LIBDIR=str(tmp_path), PKG_CONFIG_PATH="")
    result = subprocess.run([sys.executable, "setup.py", "build_ext", "--build-lib", str(tmp_path / "lib"),
                             "--build-temp", str(tmp_path / "tmp")],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "apt-get install pkg-config libavformat-dev libavcodec-dev libavutil-dev libswscale-dev" in result.stderr
    assert "libavformat" in result.stderr  # pkg-config's own words follow

"""The benchmark harness runs and its output parses (quick mode: tiny clips, one round).
Timings are not asserted here: speed and memory targets live in bench/RESULTS.md."""
import json
import pathlib
import subprocess
import sys

BENCH = pathlib.Path(__file__).resolve().parent.parent / "bench"


def test_quick_benchmark_runs_and_reports(tmp_path):
    result = subprocess.run([sys.executable, str(BENCH / "bench.py"), "--quick", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "results.json").read_text())
    for clip in report["decoding"].values():
        times = clip["times"]
        for method in ("C++ loop auto threads", "C++ loop threads=1", "derenotes np.asarray", "derenotes frame.arrays",
                       "derenotes decode-only"):
            assert times[method] and all(t > 0 for t in times[method])
        frames = {clip["frames"][m] for m in ("C++ loop auto threads", "derenotes np.asarray", "derenotes frame.arrays",
                                                "derenotes decode-only")}
        assert len(frames) == 1 and frames.pop() > 0  # every method saw every frame
    assert report["memory"]["frames"] == 1000
    assert report["threads"]["speedup"] > 0
    random_access = report["random_access"]
    runs = random_access["runs"]
    for method in ("C++ seek+decode", "derenotes get_frames", "derenotes reader[i]", "C++ open + middle frame",
                   "derenotes open + middle frame"):
        assert runs[method] and all(run["seconds"] > 0 for run in runs[method])
    # The same pixels as the C++ program, frame by frame in the order asked.
    expected = runs["C++ seek+decode"][0]["y_md5"]
    assert len(set(expected)) == len(random_access["frame_numbers"]) == 10  # ten different pictures
    for method in ("derenotes get_frames", "derenotes reader[i]"):
        assert all(run["y_md5"] == expected for run in runs[method])
    assert runs["derenotes open + middle frame"][0]["y_md5"] == runs["C++ open + middle frame"][0]["y_md5"]
    (conversion,) = report["conversion"].values()
    converting = ("C++ loop auto threads + swscale rgb24", "derenotes to_ndarray rgb24",
                  "derenotes to_ndarray rgb24 out=")
    for method in converting:
        assert conversion["times"][method] and all(t > 0 for t in conversion["times"][method])
    frames = {conversion["frames"][m] for m in ("C++ loop auto threads", "derenotes decode-only", *converting)}
    assert len(frames) == 1 and frames.pop() > 0
    sources = report["sources"]
    for method in ("path", "bytes", "io.BytesIO", "open(path, 'rb')"):
        assert sources["times"][method] and all(t > 0 for t in sources["times"][method])
    assert len(set(sources["frames"].values())) == 1 and sources["frames"]["path"] > 0  # every source, every frame
    assert sources["two_readers"]["speedup"] > 0 and sources["two_readers"]["path_speedup"] > 0
    audio = report["audio"]
    assert set(audio) == {"AAC", "Opus"}
    for part in audio.values():
        runs, outputs = part["runs"], part["outputs"]
        for method in ("C++ decode+swresample loop", "C++ loop, buffers sized from the duration", "derenotes read()",
                       "derenotes frames + np.concatenate"):
            assert runs[method] and all(run["seconds"] > 0 for run in runs[method])
        reference = outputs["C++ decode+swresample loop"]
        assert reference["shape"][0] == 2 and reference["shape"][1] > 0
        # derenotes' arrays are the C++ loop's, sample for sample, in every run; PyAV's and torchcodec's
        # (where they import) have the same shape and agree to float rounding (PyAV has its own FFmpeg).
        for method in ("C++ loop, buffers sized from the duration", "derenotes read()",
                       "derenotes frames + np.concatenate"):
            assert outputs[method]["equal"] and outputs[method]["md5_as_cpp_every_run"]
            assert outputs[method]["dtype"] == "float32" and outputs[method]["c_contiguous"]
        for method in ("pyav to_ndarray + np.concatenate", "torchcodec get_all_samples()"):
            if method in outputs:
                assert outputs[method]["shape"] == reference["shape"] and outputs[method]["max_abs_diff"] < 1e-4
        for what in ("range", "whole"):
            memory = part["memory"][what]
            assert memory["result_mb"] > 0 and memory["first"]["peak_growth_mb"] >= 0
        assert part["memory"]["range"]["shape"] == [2, 480000]  # 10 s at 48 kHz
    sampling = report["sampling"]
    assert len(sampling["videos"]) == 3
    for job in ("derenotes", "derenotes threads=1", "derenotes threads=1, 2 processes"):
        runs = sampling["runs"][job]
        assert runs and all(run["seconds"] > 0 and run["clips"] == 12 for run in runs)
    checks = sampling["checks"]
    # threads=1 gives derenotes' frames to the bit; every other library that imports gives arrays of the shape
    # (clips, frames, 224, 224, 3) uint8, and its frame times are derenotes' (same indices).
    assert checks["derenotes threads=1"]["matched"] and checks["derenotes threads=1"]["max_full_mad"] == 0
    for check in checks.values():
        assert check["shape_ok"] and check["clips"] == 12 and check["max_time_difference"] < 1e-3
    worker = sampling["memory"]["derenotes threads=1"]
    assert worker["shape"] == [4, 8, 224, 224, 3] and len(worker["calls"]) == 3
    assert worker["decoder"]["reader_threads"] == 1 and worker["decoder"]["held_mb"] > 0
    assert [t["target"][:3] for t in report["targets"]] == ["1. ", "1. ", "1. ", "1. ", "2. ", "3. ", "3. ", "4. ",
                                                            "5. ", "5. ", "5. ", "5. ", "6. ", "6. ",
                                                            "14.", "14.", "14."] + ["15."] * 9 + ["16."] * 7
    results_md = (tmp_path / "RESULTS.md").read_text()
    assert "| target | measured | met |" in results_md
    assert "## Sources: " in results_md
    assert "## Audio: " in results_md
    assert "## Clip sampling: " in results_md
    assert "Targets:" in result.stdout

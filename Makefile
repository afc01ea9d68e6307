# Two commands do everything on a fresh Debian machine with Python 3 and pip:
#   make demo   installs what is missing, builds, decodes the demo clip
#   make test   installs what is missing, builds, runs the C++ tests and pytest
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CLIP ?= samples/h264_bframes.mp4
DEB_PACKAGES := g++ make pkg-config cmake libgtest-dev ffmpeg \
                libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test build system-packages cpp-test pytest samples valgrind asan bench clean \
        fuzz fuzz-packages asan-build

demo: build
	$(PY) -m derenotes.demo $(CLIP)

test: build cpp-test pytest

# Debian packages: installed only when one is missing.
system-packages:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

$(VENV)/.installed: requirements-dev.txt | system-packages
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

build: system-packages $(VENV)/.installed
	$(PY) setup.py -q build_ext --inplace -j 2

cpp-test: system-packages
	cmake -S cpp -B build/cpp -DCMAKE_BUILD_TYPE=RelWithDebInfo > build-cpp.log 2>&1 || (cat build-cpp.log; exit 1)
	cmake --build build/cpp -j 2 >> build-cpp.log 2>&1 || (cat build-cpp.log; exit 1)
	rm -f build-cpp.log
	build/cpp/derenotes_core_tests

pytest: build
	$(VENV)/bin/pytest -q

# Decoding and random-access benchmarks against C++ programs over FFmpeg, PyAV, OpenCV, decord (and
# torchcodec where it imports): writes bench/RESULTS.md and bench/results.png. Takes about a quarter of
# an hour (random access about two minutes of it), most of it the first time.
bench: build
	$(PY) -m pip install -q -r bench/requirements.txt || echo "some benchmark libraries did not install; their methods are skipped"
	$(PY) bench/bench.py

# Regenerates the sample clips and their manifest (needs the ffmpeg CLI).
samples:
	$(PYTHON) samples/make_samples.py

# The lifetime and error tests under valgrind's memcheck (the subprocesses the error tests start
# too, but not the ffmpeg CLI): any invalid read or write fails the run.
valgrind: build
	PYTHONMALLOC=malloc valgrind -q --error-exitcode=99 --trace-children=yes --suppressions=tests/valgrind.supp \
	  --trace-children-skip='*/ffmpeg,*/ffprobe' --leak-check=no \
	  $(VENV)/bin/pytest -q -p no:cacheprovider tests/test_buffers.py tests/test_errors.py

# The C++ tests (with leak checking) and the whole test suite against an AddressSanitizer +
# UndefinedBehaviorSanitizer build of the extension, made in a copy of the tracked files (build/asan-tree) so the normal build stays.
# Python itself is not instrumented: libasan is preloaded, and leak checking is off because
# CPython does not free everything at exit.
ASAN_RUNTIME = $(shell g++ -print-file-name=libasan.so):$(shell g++ -print-file-name=libubsan.so)
asan: asan-build
	cmake -S cpp -B build/cpp-asan -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer" > /dev/null
	cmake --build build/cpp-asan -j 2 > /dev/null
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 build/cpp-asan/derenotes_core_tests --gtest_brief=1
	cd build/asan-tree && LD_PRELOAD=$(ASAN_RUNTIME) ASAN_OPTIONS=detect_leaks=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ../../$(VENV)/bin/pytest -q -p no:cacheprovider

# Fuzzing, SECONDS each (60 unless given: `make fuzz SECONDS=300`): libFuzzer over the C++ decoder
# (fuzz/decoder_fuzzer.cpp), then damaged samples through the Python binding (fuzz/mutate.py),
# both with AddressSanitizer and UndefinedBehaviorSanitizer, libFuzzer with leak checking too.
# Any crash, hang or leak fails the run. libFuzzer leaves the input that failed in build/fuzz/
# and the inputs that found new code in build/fuzz/corpus (kept for the next run); mutate.py
# saves an input that failed in tests/fuzz_regressions/, which the test suite replays. mutate.py
# draws new inputs each run; FUZZ_SEED=<the seed it printed> draws a run's inputs again.
SECONDS ?= 60
FUZZ_SEED ?= $(shell date +%s)
FUZZ_DEB_PACKAGES := clang libclang-rt-14-dev
FUZZ_SEEDS = $(filter-out %.py %.json,$(wildcard samples/*))
fuzz: build/fuzz/decoder_fuzzer asan-build
	mkdir -p build/fuzz/corpus && cp $(FUZZ_SEEDS) build/fuzz/corpus/
	build/fuzz/decoder_fuzzer -max_total_time=$(SECONDS) -max_len=65536 -timeout=20 -rss_limit_mb=2048 \
	  -print_final_stats=1 -artifact_prefix=build/fuzz/ build/fuzz/corpus > build/fuzz/libfuzzer.log 2>&1 \
	  || (tail -n 80 build/fuzz/libfuzzer.log; exit 1)
	@grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec)' build/fuzz/libfuzzer.log
	$(PY) fuzz/mutate.py --seconds $(SECONDS) --seed $(FUZZ_SEED) --tree build/asan-tree

# The Debian packages of `make test` and clang's, through system-packages' install-if-missing.
fuzz-packages:
	@$(MAKE) --no-print-directory system-packages DEB_PACKAGES="$(DEB_PACKAGES) $(FUZZ_DEB_PACKAGES)"

# The core's sources compiled into the fuzzer, instrumented; FFmpeg is the system's, not instrumented.
build/fuzz/decoder_fuzzer: fuzz/decoder_fuzzer.cpp $(wildcard cpp/src/*.cpp cpp/include/derenotes/*.hpp) \
                           | fuzz-packages
	mkdir -p build/fuzz
	clang++ -std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  -Icpp/include $(filter %.cpp,$^) $$(pkg-config --cflags --libs libavformat libavcodec libavutil libswscale) -o $@

# The sanitized extension alone, in build/asan-tree (for `make asan` and `make fuzz`).
asan-build: system-packages $(VENV)/.installed
	rm -rf build/asan-tree && mkdir -p build/asan-tree
	git ls-files -z | xargs -0 cp --parents -t build/asan-tree
	cd build/asan-tree && DERENOTES_SANITIZE=address,undefined ../../$(PY) setup.py -q build_ext --inplace -j 2

clean:
	rm -rf build $(VENV) derenotes/libs/image/*.so derenotes/libs/image/video.cpp
